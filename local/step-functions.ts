/**
 * Step Functions on this machine: the ASL files of statemachines/, as deployed, executed by
 * aws-local-stepfunctions with each Task's placeholder mapped to its handler function.
 * Executions are kept (with each state's input and output) for `GET /local/executions`.
 *
 * The runner enforces none of Step Functions' quotas; this does, failing an execution as
 * AWS would: a state's input or output, or a task's result, over 256 KiB ends it with
 * States.DataLimitExceeded (terminal: no Retry or Catch applies); more than 25,000 history
 * events ends it with States.Runtime. With the template's roles, each Task's invocation is
 * authorized against the state machine's role (lambda:InvokeFunction on the function).
 * Distributed Maps run as AWS runs them (local/distributed-map.ts): items from S3, each a
 * child execution with its own history, results to S3, as the state machine's role.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { isDistributed, runDistributedMap, standIn, type DistributedMapState, type Json, type MapObjects, type MapRunRecord } from './distributed-map.ts';
import { placeholders, STATE_MACHINES_DIR } from '../lib/lifecycle.ts';
import { LAMBDA_PAYLOAD_BYTES, SFN_QUOTAS } from '../lambda/core/limits.ts';

export type { StateEvent } from './execution-quotas.ts';
import { unitOfPlaceholder } from '../lambda/units.ts';
import { childExecutions } from './child-executions.ts';
import { ExecutionQuotas, historyEvents, jsonBytes, type StateEvent } from './execution-quotas.ts';
import { decide, type Decision } from './iam/policy.ts';
import type { Check } from './iam/requests.ts';
import { functionArn, localFunctionName, LOCAL_ACCOUNT, LOCAL_REGION, stateMachineArn, type StateMachineModel } from './iam/stack-model.ts';

export type TaskHandler = (input: Json) => Promise<unknown>;

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachine: string;
  readonly name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly startDate: string;
  stopDate?: string;
  readonly input: unknown;
  output?: unknown;
  error?: string;
  cause?: unknown;
  readonly events: StateEvent[];
  /** Events AWS would have written to the execution's history. */
  historyEvents?: number;
  /** The largest state input or output, task input or result, in bytes (the 256 KiB quota's measure). */
  maxPayloadBytes?: number;
  /** The Map Runs of its Distributed Maps. */
  readonly mapRuns: MapRunRecord[];
}

interface AslState {
  Type: string;
  Resource?: string;
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { StartAt: string; States: Record<string, AslState>; ProcessorConfig?: { Mode?: string } };
  Branches?: { States: Record<string, AslState> }[];
}

/** Swaps each Distributed Map (outside Distributed Maps) for its stand-in Task; returns the Maps by state name. */
function takeDistributedMaps(states: Record<string, AslState>, out = new Map<string, DistributedMapState>()): Map<string, DistributedMapState> {
  for (const [name, s] of Object.entries(states)) {
    if (isDistributed(s)) {
      out.set(name, s as unknown as DistributedMapState);
      states[name] = standIn(s as unknown as Record<string, unknown>) as unknown as AslState;
      takeDistributedMaps(s.ItemProcessor!.States, out);
      continue;
    }
    if (s.Iterator) takeDistributedMaps(s.Iterator.States, out);
    if (s.ItemProcessor) takeDistributedMaps(s.ItemProcessor.States, out);
    for (const b of s.Branches ?? []) takeDistributedMaps(b.States, out);
  }
  return out;
}

/** Every state's type by name, through Map and Parallel (names are unique in our machines). */
function stateTypes(states: Record<string, AslState>, out = new Map<string, AslState>()): Map<string, AslState> {
  for (const [name, s] of Object.entries(states)) {
    out.set(name, s);
    if (s.Iterator) stateTypes(s.Iterator.States, out);
    if (s.ItemProcessor) stateTypes(s.ItemProcessor.States, out);
    for (const b of s.Branches ?? []) stateTypes(b.States, out);
  }
  return out;
}

/** Task state names and the placeholder each one's Resource names. */
function taskStates(states: ReadonlyMap<string, AslState>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, s] of states) {
    const m = s.Type === 'Task' && s.Resource ? /^\$\{(\w+)\}$/.exec(s.Resource) : null;
    if (m) out.set(name, m[1]!);
  }
  return out;
}

export class LocalStepFunctions {
  private readonly prefix: string;
  private readonly handlers: Readonly<Record<string, TaskHandler>>;
  private readonly history: ExecutionRecord[] = [];
  private readonly keep: number;
  private readonly running = new Set<Promise<unknown>>();

  private readonly retryIntervalMs: number | undefined;
  private readonly roles: Readonly<Record<string, StateMachineModel>> | undefined;
  private readonly onDecision: ((principal: string, check: Check, d: Decision) => void) | undefined;
  private readonly definitions = new Map<string, string>();
  private readonly objects: ((machine: string) => MapObjects) | undefined;

  /**
   * `retryIntervalMs` replaces every Retry interval (tests: 0); default as written in the ASL.
   * `roles`: the state machines' roles from the template, by name; each Task's invocation is then authorized.
   * `definitions`: ASL by machine name, instead of the file in statemachines/ (tests of the runner itself).
   * `objects`: S3 as a state machine's role, by its name, for Distributed Maps' items and results.
   */
  constructor(
    prefix: string,
    handlers: Readonly<Record<string, TaskHandler>>,
    opts: {
      keep?: number;
      retryIntervalMs?: number;
      roles?: Readonly<Record<string, StateMachineModel>>;
      onDecision?: (principal: string, check: Check, d: Decision) => void;
      definitions?: Readonly<Record<string, unknown>>;
      objects?: (machine: string) => MapObjects;
    } = {},
  ) {
    this.prefix = prefix;
    this.handlers = handlers;
    this.keep = opts.keep ?? 200;
    this.retryIntervalMs = opts.retryIntervalMs;
    this.roles = opts.roles;
    this.onDecision = opts.onDecision;
    for (const [m, d] of Object.entries(opts.definitions ?? {})) this.definitions.set(m, JSON.stringify(d));
    this.objects = opts.objects;
  }

  private functionName(placeholder: string): string {
    const unit = unitOfPlaceholder(placeholder);
    return unit ? localFunctionName(this.prefix, unit) : `${this.prefix}-${placeholder}`;
  }

  /** Whether the machine's role may do `action` on `resource` (always, without roles); the error AWS reports if not. */
  private authorize(machine: string, action: string, resource: string, errorName: string): void {
    if (!this.roles) return;
    const role = this.roles[`${this.prefix}-${machine}`];
    if (!role) throw new Error(`no role for state machine ${this.prefix}-${machine} in the template`);
    const check = { action, resource };
    const d = decide(role.policies, check.action, check.resource);
    this.onDecision?.(`${this.prefix}-${machine}`, check, d);
    if (!d.allowed)
      throw Object.assign(new Error(`User: ${role.roleArn} is not authorized to perform: ${action} on resource: ${resource}`), { name: errorName });
  }

  /**
   * A Task state's Lambda invocation: authorized for the machine's role, its input and result
   * measured against the state payload quota; a result over Lambda's own limit is a function
   * error (retryable, catchable), as Lambda reports it.
   */
  private async invoke(machine: string, state: string, placeholder: string, input: Json, quotas: ExecutionQuotas): Promise<Json> {
    this.authorize(machine, 'lambda:InvokeFunction', functionArn(this.functionName(placeholder)), 'Lambda.AWSLambdaException');
    // A synchronous Lambda invocation carries at most 6 MB each way; the state's own 256 KiB bites first.
    quotas.payload(jsonBytes(input), `the input of task ${state}`);
    // Serialized once: measured, then handed on as JSON, as Lambda returns it.
    const json = JSON.stringify((await this.handlers[placeholder]!(input)) ?? null);
    const bytes = Buffer.byteLength(json);
    quotas.measure(bytes);
    if (bytes > LAMBDA_PAYLOAD_BYTES) {
      throw Object.assign(new Error(`Response payload size exceeded maximum allowed payload size (${LAMBDA_PAYLOAD_BYTES} bytes).`), {
        name: 'Function.ResponseSizeTooLarge',
      });
    }
    quotas.payload(bytes, `the result of task ${state}`);
    return JSON.parse(json) as Json;
  }

  /** Starts an execution of `statemachines/<machine>.asl.json`; resolves when it ends. */
  start(machine: string, input: Json = {}, executionName?: string): { record: ExecutionRecord; done: Promise<ExecutionRecord> } {
    const text = this.definitions.get(machine) ?? readFileSync(`${STATE_MACHINES_DIR}${machine}.asl.json`, 'utf8');
    let substituted = text;
    for (const p of placeholders(text)) {
      if (!this.handlers[p]) throw new Error(`${machine}.asl.json: no local handler for \${${p}}`);
      substituted = substituted.replaceAll(`\${${p}}`, functionArn(this.functionName(p)));
    }
    const definition = JSON.parse(substituted) as { States: Record<string, AslState> };
    const distributed = takeDistributedMaps(definition.States);
    const states = stateTypes(JSON.parse(text).States);
    const machineArn = stateMachineArn(`${this.prefix}-${machine}`);
    const quotas = new ExecutionQuotas(states);
    const overrides: Record<string, (input: Json) => Promise<Json>> = {};
    const retryIntervals: Record<string, number> = {};
    // Wait states are shortened too when retry intervals are (tests run on a clock of their own), to
    // at least 100 ms: a state machine that waits in a loop must not spin through its history.
    const waits: Record<string, number> = {};
    if (this.retryIntervalMs !== undefined) for (const [state, st] of states) if (st.Type === 'Wait') waits[state] = Math.max(100, this.retryIntervalMs);
    for (const [state, p] of taskStates(states)) {
      overrides[state] = (i) => this.invoke(machine, state, p, i, quotas);
      if (this.retryIntervalMs !== undefined) retryIntervals[state] = this.retryIntervalMs;
    }
    // StartExecution refuses an input over the quota; no execution exists then.
    if (jsonBytes(input) > SFN_QUOTAS.payloadBytes)
      throw Object.assign(new Error(`execution input is over ${SFN_QUOTAS.payloadBytes} bytes`), { name: 'InvalidExecutionInput' });
    const name = executionName ?? `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
    const record: ExecutionRecord = {
      executionArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${this.prefix}-${machine}:${name}`,
      stateMachine: `${this.prefix}-${machine}`,
      name,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      input,
      events: [],
      mapRuns: [],
    };
    this.history.unshift(record);
    this.history.splice(this.keep);
    const runOptions = (id: string, execName: string, execInput: Json, startTime: string) => ({
      overrides: { taskResourceLocalHandlers: overrides, retryIntervalOverrides: retryIntervals, waitTimeOverrides: waits },
      context: {
        Execution: { Id: id, Name: execName, Input: execInput, StartTime: startTime },
        StateMachine: { Id: machineArn, Name: `${this.prefix}-${machine}` },
      },
    });
    const parentHistory = { events: 0 };
    const objects = distributed.size > 0 ? this.objects?.(`${this.prefix}-${machine}`) : undefined;
    for (const [state, map] of distributed) {
      const child = childExecutions({
        processor: map.ItemProcessor,
        quotas,
        authorize: () => this.authorize(machine, 'states:StartExecution', machineArn, 'States.Runtime'),
        run: (m, childInput, arn) => m.run(childInput, runOptions(arn, arn.split(':').at(-1)!, childInput, new Date().toISOString())),
        // The children's state events join the parent's record, as the console draws a Map's inner states (AWS shows them on the Map Run's page).
        onEvent: (e) => record.events.push(e),
      });
      overrides[state] = async (i) => {
        parentHistory.events += historyEvents('MapRun', undefined);
        const out = await runDistributedMap(
          { state, definition: map, stateMachineArn: machineArn, objects, child, onMapRun: (r) => record.mapRuns.push(r) },
          i,
        );
        // The Map's result is measured with the rest; its state's output is checked on exit.
        quotas.measure(jsonBytes(out));
        return out;
      };
      if (this.retryIntervalMs !== undefined) retryIntervals[state] = this.retryIntervalMs;
    }
    const execution = new StateMachine(definition as never).run(input, runOptions(record.executionArn, name, input, record.startDate));
    quotas.abortWith(execution.abort);
    const events = quotas.observe(execution, parentHistory, (e) => record.events.push(e));
    const done = (async () => {
      try {
        record.output = await execution.result;
        record.status = 'SUCCEEDED';
      } catch (err) {
        const e = err as { name?: string; message?: string; cause?: unknown };
        record.status = 'FAILED';
        record.error = e.name ?? 'Error';
        record.cause = e.message ?? e.cause;
      }
      await events.catch(() => undefined);
      // Report the execution's own error and cause, as the Step Functions console does.
      const failed = record.events.find((e) => e.type === 'ExecutionFailed');
      if (failed?.error !== undefined) {
        record.error = failed.error;
        record.cause = failed.cause;
      }
      const violation = quotas.violation;
      if (violation) {
        record.status = 'FAILED';
        record.error = violation.error;
        record.cause = violation.message;
        record.events.push({ type: 'ExecutionFailed', timestamp: new Date().toISOString(), error: violation.error, cause: violation.message });
      }
      record.historyEvents = parentHistory.events;
      record.maxPayloadBytes = quotas.largest;
      record.stopDate = new Date().toISOString();
      return record;
    })();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return { record, done };
  }

  /**
   * StartExecution as the API answers it: a name already used answers the running
   * execution again if its input is the same, else ExecutionAlreadyExists.
   */
  startByArn(arn: string, name: string | undefined, input: Json): { executionArn: string; startDate: number } {
    const machineName = arn.split(':stateMachine:')[1] ?? '';
    const machine = machineName.startsWith(`${this.prefix}-`) ? machineName.slice(this.prefix.length + 1) : '';
    if (!machine || arn !== stateMachineArn(machineName) || (!this.definitions.has(machine) && !this.exists(machine))) {
      throw Object.assign(new Error(`State Machine Does Not Exist: '${arn}'`), { name: 'StateMachineDoesNotExist' });
    }
    const seen = name === undefined ? undefined : this.history.find((e) => e.stateMachine === machineName && e.name === name);
    if (seen) {
      if (seen.status === 'RUNNING' && JSON.stringify(seen.input) === JSON.stringify(input))
        return { executionArn: seen.executionArn, startDate: Date.parse(seen.startDate) / 1000 };
      throw Object.assign(new Error(`Execution Already Exists: '${seen.executionArn}'`), { name: 'ExecutionAlreadyExists' });
    }
    const { record } = this.start(machine, input, name);
    return { executionArn: record.executionArn, startDate: Date.parse(record.startDate) / 1000 };
  }

  /** A state machine's definition (placeholders as in its file), or undefined if there is none. */
  definition(machine: string): unknown {
    const text = this.definitions.get(machine) ?? (this.exists(machine) ? readFileSync(`${STATE_MACHINES_DIR}${machine}.asl.json`, 'utf8') : undefined);
    return text === undefined ? undefined : JSON.parse(text);
  }

  private exists(machine: string): boolean {
    try {
      readFileSync(`${STATE_MACHINES_DIR}${machine}.asl.json`);
      return true;
    } catch {
      return false;
    }
  }

  /** ListExecutions with a status filter, newest first as the API answers. */
  list(arn: string, status?: ExecutionRecord['status']): { executionArn: string; stateMachineArn: string; name: string; status: string; startDate: number }[] {
    const machine = arn.split(':stateMachine:')[1];
    return this.history
      .filter((e) => e.stateMachine === machine && (status === undefined || e.status === status))
      .map((e) => ({ executionArn: e.executionArn, stateMachineArn: arn, name: e.name, status: e.status, startDate: Date.parse(e.startDate) / 1000 }));
  }

  executions(): readonly ExecutionRecord[] {
    return this.history;
  }

  /** Waits for running executions (on shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

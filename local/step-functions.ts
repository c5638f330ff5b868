/**
 * Step Functions on this machine: the ASL files of statemachines/, as deployed, executed by
 * aws-local-stepfunctions with each Task's placeholder mapped to its handler function.
 * Executions are kept (with each state's input and output) for `GET /local/executions`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { placeholders, STATE_MACHINES_DIR } from '../lib/lifecycle.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type TaskHandler = (input: Json) => Promise<unknown>;

export interface StateEvent {
  readonly type: string;
  readonly timestamp: string;
  readonly state?: string;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: unknown;
}

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
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

interface AslState {
  Type: string;
  Resource?: string;
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
}

/** Task state names and the placeholder each one's Resource names, through Map and Parallel. */
function taskStates(states: Record<string, AslState>, out = new Map<string, string>()): Map<string, string> {
  for (const [name, s] of Object.entries(states)) {
    const m = s.Type === 'Task' && s.Resource ? /^\$\{(\w+)\}$/.exec(s.Resource) : null;
    if (m) out.set(name, m[1]!);
    if (s.Iterator) taskStates(s.Iterator.States, out);
    if (s.ItemProcessor) taskStates(s.ItemProcessor.States, out);
    for (const b of s.Branches ?? []) taskStates(b.States, out);
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

  /** `retryIntervalMs` replaces every Retry interval (tests: 0); default as written in the ASL. */
  constructor(prefix: string, handlers: Readonly<Record<string, TaskHandler>>, opts: { keep?: number; retryIntervalMs?: number } = {}) {
    this.prefix = prefix;
    this.handlers = handlers;
    this.keep = opts.keep ?? 200;
    this.retryIntervalMs = opts.retryIntervalMs;
  }

  /** Starts an execution of `statemachines/<machine>.asl.json`; resolves when it ends. */
  start(machine: string, input: Json = {}, executionName?: string): { record: ExecutionRecord; done: Promise<ExecutionRecord> } {
    const text = readFileSync(`${STATE_MACHINES_DIR}${machine}.asl.json`, 'utf8');
    let substituted = text;
    for (const p of placeholders(text)) {
      if (!this.handlers[p]) throw new Error(`${machine}.asl.json: no local handler for \${${p}}`);
      substituted = substituted.replaceAll(`\${${p}}`, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${this.prefix}-${p}`);
    }
    const definition = JSON.parse(substituted);
    const overrides: Record<string, (input: Json) => Promise<Json>> = {};
    const retryIntervals: Record<string, number> = {};
    for (const [state, p] of taskStates(JSON.parse(text).States)) {
      overrides[state] = async (i) => JSON.parse(JSON.stringify((await this.handlers[p]!(i)) ?? null)) as Json;
      if (this.retryIntervalMs !== undefined) retryIntervals[state] = this.retryIntervalMs;
    }
    const name = executionName ?? `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
    const record: ExecutionRecord = {
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${this.prefix}-${machine}:${name}`,
      stateMachine: `${this.prefix}-${machine}`,
      name,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      input,
      events: [],
    };
    this.history.unshift(record);
    this.history.splice(this.keep);
    const execution = new StateMachine(definition).run(input, {
      overrides: { taskResourceLocalHandlers: overrides, retryIntervalOverrides: retryIntervals },
      context: { Execution: { Id: record.executionArn, Name: name, Input: input, StartTime: record.startDate } },
    });
    const events = (async () => {
      for await (const e of execution.eventLogs) {
        const ev = e as { type: string; timestamp: number; state?: { name: string; input?: unknown; output?: unknown }; Error?: string; Cause?: unknown };
        record.events.push({
          type: ev.type,
          timestamp: new Date(ev.timestamp).toISOString(),
          ...(ev.state ? { state: ev.state.name, input: ev.state.input, output: ev.state.output } : {}),
          ...(ev.Error !== undefined ? { error: ev.Error, cause: ev.Cause } : {}),
        });
      }
    })();
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
      record.stopDate = new Date().toISOString();
      return record;
    })();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return { record, done };
  }

  /** As StartExecution with a name: a name already started is not started again. */
  startOnce(machine: string, name: string, input: Json): void {
    if (this.history.some((e) => e.stateMachine === `${this.prefix}-${machine}` && e.name === name)) return;
    void this.start(machine, input, name);
  }

  executions(): readonly ExecutionRecord[] {
    return this.history;
  }

  /** Waits for running executions (on shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

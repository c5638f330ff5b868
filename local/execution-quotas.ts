/**
 * The quota observer: what Step Functions enforces on one execution and the local runner does
 * not. It counts the events AWS would write to the execution's history and measures every
 * state's input and output and every task's input and result; a payload over 256 KiB ends the
 * execution with States.DataLimitExceeded (terminal: no Retry or Catch applies), a history
 * over 25,000 events with States.Runtime.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import { SFN_QUOTAS } from '../lambda/core/limits.ts';

/** What the observer needs of a state: its type. */
export interface TypedState {
  readonly Type: string;
}

export interface StateEvent {
  readonly type: string;
  readonly timestamp: string;
  readonly state?: string;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: unknown;
}

export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v ?? null));

/** The events AWS writes to an execution's history, for the local runner's event of the same moment. */
export function historyEvents(type: string, state: TypedState | undefined): number {
  switch (type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return 1;
    // A Distributed Map's run in the parent's history: MapRunStarted and MapRunSucceeded (or Failed).
    case 'MapRun':
      return 2;
    // Entered, and for a Task its first attempt (Scheduled, Started, Succeeded or Failed); Map and Parallel also Started.
    case 'StateEntered':
      return 1 + (state?.Type === 'Task' ? 3 : state?.Type === 'Map' || state?.Type === 'Parallel' ? 1 : 0);
    // Exited; Map and Parallel also Succeeded.
    case 'StateExited':
      return 1 + (state?.Type === 'Map' || state?.Type === 'Parallel' ? 1 : 0);
    // Another attempt of a Task.
    case 'StateRetried':
      return 3;
    default:
      return 0;
  }
}

export class QuotaExceeded extends Error {
  readonly error: string;
  constructor(error: string, message: string) {
    super(message);
    this.error = error;
  }
}

export type Execution = ReturnType<StateMachine['run']>;

/** One execution's quotas: the first one exceeded aborts it, and ends it as AWS would. */
export class ExecutionQuotas {
  /** The largest state input or output, task input or result, in bytes. */
  largest = 0;
  /** The first quota exceeded, if any. */
  violation: QuotaExceeded | undefined;
  private readonly states: ReadonlyMap<string, TypedState>;
  private abort: () => void = () => undefined;

  /** `states`: every state of the definition by name, Distributed Maps' inner states included. */
  constructor(states: ReadonlyMap<string, TypedState>) {
    this.states = states;
  }

  /** What aborts the execution once a quota is exceeded. */
  abortWith(abort: () => void): void {
    this.abort = abort;
  }

  exceed(error: string, message: string): never {
    this.violation ??= new QuotaExceeded(error, message);
    this.abort();
    throw this.violation;
  }

  /** Counts a payload in the largest seen, without a limit of its own here. */
  measure(bytes: number): void {
    this.largest = Math.max(this.largest, bytes);
  }

  /** Measures a payload (`what`: "the input of task X"); over the quota, the execution ends. */
  payload(bytes: number, what: string): void {
    this.measure(bytes);
    if (bytes > SFN_QUOTAS.payloadBytes) this.exceed('States.DataLimitExceeded', `${what} is ${bytes} bytes, over the ${SFN_QUOTAS.payloadBytes}-byte quota`);
  }

  /** Counts an execution's history and measures its states' payloads, as AWS would; `onEvent` sees each event. */
  async observe(execution: Execution, history: { events: number }, onEvent?: (e: StateEvent) => void): Promise<void> {
    for await (const e of execution.eventLogs) {
      const ev = e as { type: string; timestamp: number; state?: { name: string; input?: unknown; output?: unknown }; Error?: string; Cause?: unknown };
      history.events += historyEvents(ev.type, ev.state ? this.states.get(ev.state.name) : undefined);
      try {
        if (history.events > SFN_QUOTAS.historyEvents) this.exceed('States.Runtime', `the execution's history passed ${SFN_QUOTAS.historyEvents} events`);
        if (ev.type === 'StateEntered') this.payload(jsonBytes(ev.state?.input), `the input of state ${ev.state?.name}`);
        if (ev.type === 'StateExited') this.payload(jsonBytes(ev.state?.output), `the output of state ${ev.state?.name}`);
      } catch (err) {
        if (!(err instanceof QuotaExceeded)) throw err;
      }
      onEvent?.({
        type: ev.type,
        timestamp: new Date(ev.timestamp).toISOString(),
        ...(ev.state ? { state: ev.state.name, input: ev.state.input, output: ev.state.output } : {}),
        ...(ev.Error !== undefined ? { error: ev.Error, cause: ev.Cause } : {}),
      });
    }
  }
}

/**
 * The child-execution runner: a Distributed Map's ItemProcessor run as a state machine of its
 * own for each item (or batch), as AWS runs it, started by the parent's role, with its own
 * history counted against the quotas; its outcome is what the Map Run records.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { ChildOutcome, DistributedMapState, Json } from './distributed-map.ts';
import type { Execution, ExecutionQuotas, StateEvent } from './execution-quotas.ts';

export interface ChildRunnerOptions {
  readonly processor: DistributedMapState['ItemProcessor'];
  /** The parent's quotas: a child's states count against the same payload quota. */
  readonly quotas: ExecutionQuotas;
  /** Authorizes states:StartExecution for the parent's role; throws AWS's error if refused. */
  readonly authorize: () => void;
  /** Runs a definition with the runner's overrides and the child's context object. */
  readonly run: (machine: StateMachine, input: Json, executionArn: string) => Execution;
  /** Each of a child's state events (the console draws a Map's inner states). */
  readonly onEvent: (e: StateEvent) => void;
}

/** A child execution's runner for one Distributed Map: resolves to its outcome, never rejects for the child's own failure. */
export function childExecutions(o: ChildRunnerOptions): (input: Json, executionArn: string) => Promise<ChildOutcome> {
  return async (input, arn) => {
    o.authorize();
    const machine = new StateMachine({ StartAt: o.processor.StartAt, States: o.processor.States } as never, { validationOptions: { noValidate: true } });
    const run = o.run(machine, input, arn);
    const history = { events: 0 };
    const watched = o.quotas
      .observe(run, history, (e) => {
        if (!e.type.startsWith('Execution')) o.onEvent(e);
      })
      .catch(() => undefined);
    let outcome: Omit<ChildOutcome, 'historyEvents'>;
    try {
      outcome = { status: 'SUCCEEDED', output: (await run.result) as Json };
    } catch (err) {
      const failed = err as { name?: string; message?: string; cause?: { name?: string; message?: string } };
      const cause = failed.cause ?? failed;
      outcome = { status: 'FAILED', error: cause.name ?? 'Error', cause: cause.message ?? '' };
    }
    await watched;
    return { ...outcome, historyEvents: history.events };
  };
}

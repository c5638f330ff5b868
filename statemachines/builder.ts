/**
 * A small builder for the state machines: each is defined once in TypeScript
 * (statemachines/<machine>.ts), with named retry and catch policies, and written out as
 * statemachines/<machine>.asl.json (`npm run asl`), the file CDK deploys and the local runner
 * executes. A test fails when a checked-in file differs from what the builder makes, so a
 * change of a retry policy is made here once, never in dozens of places of JSON.
 *
 * The ASL stays in the JSONPath subset the local runner supports (test/unit/asl.test.ts).
 */
import { MAP_CONCURRENCY } from '../lambda/core/fan-out.ts';
import { arnPlaceholder, type UnitName } from '../lambda/units.ts';
import { TASK_CONTRACT } from '../lambda/task-contract.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Params = { [key: string]: Json };

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly ResultPath: string;
  readonly Next: string;
}

/**
 * Errors worth retrying soon: Lambda's own transient failures, a throttled AWS call
 * (`ThrottledError`, what the adapters turn AWS's throttling answers into) and data not yet
 * visible (`MissingDataError`). Six attempts from 2 s doubling: about two minutes.
 */
export const TRANSIENT: Retrier = {
  ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'ThrottledError', 'MissingDataError'],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
};

/**
 * The function is at its reserved concurrency (lambda/core/concurrency.ts): two Maps on one
 * function, or a Map wider than the function's share of the background budget. Its tasks
 * wait their turn, with jitter so they do not return together: up to 30 attempts, a minute
 * apart at most, about half an hour in all, never failing a job for being patient.
 */
export const CONCURRENCY_THROTTLED: Retrier = {
  ErrorEquals: ['Lambda.TooManyRequestsException'],
  IntervalSeconds: 2,
  MaxAttempts: 30,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
};

/** Any other failure of a task: twice more, in case it was the container's. */
export const ANY_TASK_FAILURE: Retrier = { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2 };

/**
 * A task that stopped before its time ran out, having recorded where it was (a scan segment
 * slowed by throttling, lambda/segment-scan.ts): run again at once, it goes on from there.
 * Each attempt does up to 14 minutes of work, so 30 are hours, never an endless loop.
 */
export const SUSPENDED: Retrier = { ErrorEquals: ['TaskSuspended'], IntervalSeconds: 1, MaxAttempts: 30, BackoffRate: 1 };

/** Every task's retries. */
export const TASK_RETRY: readonly Retrier[] = [SUSPENDED, CONCURRENCY_THROTTLED, TRANSIENT, ANY_TASK_FAILURE];

/** A verification that failed says the data is wrong: trying again cannot make it right. */
export const VERIFY_RETRY: readonly Retrier[] = [{ ErrorEquals: ['VerificationFailed'], MaxAttempts: 0 }, ...TASK_RETRY];

/** A catch policy: where each error goes once retries are spent, with the error at `$.error`. */
export type CatchPolicy = readonly { readonly errors: readonly string[]; readonly next: string }[];

const catchers = (policy: CatchPolicy): Catcher[] => policy.map((c) => ({ ErrorEquals: c.errors, ResultPath: '$.error', Next: c.next }));

/**
 * Parameters every task gets besides its own: its execution and its state's name, for its logs
 * (the local runner leaves $$.State unset), and the task contract's version the definition was written to.
 */
const taskParameters = (state: string, params: Params): Params => ({ ...params, task: { 'execution.$': '$$.Execution.Id', state, contract: TASK_CONTRACT } });

export interface TaskOptions {
  readonly unit: UnitName;
  readonly parameters: Params;
  readonly resultPath?: string | null;
  readonly resultSelector?: Params;
  readonly retry?: readonly Retrier[];
  readonly comment?: string;
}

/** One state of the definition, as ASL spells it. */
export type State = { readonly [key: string]: unknown };

/** A whole definition. */
export interface Definition {
  readonly Comment: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
}

/** A Lambda task state (the function's ARN as a placeholder CDK substitutes). */
function taskState(name: string, o: TaskOptions): State {
  return {
    Type: 'Task',
    ...(o.comment ? { Comment: o.comment } : {}),
    Resource: `\${${arnPlaceholder(o.unit)}}`,
    Parameters: taskParameters(name, o.parameters),
    ...(o.resultPath !== undefined ? { ResultPath: o.resultPath } : {}),
    ...(o.resultSelector ? { ResultSelector: o.resultSelector } : {}),
    Retry: o.retry ?? TASK_RETRY,
  };
}

/**
 * One state machine under construction: states in the order they are added, each task's and
 * map's failures caught by the machine's catch policy unless told otherwise.
 */
export class MachineBuilder {
  private readonly states: Record<string, State> = {};
  private readonly comment: string;
  private readonly onFailure: CatchPolicy;

  constructor(comment: string, onFailure: CatchPolicy) {
    this.comment = comment;
    this.onFailure = onFailure;
  }

  private add(name: string, state: State): this {
    if (this.states[name]) throw new Error(`state ${name} is defined twice`);
    this.states[name] = state;
    return this;
  }

  /** A task; `catch: null` for one whose own failure has nowhere else to go. */
  task(name: string, o: TaskOptions & { readonly next: string; readonly catch?: CatchPolicy | null }): this {
    const policy = o.catch === undefined ? this.onFailure : o.catch;
    return this.add(name, { ...taskState(name, o), Next: o.next, ...(policy ? { Catch: catchers(policy) } : {}) });
  }

  /**
   * A Distributed Map over task indices: its items are the JSON list at `<job>.maps.<items>`
   * in the bucket at `<job>.maps.bucket`, each item runs `task` as a child execution with the
   * job's run id and the item as `<itemName>`, and results go to S3 under
   * `<job>.maps.results`: the state carries references only.
   */
  distributedMap(
    name: string,
    o: {
      readonly job: string;
      readonly items: string;
      readonly itemName: string;
      readonly task: { readonly name: string } & TaskOptions;
      readonly next: string;
      readonly comment?: string;
    },
  ): this {
    const maps = `${o.job}.maps`;
    return this.add(name, {
      Type: 'Map',
      ...(o.comment ? { Comment: o.comment } : {}),
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket.$': `${maps}.bucket`, 'Key.$': `${maps}.${o.items}` },
      },
      ItemSelector: { 'runId.$': `${o.job}.runId`, [`${o.itemName}.$`]: '$$.Map.Item.Value' },
      MaxConcurrency: MAP_CONCURRENCY,
      Label: name,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: o.task.name,
        States: { [o.task.name]: { ...taskState(o.task.name, o.task), End: true } },
      },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket.$': `${maps}.bucket`, 'Prefix.$': `${maps}.results` } },
      ResultPath: null,
      Catch: catchers(this.onFailure),
      Next: o.next,
    });
  }

  /** A Choice on one variable: `rule` is the comparison (e.g. `{ BooleanEquals: true }`). */
  choice(
    name: string,
    o: { readonly variable: string; readonly rule: Params; readonly then: string; readonly otherwise: string; readonly comment?: string },
  ): this {
    return this.add(name, {
      Type: 'Choice',
      ...(o.comment ? { Comment: o.comment } : {}),
      Choices: [{ Variable: o.variable, ...o.rule, Next: o.then }],
      Default: o.otherwise,
    });
  }

  pass(name: string, o: { readonly parameters: Params; readonly comment?: string }): this {
    return this.add(name, { Type: 'Pass', ...(o.comment ? { Comment: o.comment } : {}), Parameters: o.parameters, End: true });
  }

  wait(name: string, o: { readonly seconds: number; readonly next: string }): this {
    return this.add(name, { Type: 'Wait', Seconds: o.seconds, Next: o.next });
  }

  /** A Fail state whose cause is the caught error's (`$.error.Cause`), or a fixed text. */
  fail(name: string, o: { readonly cause?: string; readonly comment?: string }): this {
    return this.add(name, {
      Type: 'Fail',
      ...(o.comment ? { Comment: o.comment } : {}),
      Error: name,
      ...(o.cause !== undefined ? { Cause: o.cause } : { CausePath: '$.error.Cause' }),
    });
  }

  succeed(name: string): this {
    return this.add(name, { Type: 'Succeed' });
  }

  /** The definition, after checking that every transition names a state. */
  build(startAt: string): Definition {
    const names = new Set(Object.keys(this.states));
    const targets = [startAt];
    for (const s of Object.values(this.states)) {
      for (const key of ['Next', 'Default'] as const) if (typeof s[key] === 'string') targets.push(s[key]);
      for (const key of ['Choices', 'Catch'] as const) for (const c of (s[key] ?? []) as { Next: string }[]) targets.push(c.Next);
    }
    for (const t of targets) if (!names.has(t)) throw new Error(`no state named ${t}`);
    return { Comment: this.comment, StartAt: startAt, States: this.states };
  }
}

/** How a definition is written to its file: the checked-in text is exactly this. */
export const aslText = (definition: Definition): string => JSON.stringify(definition, null, 2) + '\n';

/**
 * What the state machines pass each task and get back: one contract for every function the
 * lifecycle and the import call, validated at each handler's entry (a malformed input is a
 * ValidationError, never a half-done step). Inputs carry references: a job's run id and a
 * task's index, never a list that grows with the data; the lists (ranges, chunks, spill
 * counts, tallies) are the job's records in the index table (core/jobs.ts), so every state
 * stays a few KiB at any period size. Outputs are as small: the Map states discard them.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { runMeta } from './run-meta.ts';
import { ValidationError } from './core/errors.ts';
import type { PeriodToOffload } from './core/jobs.ts';
import type { OffloadPhase } from './core/offload-slice.ts';
import type { RunMeta } from './core/manifest.ts';

z.config(en());
const int = () => z.int();
const runId = z.string().check(z.minLength(1));
const index = int().check(z.gte(0));
/**
 * The contract's version, which the state machines put in every task's input (`task.contract`).
 * A deploy replaces the functions while executions of the old definitions are in flight, so a
 * task accepts its own version and every earlier one (absent: 1, the inputs from before
 * versions); a later one (executions of a newer release after a rollback) is refused, by
 * name, before anything is done. A change to an input's meaning is a new version with a
 * reader of the old (docs/operations.md says what a release may change).
 */
export const TASK_CONTRACT = 1;

/** Where a task runs: its execution and state, for its log lines (telemetry.ts), and the contract it was written to. */
const task = z.optional(z.strictObject({ execution: z.string(), state: z.string(), contract: z.optional(int().check(z.gte(1))) }));

const period = z.strictObject({ hotRunId: z.string(), table: z.string(), periodStart: int(), periodEnd: int(), runId });
export const OFFLOAD_INPUT = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('plan'), task }),
  z.strictObject({ action: z.literal('prepare'), period, task }),
  z.strictObject({ action: z.literal('scan'), runId, segment: index, task }),
  z.strictObject({ action: z.literal('merge'), runId, range: index, task }),
]);

export const COMPACT_INPUT = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('plan'), task }),
  z.strictObject({ action: z.literal('merge'), runId, range: index, task }),
]);

export const IMPORTER_INPUT = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('prepare'), importId: z.string(), task }),
  z.strictObject({ action: z.literal('parse'), runId, chunk: index, task }),
  z.strictObject({ action: z.literal('check'), runId, task }),
  z.strictObject({ action: z.literal('merge'), runId, range: index, task }),
  z.strictObject({ action: z.literal('finish'), runId, task }),
  // The execution's error, as a Catch hands it over.
  z.strictObject({
    action: z.literal('fail'),
    importId: z.string(),
    error: z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
    task,
  }),
]);

export const EXPORTER_INPUT = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('prepare'), exportId: z.string(), task }),
  z.strictObject({ action: z.literal('write'), runId, range: index, task }),
  z.strictObject({ action: z.literal('verify'), runId, range: index, task }),
  z.strictObject({ action: z.literal('finish'), exportId: z.string(), task }),
  z.strictObject({
    action: z.literal('fail'),
    exportId: z.string(),
    error: z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
    task,
  }),
]);

/** One segment of an offloaded table scanned again, independently of the offload's scan. */
export const RESCAN_INPUT = z.strictObject({ action: z.literal('rescan'), runId, segment: index, task });

/** One range read back, then the whole run added up (by the kind of job); re-scans as release 0.2.0 sent them here. */
export const VERIFY_INPUT = z.union([
  z.strictObject({ action: z.literal('range'), runId, range: index, task }),
  RESCAN_INPUT,
  z.strictObject({ mode: z.enum(['offload', 'compact', 'import']), runId, task }),
]);

export const COMMIT_INPUT = z.strictObject({ kind: z.enum(['offload', 'compact', 'import']), runId, run: runMeta, task });

/**
 * From the lifecycle: the execution itself (its context object). From its own schedule (an
 * EventBridge event) or an operator's invocation: any object without `execution`.
 */
export const ROTATE_FROM_LIFECYCLE = z.strictObject({
  trigger: z.optional(z.string()),
  execution: z.strictObject({ stateMachineArn: z.string(), executionArn: z.string(), startTime: z.string() }),
  task,
});
export const ROTATE_INPUT = z.union([ROTATE_FROM_LIFECYCLE, z.looseObject({ execution: z.optional(z.never()) }), z.null(), z.undefined()]);

export const GC_INPUT = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('collect'), task }),
  z.strictObject({ action: z.literal('retention'), task }),
]);

/** The kinds of tasks a job fans out to, each a Distributed Map over the task indices. */
export type MapKind = 'segments' | 'ranges' | 'chunks' | OffloadPhase;

/** Where a job's Distributed Maps read their items (S3 objects, one per kind) and write their results. */
export type MapFiles = { readonly bucket: string; readonly results: string } & { readonly [K in MapKind]?: string };

/** A prepared job as the state machine keeps it: its run id, how many tasks of each kind, and where their items are. */
export interface JobRef {
  readonly runId: string;
  readonly ranges: number;
  readonly maps: MapFiles;
}
/**
 * A prepared offload: this execution's slice of its tasks, by phase (the Maps' item lists are
 * `maps.<phase>`); `complete` when the slice is the last, so the run is added up and committed
 * now, else the next execution goes on.
 */
export interface OffloadRef extends JobRef, PeriodToOffload {
  readonly segments: number;
  readonly slice: Readonly<Record<OffloadPhase, number>>;
  readonly complete: boolean;
}
/** An export's job: its id is the job's (runId). */
export type ExportRef = JobRef;
export interface ImportRef extends JobRef {
  readonly importId: string;
  readonly chunks: number;
}

/** What a Map's task returns (discarded by the state machine; for logs and tests). */
export interface TaskDone {
  readonly index: number;
  readonly count: number;
}

/** The oldest sealed period still hot, if any: the lifecycle offloads one at a time, oldest first. */
export interface OffloadPlan {
  readonly found: boolean;
  readonly period?: PeriodToOffload;
}
/**
 * A compaction to do: its job, with the key ranges this execution merges and verifies (at most
 * a slice of them); `complete` when they are the last, so the run is added up and committed
 * now, else the next execution goes on.
 */
export interface CompactionFound {
  readonly found: boolean;
  readonly job?: JobRef;
  readonly complete?: boolean;
}
export interface Verified {
  readonly run: RunMeta;
}
export interface Committed {
  readonly version: number;
  readonly changed: boolean;
}

type Issue = { readonly code?: string; readonly path: readonly PropertyKey[]; readonly message: string; readonly errors?: readonly (readonly Issue[])[] };

/** The issue to report: for a union, the first issue of the branch that came closest. */
function firstIssue(issues: readonly Issue[]): Issue {
  const issue = issues[0]!;
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
  const inner = firstIssue(closest);
  return { ...inner, path: [...issue.path, ...inner.path] };
}

/** `input` as the schema says, or a ValidationError naming the first problem. */
export function parseTaskInput<S extends z.ZodMiniType>(unit: string, schema: S, input: unknown): z.infer<S> {
  const contract = (input as { task?: { contract?: unknown } } | null | undefined)?.task?.contract;
  if (typeof contract === 'number' && contract > TASK_CONTRACT) {
    throw new ValidationError(
      'ContractTooNew',
      `${unit}: the input is of task contract ${contract}, this release knows ${TASK_CONTRACT} and earlier: deploy the release that started the execution, or let it fail and the next one start over`,
    );
  }
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = firstIssue(r.error.issues as readonly Issue[]);
  throw new ValidationError('InvalidInput', `${unit}: invalid task input at ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
}

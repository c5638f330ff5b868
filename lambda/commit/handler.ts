/**
 * Lambda entry of commit: one manifest compare-and-swap that makes a verified run visible
 * and releases what it replaces. Idempotent: a commit already made is a no-op.
 */
import type { CompactionPlan } from '../compact/compact.ts';
import type { Edit, RunMeta } from '../core/manifest.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { ImportJob } from '../importer/importer.ts';
import type { OffloadJob } from '../offload/offload.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { lambdaEntry, taskKeys, Telemetry, type TaskInput } from '../telemetry.ts';

export type CommitInput = TaskInput &
  (
    | { kind: 'offload'; job: OffloadJob; run: RunMeta }
    | { kind: 'compact'; plan: CompactionPlan; run: RunMeta }
    | { kind: 'import'; job: ImportJob; run: RunMeta }
  );

export function editOf(input: CommitInput, nowMs: number): Edit {
  if (input.kind === 'offload') {
    const { job } = input;
    return {
      kind: 'offload',
      remove: [job.hotRunId],
      add: [input.run],
      release: [
        { id: `table:${job.table}`, kind: 'table', target: job.table, releasedAt: nowMs },
        { id: `job:${job.runId}`, kind: 'job', target: job.runId, releasedAt: nowMs },
      ],
    };
  }
  if (input.kind === 'import') {
    const { job } = input;
    return {
      kind: 'import',
      remove: [],
      add: [input.run],
      release: [
        { id: `job:${job.runId}`, kind: 'job', target: job.runId, releasedAt: nowMs },
        { id: `upload:${job.importId}`, kind: 'upload', target: job.importId, releasedAt: nowMs },
      ],
    };
  }
  const { plan } = input;
  return {
    kind: 'compact',
    remove: plan.inputs,
    add: [input.run],
    release: [
      ...plan.inputs.map((id) => ({ id: `run:${id}`, kind: 'run' as const, target: id, releasedAt: nowMs })),
      { id: `job:${plan.outputId}`, kind: 'job', target: plan.outputId, releasedAt: nowMs },
    ],
  };
}

export function createCommitHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('commit');
  const stores = lazyStores(env, t.traceClient);
  const run = async (input: CommitInput): Promise<{ version: number; changed: boolean }> => {
    const s = stores();
    // An import's run, once committed, may be compacted away: a late retry must not add it again.
    if (input.kind === 'import' && (await s.imports.get(input.job.importId))?.state === 'succeeded') {
      return { version: (await s.manifests.read()).version, changed: false };
    }
    const r = await s.manifests.commit(editOf(input, now()));
    if (r.changed) {
      t.count('committedRecords', input.run.count, input.kind);
      t.count('committedBytes', input.run.bytes, input.kind);
    }
    return { version: r.manifest.version, changed: r.changed };
  };
  return lambdaEntry(t, env, run, taskKeys);
}

export const handler = createCommitHandler(() => process.env);

/**
 * Lambda entry of commit: one manifest compare-and-swap that makes a verified run visible
 * and releases what it replaces (read from the job's spec). Idempotent: a commit already
 * made is a no-op.
 */
import type { CompactionJob, ImportJob, OffloadJob } from '../core/jobs.ts';
import { spendOf, type Edit, type RunMeta } from '../core/manifest.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { COMMIT_INPUT, parseTaskInput, type Committed } from '../task-contract.ts';
import { lambdaEntry, taskKeys, Telemetry } from '../telemetry.ts';

export type CommitOf =
  { kind: 'offload'; job: OffloadJob; run: RunMeta } | { kind: 'compact'; job: CompactionJob; run: RunMeta } | { kind: 'import'; job: ImportJob; run: RunMeta };

export function editOf(c: CommitOf, nowMs: number): Edit {
  const released = (id: string) => ({ id: `job:${id}`, kind: 'job' as const, target: id, releasedAt: nowMs });
  if (c.kind === 'offload') {
    const { job } = c;
    return {
      kind: 'offload',
      remove: [job.hotRunId],
      add: [c.run],
      release: [{ id: `table:${job.table}`, kind: 'table', target: job.table, releasedAt: nowMs, replacedBy: c.run }, released(job.runId)],
    };
  }
  if (c.kind === 'import') {
    const { job } = c;
    return {
      kind: 'import',
      remove: [],
      add: [c.run],
      release: [released(job.runId), { id: `upload:${job.importId}`, kind: 'upload', target: job.importId, releasedAt: nowMs }],
    };
  }
  const { job } = c;
  return {
    kind: 'compact',
    remove: job.inputs,
    add: [c.run],
    release: [...job.inputs.map((id) => ({ id: `run:${id}`, kind: 'run' as const, target: id, releasedAt: nowMs })), released(job.outputId)],
    spend: spendOf(job.strategy ?? 'logarithmic', nowMs, job.inputBytes ?? c.run.bytes, c.run.count),
  };
}

export function createCommitHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('commit');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown): Promise<Committed> => {
    const input = parseTaskInput('commit', COMMIT_INPUT, event);
    const s = stores();
    const run = input.run as RunMeta;
    if (run.id !== input.runId) throw new Error(`commit: the run verified is ${run.id}, not the job's ${input.runId}`);
    const job = await s.jobs.get<OffloadJob & CompactionJob & ImportJob>(input.runId);
    if (!job) {
      // Committed earlier and since collected (GC deletes a job only after its commit released it): nothing to do.
      const m = await s.manifests.read();
      if (m.runs.some((r) => r.id === run.id) || (m.garbage ?? []).some((g) => g.id === `job:${input.runId}`)) return { version: m.version, changed: false };
      throw new Error(`commit: job ${input.runId} has no spec`);
    }
    // An import's run, once committed, may be compacted away: a late retry must not add it again.
    if (input.kind === 'import' && (await s.imports.get(job.importId))?.state === 'succeeded') {
      return { version: (await s.manifests.read()).version, changed: false };
    }
    const r = await s.manifests.commit(editOf({ kind: input.kind, job, run } as CommitOf, now()));
    if (r.changed) {
      t.count('committedRecords', run.count, input.kind);
      t.count('committedBytes', run.bytes, input.kind);
    }
    return { version: r.manifest.version, changed: r.changed };
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createCommitHandler(() => process.env);

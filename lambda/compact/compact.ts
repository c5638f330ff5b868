/**
 * Compaction (docs/design.md §5 step 3): the policy picks runs; the merge is range-partitioned at the
 * inputs' index boundaries so each range is one bounded task; verification then checks
 * setsum(inputs) = setsum(output) + setsum(dropped). The job (its ranges) is stored; the
 * state machine keeps its run id, range count and where the Map's items are.
 */
import { coldScan } from '../core/cold-run.ts';
import { shadowsOf } from '../core/compaction.ts';
import { policyFor } from '../core/strategies/index.ts';
import { rangesToDo, type CompactionJob, type JobRanges } from '../core/jobs.ts';
import { totalOf } from '../core/tally.ts';
import { compactionSlice } from '../core/fan-out.ts';
import { MergeIterator } from '../core/merge.ts';
import { ConflictError, findRun, type RunMeta } from '../core/manifest.ts';
import { ShadowFilter } from '../core/rewrite.ts';
import { keyRangeOfSpec, rangesFrom } from '../core/key-ranges.ts';
import { retentionCutoff } from '../core/settings.ts';
import { splittersOverRuns } from '../run-ranges.ts';
import { writeRange } from '../run-writer.ts';
import type { Stores } from '../store/stores.ts';
import { type CompactionFound, type TaskDone } from '../task-contract.ts';

/** When the purge clocks of the inputs' tombstones started, if any has tombstones. */
function deletedSpan(inputs: readonly RunMeta[]): { from: number; to: number } | undefined {
  const t = inputs.filter((r) => r.tombstones);
  if (t.length === 0) return undefined;
  return {
    from: Math.min(...t.map((r) => r.deletedFrom ?? Math.floor(r.minSeq / 1000))),
    to: Math.max(...t.map((r) => r.deletedTo ?? Math.floor(r.maxSeq / 1000))),
  };
}

export async function planCompaction(s: Stores, nowMs: number): Promise<CompactionFound> {
  const m = await s.manifests.read();
  const cutoff = retentionCutoff(s.settings, nowMs);
  const p = policyFor(s.settings).plan(m, {
    nowMs,
    periodMs: s.settings.periodMs,
    ...(cutoff !== undefined ? { cutoff } : {}),
    ...(s.settings.purgeWithinMs !== undefined ? { purgeWithinMs: s.settings.purgeWithinMs } : {}),
  });
  if (!p) return { found: false };
  const job = await s.jobs.getOrCreate<Omit<CompactionJob, keyof JobRanges>>(p.outputId, async () => {
    const splitters = await splittersOverRuns(s, p.inputs, s.settings.rangeBytes);
    const deleted = deletedSpan(p.inputs);
    const spec = {
      kind: p.kind,
      strategy: p.strategy,
      purgedAt: p.purgedAt,
      ...(deleted ? { deleted } : {}),
      outputId: p.outputId,
      level: p.outputLevel,
      periodStart: Math.min(...p.inputs.map((r) => r.periodStart)),
      periodEnd: Math.max(...p.inputs.map((r) => r.periodEnd)),
      dropTombstones: p.dropTombstones,
      inputs: [...p.inputs].reverse().map((r) => r.id),
      inputTotal: totalOf(p.inputs),
      inputBytes: p.inputs.reduce((a, r) => a + r.bytes, 0),
      ...(cutoff !== undefined ? { retentionCutoff: cutoff } : {}),
    };
    return { spec, ranges: rangesFrom(splitters) };
  });
  // The ranges still to do, a slice of them in this execution: a large compaction spans executions.
  const todo = rangesToDo(job.rangeCount, await s.jobs.records(job.outputId, 'verify'), (await s.jobs.records(job.outputId, 'failure')).get(0));
  const slice = todo.slice(0, compactionSlice(s.settings));
  return {
    found: true,
    complete: slice.length === todo.length,
    job: { runId: job.outputId, ranges: slice.length, maps: await s.maps.write(job.outputId, { ranges: slice }) },
  };
}

/** Merges one key range of the inputs into the output run, dropping what the policy drops, and records that. */
export async function mergeCompactionRange(s: Stores, runId: string, range: number): Promise<TaskDone> {
  const job = await s.jobs.spec<CompactionJob>(runId);
  const spec = await s.jobs.range(runId, job, range);
  const kr = keyRangeOfSpec(spec);
  const cutoff = job.retentionCutoff !== undefined ? { retentionCutoff: job.retentionCutoff } : {};
  if (job.kind === 'rewrite') {
    // The newer runs as of now (core/compaction.ts, `shadows`); nothing to do once the rewrite is committed.
    const m = await s.manifests.read();
    // A late duplicate of a task after the commit must not rewrite a visible run (with other newer runs, other bytes).
    if (findRun(m, runId)) return { index: range, count: 0 };
    const input = findRun(m, job.inputs[0]!);
    if (!input) throw new ConflictError(`rewrite ${runId}: run ${job.inputs[0]} is no longer in the manifest`);
    const newer = new MergeIterator(shadowsOf(m, input).map((r) => coldScan(s.coldReader, r.id, kr, 'asc')));
    return writeRange(s, runId, spec, new ShadowFilter(coldScan(s.coldReader, input.id, kr, 'asc'), newer, { dropTombstones: job.dropTombstones, ...cutoff }));
  }
  const merge = new MergeIterator(
    job.inputs.map((id) => coldScan(s.coldReader, id, kr, 'asc')),
    { dropTombstones: job.dropTombstones, trackSetsums: 'dropped', ...cutoff },
  );
  return writeRange(s, runId, spec, merge);
}

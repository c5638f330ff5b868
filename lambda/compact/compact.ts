/**
 * Compaction (DESIGN §5.3): the policy picks runs; the merge is range-partitioned at the
 * inputs' index boundaries so each range is one bounded task; verification then checks
 * setsum(inputs) = setsum(output) + setsum(dropped). The job (its ranges) is stored; the
 * state machine keeps its run id, range count and where the Map's items are.
 */
import { coldScan } from '../core/cold-run.ts';
import { LogarithmicPolicy } from '../core/compaction.ts';
import { rangesToDo, totalOf, type CompactionJob, type JobRanges } from '../core/jobs.ts';
import { compactionSlice } from '../core/fan-out.ts';
import { MergeIterator } from '../core/merge.ts';
import { keyRangeOfSpec, rangesFrom } from '../core/key-ranges.ts';
import { retentionCutoff } from '../core/settings.ts';
import { splittersOverRuns } from '../run-ranges.ts';
import { writeRange } from '../run-writer.ts';
import type { Stores } from '../store/stores.ts';
import { type CompactionFound, type TaskDone } from '../task-contract.ts';

export async function planCompaction(s: Stores, nowMs: number): Promise<CompactionFound> {
  const m = await s.manifests.read();
  const p = new LogarithmicPolicy({ fanout: s.settings.fanout, maxLevel: s.settings.maxLevel }).plan(m);
  if (!p) return { found: false };
  const job = await s.jobs.getOrCreate<Omit<CompactionJob, keyof JobRanges>>(p.outputId, async () => {
    const splitters = await splittersOverRuns(s, p.inputs, s.settings.rangeBytes);
    const cutoff = retentionCutoff(s.settings, nowMs);
    const spec = {
      outputId: p.outputId,
      level: p.outputLevel,
      periodStart: Math.min(...p.inputs.map((r) => r.periodStart)),
      periodEnd: Math.max(...p.inputs.map((r) => r.periodEnd)),
      dropTombstones: p.dropTombstones,
      inputs: [...p.inputs].reverse().map((r) => r.id),
      inputTotal: totalOf(p.inputs),
      ...(cutoff !== undefined ? { retentionCutoff: cutoff } : {}),
    };
    return { spec, ranges: rangesFrom(splitters) };
  });
  // The ranges still to do, a slice of them in this execution: a large compaction spans executions.
  const todo = rangesToDo(job.rangeCount, await s.jobs.records(job.outputId, 'verify'), (await s.jobs.records(job.outputId, 'failure')).get(0));
  const slice = todo.slice(0, compactionSlice(s.settings));
  return { found: true, complete: slice.length === todo.length, job: { runId: job.outputId, ranges: slice.length, maps: await s.maps.write(job.outputId, { ranges: slice }) } };
}

/** Merges one key range of the inputs into the output run, dropping what the policy drops, and records that. */
export async function mergeCompactionRange(s: Stores, runId: string, range: number): Promise<TaskDone> {
  const job = await s.jobs.spec<CompactionJob>(runId);
  const spec = await s.jobs.range(runId, job, range);
  const kr = keyRangeOfSpec(spec);
  const merge = new MergeIterator(
    job.inputs.map((id) => coldScan(s.coldReader, id, kr, 'asc')),
    { dropTombstones: job.dropTombstones, trackSetsums: 'dropped', ...(job.retentionCutoff !== undefined ? { retentionCutoff: job.retentionCutoff } : {}) },
  );
  return writeRange(s, runId, spec, merge);
}

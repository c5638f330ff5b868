/**
 * The one partitioned run writer of offload, compaction and import: a key range of a new run
 * is written from a sorted merge of its sources (spills of every scan segment or import
 * chunk, or the input runs' slices), and recorded in the job (core/jobs.ts) with what the
 * merge dropped, which verification subtracts.
 */
import { scanBlob } from './core/blob-reader.ts';
import type { MergeRecord } from './core/jobs.ts';
import type { MergeIterator, Source } from './core/merge.ts';
import type { RangeSpec } from './core/key-ranges.ts';
import { OBJECTS } from './core/schema.ts';
import { spillName } from './core/spill-sort.ts';
import type { Stores } from './store/stores.ts';
import type { TaskDone } from './task-contract.ts';

/** The spills every task (scan segment, import chunk) wrote for one range, as merge sources. */
export async function spillSources(s: Stores, runId: string, range: number, tasks: readonly { readonly spills: readonly number[] }[]): Promise<Source[]> {
  const names = tasks.flatMap((t, task) => Array.from({ length: t.spills[range] ?? 0 }, (_, n) => spillName(OBJECTS.spill(runId, range, task), n)));
  return Promise.all(names.map(async (n) => scanBlob(await s.spills.open(n))));
}

/** Writes the range's blobs and index items from `merge` (invisible until committed), and records them. */
export async function writeRange(s: Stores, runId: string, range: RangeSpec, merge: MergeIterator): Promise<TaskDone> {
  const w = await s.cold.writeRun(runId, merge, { blockBytes: s.settings.blockBytes, blobBytes: s.settings.blobBytes }, range);
  const d = merge.stats.dropped;
  const record: MergeRecord = {
    count: w.count,
    setsum: w.setsum.hexdigest(),
    bytes: w.bytes,
    blobs: w.blobs,
    dropped: { count: d.count, setsum: d.setsum.hexdigest() },
    minSeq: w.count > 0 ? w.minSeq : 0,
    maxSeq: w.count > 0 ? w.maxSeq : 0,
  };
  await s.jobs.putRecord(runId, 'merge', range.index, record);
  return { index: range.index, count: w.count };
}

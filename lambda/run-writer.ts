/**
 * The partitioned run writing of offload, compaction and import, once: a task that reads
 * records (a scan segment, an import chunk) spills them sorted per key range
 * (`RangeSpiller`); a key range of the new run is written from a sorted merge of its sources
 * (every task's spills of that range, or the input runs' slices) and recorded in the job
 * (core/jobs.ts) with what the merge dropped, which verification subtracts.
 */
import { scanBlob } from './core/blob-reader.ts';
import type { MergeRecord, Tally } from './core/jobs.ts';
import { rangeOf, splittersOf } from './core/key-ranges.ts';
import type { MergeIterator, Source } from './core/merge.ts';
import type { RangeSpec } from './core/key-ranges.ts';
import type { Entry } from './core/record.ts';
import { Setsum } from './core/setsum.ts';
import { OBJECTS } from './core/schema.ts';
import { spillName, SpillSorter, sorterBudget } from './core/spill-sort.ts';
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

/**
 * One task's records, sorted and spilled per key range of its job under
 * `spills/<run>/range-<r>/seg-<task>/`, within `taskBytes` of memory in all. With
 * `trackDuplicates`, versions of one key met in this task are dropped and tallied (imports;
 * a table holds one version per key).
 */
export class RangeSpiller {
  private readonly splitters: Buffer[];
  private readonly sorters: SpillSorter[];

  constructor(s: Stores, runId: string, ranges: readonly RangeSpec[], task: number, taskBytes: number, trackDuplicates = false) {
    this.splitters = splittersOf(ranges);
    const memoryBytes = sorterBudget(taskBytes, ranges.length);
    this.sorters = ranges.map((r) => new SpillSorter(s.spills, { prefix: OBJECTS.spill(runId, r.index, task), memoryBytes, trackSetsums: trackDuplicates }));
  }

  add(e: Entry): Promise<void> {
    return this.sorters[rangeOf(e.key, this.splitters)]!.add(e);
  }

  /** Spills what is held; how many spills each range got, and the duplicates dropped. */
  async finish(): Promise<{ spills: number[]; duplicates: Tally }> {
    const spills: number[] = [];
    const dup = new Setsum();
    let count = 0;
    for (const sorter of this.sorters) {
      spills.push((await sorter.flush()).length);
      dup.add(sorter.duplicates.setsum);
      count += sorter.duplicates.count;
    }
    return { spills, duplicates: { count, setsum: dup.hexdigest() } };
  }
}

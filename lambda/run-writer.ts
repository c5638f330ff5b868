/**
 * The partitioned run writing of offload, compaction and import, once: a task that reads
 * records (a scan segment, an import chunk) spills them sorted per key range
 * (`RangeSpiller`); a key range of the new run is written from a sorted merge of its sources
 * (every task's spills of that range, or the input runs' slices) and recorded in the job
 * (core/jobs.ts) with what the merge dropped, which verification subtracts.
 */
import { scanBlob } from './core/blob-reader.ts';
import type { MergeRecord } from './core/jobs.ts';
import type { Tally } from './core/tally.ts';
import { rangeOf, splittersOf } from './core/key-ranges.ts';
import { MergeIterator, type MergeOptions, type RunningTally, type Source } from './core/merge.ts';
import { BlobWriter } from './core/blob-writer.ts';
import type { RangeSpec } from './core/key-ranges.ts';
import type { Entry } from './core/record.ts';
import type { Batched } from './core/source.ts';
import { Setsum } from './core/setsum.ts';
import { OBJECTS } from './core/schema.ts';
import { SPILL_FORMAT, spillName, SpillSorter, sorterBudget } from './core/spill-sort.ts';
import type { Stores } from './store/stores.ts';
import type { TaskDone } from './task-contract.ts';

/**
 * Spills merged at once at most: each holds a chunk of its spill and a decoded block (about
 * 128 KiB), and a range gets one spill per task per sorter flush, so a terabyte period has
 * thousands. A range with more is merged in two passes: groups into intermediate spills, then
 * those, reading its data twice.
 */
export const MAX_MERGE_SOURCES = 512;

/**
 * The merge of the spills every task (scan segment, import chunk) wrote for one range, and
 * what a first pass dropped (with `opts.trackSetsums`), which the range's record adds to the
 * final merge's.
 */
export async function mergeSpills(
  s: Pick<Stores, 'spills'>,
  runId: string,
  range: number,
  tasks: readonly { readonly spills: readonly number[] }[],
  opts: MergeOptions = {},
  maxSources = MAX_MERGE_SOURCES,
): Promise<{ merge: MergeIterator; earlier: RunningTally }> {
  const open = (names: readonly string[]): Promise<Source[]> => Promise.all(names.map(async (n) => scanBlob(await s.spills.open(n))));
  const names = tasks.flatMap((t, task) => Array.from({ length: t.spills[range] ?? 0 }, (_, n) => spillName(OBJECTS.spill(runId, range, task), n)));
  const earlier: RunningTally = { count: 0, setsum: new Setsum() };
  let sources = names;
  if (names.length > maxSources) {
    sources = [];
    for (let g = 0; g * maxSources < names.length; g++) {
      const pass = new MergeIterator(await open(names.slice(g * maxSources, (g + 1) * maxSources)), opts);
      const name = spillName(OBJECTS.spillPass(runId, range), g);
      const w = new BlobWriter(() => name, SPILL_FORMAT);
      for await (const batch of pass.batches()) for (const e of batch) w.add(e);
      const blob = w.finish();
      if (blob) {
        await s.spills.put(name, blob.bytes);
        sources.push(name);
      }
      earlier.setsum.add(pass.stats.dropped.setsum);
      earlier.count += pass.stats.dropped.count;
    }
  }
  return { merge: new MergeIterator(await open(sources), opts), earlier };
}

/** Writes the range's blobs and index items from `merge` (invisible until committed), and records them with what it and an `earlier` pass dropped. */
/** What a range is written from: sorted records, and what was left out of them on the way (hashed). */
export type RangeSource = Batched & { readonly stats: { readonly dropped: RunningTally } };

export async function writeRange(s: Stores, runId: string, range: RangeSpec, merge: RangeSource, earlier?: RunningTally): Promise<TaskDone> {
  const w = await s.coldWriter.writeRun(runId, merge, { blockBytes: s.settings.blockBytes, blobBytes: s.settings.blobBytes }, range);
  const m = merge.stats.dropped;
  const d = earlier ? { count: m.count + earlier.count, setsum: m.setsum.clone().add(earlier.setsum) } : m;
  const record: MergeRecord = {
    count: w.count,
    setsum: w.setsum.hexdigest(),
    bytes: w.bytes,
    blobs: w.blobs,
    dropped: { count: d.count, setsum: d.setsum.hexdigest() },
    minSeq: w.minSeq,
    maxSeq: w.maxSeq,
    at: Date.now(),
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

  /** `spilled`: spills per range an earlier attempt of the task wrote and recorded, to go on after. */
  constructor(s: Stores, runId: string, ranges: readonly RangeSpec[], task: number, taskBytes: number, trackDuplicates = false, spilled?: readonly number[]) {
    this.splitters = splittersOf(ranges);
    const memoryBytes = sorterBudget(taskBytes, ranges.length);
    this.sorters = ranges.map(
      (r, i) =>
        new SpillSorter(s.spills, { prefix: OBJECTS.spill(runId, r.index, task), memoryBytes, trackSetsums: trackDuplicates, spilled: spilled?.[i] ?? 0 }),
    );
  }

  /** Spills what is held, so every record added is in a stored spill; how many spills each range has. */
  async flush(): Promise<number[]> {
    const spills: number[] = [];
    for (const sorter of this.sorters) spills.push((await sorter.flush()).length);
    return spills;
  }

  /** Buffers a record; a promise only when its range's buffer filled and is being spilled. */
  add(e: Entry): Promise<void> | undefined {
    return this.sorters[rangeOf(e.key, this.splitters)]!.add(e);
  }

  /** Spills what is held; how many spills each range got, and the duplicates dropped. */
  async finish(): Promise<{ spills: number[]; duplicates: Tally }> {
    const spills = await this.flush();
    const dup = new Setsum();
    let count = 0;
    for (const sorter of this.sorters) {
      dup.add(sorter.duplicates.setsum);
      count += sorter.duplicates.count;
    }
    return { spills, duplicates: { count, setsum: dup.hexdigest() } };
  }
}

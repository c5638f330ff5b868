/**
 * External sort with bounded memory: records are buffered up to `memoryBytes`, sorted,
 * and written as a spill (a blob in the run format: compressed, checksummed); at the end
 * the spills are merged, newest version per key winning. Offload routes each scanned
 * segment through one sorter per key range; imports use it the same way.
 */
import type { BlobSource } from './blob-reader.ts';
import { memoryBlob, scanBlob } from './blob-reader.ts';
import { BlobWriter } from './blob-writer.ts';
import { compareKeys } from './keys.ts';
import { MergeIterator, type MergeStats, type RunningTally } from './merge.ts';
import type { Batched, Source } from './source.ts';
import { entrySize, type Entry } from './record.ts';
import { Setsum } from './setsum.ts';

/** Where spills go: S3 on AWS, memory or a directory in tests. */
export interface SpillStore {
  put(name: string, bytes: Buffer): Promise<void>;
  open(name: string): Promise<BlobSource>;
}

export interface SpillSortOptions {
  /** Spill names are `${prefix}/${n}.spill`. */
  prefix: string;
  /** Raw record bytes held before a spill is written. */
  memoryBytes: number;
  trackSetsums?: boolean;
  /** Spills `0..n-1` under the prefix are an earlier attempt's, kept (it recorded where it was): go on after them. */
  spilled?: number;
}

/** The least a sorter holds before it spills, unless the whole budget is smaller: below this, spills are more request than data. */
export const MIN_SPILL_BYTES = 64 * 1024;

/**
 * What each of a task's sorters (one per key range) may hold: the task's budget split
 * evenly, at least 64 KiB or the whole budget if smaller. Production settings give
 * megabytes; tiny settings (tests) give many small spills.
 */
export const sorterBudget = (taskBytes: number, ranges: number): number => Math.floor(Math.max(Math.min(MIN_SPILL_BYTES, taskBytes), taskBytes / ranges));

/** The `n`th spill a sorter with this prefix writes (spills are numbered from 0, without gaps). */
export const spillName = (prefix: string, n: number): string => `${prefix}/${String(n).padStart(6, '0')}.spill`;

/** A spill is one blob of sorted records: fast compression, no setsum (the tasks tally what they read). */
export const SPILL_FORMAT = { blobBytes: Number.POSITIVE_INFINITY, setsum: false, zstdLevel: 1 } as const;

/** Sorts by key, newest first among equal keys. */
export function compareEntries(a: Entry, b: Entry): number {
  return compareKeys(a.key, b.key) || b.seq - a.seq;
}

export class SpillSorter {
  readonly spills: string[] = [];
  private buffer: Entry[] = [];
  private bufferBytes = 0;
  private readonly store: SpillStore;
  private readonly opts: SpillSortOptions;
  private readonly input: RunningTally = { count: 0, setsum: new Setsum() };
  /** Versions dropped while deduplicating a buffer (the merge counts the rest). */
  private readonly shadowed: RunningTally = { count: 0, setsum: new Setsum() };

  constructor(store: SpillStore, opts: SpillSortOptions) {
    this.store = store;
    this.opts = opts;
    for (let n = 0; n < (opts.spilled ?? 0); n++) this.spills.push(spillName(opts.prefix, n));
  }

  /** Buffers a record; a promise (to await before the next add) only when the buffer is full and spills. */
  add(e: Entry): Promise<void> | undefined {
    this.buffer.push(e);
    this.bufferBytes += entrySize(e);
    this.input.count++;
    if (this.opts.trackSetsums) this.input.setsum.insertEntry(e);
    return this.bufferBytes >= this.opts.memoryBytes ? this.spill() : undefined;
  }

  /** Sorts the buffer and keeps the newest version of each key. */
  private sortedBuffer(): Entry[] {
    const sorted = this.buffer.sort(compareEntries);
    const out: Entry[] = [];
    for (const e of sorted) {
      const prev = out[out.length - 1];
      if (prev && prev.key.equals(e.key)) {
        this.shadowed.count++;
        if (this.opts.trackSetsums) this.shadowed.setsum.insertEntry(e);
      } else {
        out.push(e);
      }
    }
    this.buffer = [];
    this.bufferBytes = 0;
    return out;
  }

  private async spill(): Promise<void> {
    const name = spillName(this.opts.prefix, this.spills.length);
    const w = new BlobWriter(() => name, SPILL_FORMAT);
    for (const e of this.sortedBuffer()) w.add(e);
    const blob = w.finish();
    if (!blob) return;
    await this.store.put(name, blob.bytes);
    this.spills.push(name);
  }

  /** Versions dropped so far while deduplicating buffers (complete after `flush`). */
  get duplicates(): Readonly<RunningTally> {
    return this.shadowed;
  }

  /** Spills whatever is buffered, so that every record added is in a stored spill. */
  async flush(): Promise<string[]> {
    if (this.buffer.length > 0) await this.spill();
    return this.spills;
  }

  /**
   * The sorted, deduplicated output. Spills are read back block by block, so memory is
   * one buffer plus a few blocks per spill. `stats` is complete once iteration ends.
   */
  async finish(opts: { dropTombstones?: boolean } = {}): Promise<SortedOutput> {
    const sources: Source[] = [];
    const inMemory = this.sortedBuffer();
    if (this.spills.length > 0 && inMemory.length > 0) {
      // Spill the remainder too, so every source is equally cheap to hold.
      this.buffer = inMemory;
      await this.spill();
    } else if (inMemory.length > 0) {
      sources.push(inMemory);
    }
    for (const name of this.spills) {
      const src = await this.store.open(name);
      sources.push(scanBlob(src));
    }
    const merge = new MergeIterator(sources, {
      trackSetsums: this.opts.trackSetsums ? 'dropped' : false,
      dropTombstones: opts.dropTombstones ?? false,
    });
    return new SortedOutput(merge, this.input, this.shadowed);
  }
}

export class SortedOutput implements AsyncIterable<Entry>, Batched {
  private readonly merge: MergeIterator;
  private readonly input: RunningTally;
  private readonly shadowed: RunningTally;

  constructor(merge: MergeIterator, input: RunningTally, shadowed: RunningTally) {
    this.merge = merge;
    this.input = input;
    this.shadowed = shadowed;
  }

  [Symbol.asyncIterator](): AsyncIterator<Entry> {
    return this.merge[Symbol.asyncIterator]();
  }

  batches(): AsyncIterable<readonly Entry[]> {
    return this.merge.batches();
  }

  /** Input as added, output as yielded, and everything dropped in between. */
  get stats(): MergeStats {
    const m = this.merge.stats;
    const droppedSetsum = m.dropped.setsum.clone().add(this.shadowed.setsum);
    return {
      input: this.input,
      output: { count: m.output.count, setsum: this.input.setsum.clone().subtract(droppedSetsum) },
      dropped: {
        ...m.dropped,
        count: m.dropped.count + this.shadowed.count,
        setsum: droppedSetsum,
        shadowed: m.dropped.shadowed + this.shadowed.count,
      },
    };
  }
}

/** A SpillStore in memory (tests and small local runs). */
export class MemorySpillStore implements SpillStore {
  readonly objects = new Map<string, Buffer>();

  async put(name: string, bytes: Buffer): Promise<void> {
    this.objects.set(name, bytes);
  }

  async open(name: string): Promise<BlobSource> {
    const bytes = this.objects.get(name);
    if (!bytes) throw new Error(`no spill ${name}`);
    return memoryBlob(name, bytes);
  }
}

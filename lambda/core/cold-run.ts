/**
 * Reading one cold run: LevelDB's two-level iterator over the sparse index (DynamoDB items)
 * and blocks (ranged S3 reads). The I/O is behind `ColdRunIO`; this module decides which
 * index entry, which blocks, and which records.
 */
import { readBlock, scanBlocks, type BlobSource, type Direction } from './blob-reader.ts';
import { compareKeys } from './keys.ts';
import { inRange, type KeyRange } from './partition-query.ts';
import type { Entry } from './record.ts';
import type { Batched } from './source.ts';
import { entryMayContain, findBlock, partitionFence, type IndexEntry } from './sparse-index.ts';

export interface ColdRunIO {
  /** The run's index entry with the greatest first key <= key (one Query, Limit 1). */
  floorEntry(runId: string, key: Buffer): Promise<IndexEntry | undefined>;
  /** The run's index entries that may hold keys of the range, in the given order. */
  entries(runId: string, range: KeyRange, direction: Direction): AsyncIterable<IndexEntry>;
  /** Ranged reads of one of the run's blobs. */
  blob(runId: string, blob: string): Pick<BlobSource, 'name' | 'read'>;
}

function findIn(entries: readonly Entry[], key: Buffer): Entry | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(entries[mid]!.key, key);
    if (c === 0) return entries[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** A point read: one index query; then, unless the bloom filter rules it out, one block read. */
export async function coldGet(io: ColdRunIO, runId: string, key: Buffer): Promise<Entry | undefined> {
  const ie = await io.floorEntry(runId, key);
  if (!ie || !entryMayContain(ie, key)) return undefined;
  const bi = findBlock(ie.blocks, key);
  if (bi < 0) return undefined;
  return findIn(await readBlock(io.blob(runId, ie.blob), bi, ie.blocks[bi]!), key);
}

export interface ColdScanOptions {
  /**
   * The partition (`pk 0x00`) every key of the range is in: index entries whose bloom filter
   * holds no key of it are skipped without a GET.
   */
  readonly partition?: Buffer;
}

/**
 * Records of the run within the range, in order, a block at a time; blocks are read several
 * at a time. Before reading any block, `bound()` tells a merge where the first record can
 * be (from the index alone), so that a merge reads this run only once its turn comes: a short
 * query over many runs reads the blocks of the runs that hold its answer, not of every run.
 */
export class ColdScan implements AsyncIterable<Entry>, Batched {
  private readonly io: ColdRunIO;
  private readonly runId: string;
  private readonly range: KeyRange;
  private readonly direction: Direction;
  private readonly partition: Buffer | undefined;
  private entries: AsyncIterator<IndexEntry> | undefined;
  /** The first entry to read, once bound() has looked for it. */
  private head: IteratorResult<{ ie: IndexEntry; first: Buffer; last: Buffer }> | undefined;

  constructor(io: ColdRunIO, runId: string, range: KeyRange, direction: Direction, opts: ColdScanOptions = {}) {
    this.io = io;
    this.runId = runId;
    this.range = range;
    this.direction = direction;
    this.partition = opts.partition;
  }

  /**
   * The next index entry that may hold records of the range (and partition), with the keys
   * its records in range lie between (the entry's, narrowed by the partition's fence).
   */
  private async nextEntry(): Promise<IteratorResult<{ ie: IndexEntry; first: Buffer; last: Buffer }>> {
    this.entries ??= this.io.entries(this.runId, this.range, this.direction)[Symbol.asyncIterator]();
    for (;;) {
      const r = await this.entries.next();
      if (r.done) return r;
      const ie = r.value;
      const fence = this.partition ? partitionFence(ie, this.partition) : undefined;
      if (fence === null) continue;
      const first = fence?.first ?? ie.firstKey;
      const last = fence?.last ?? ie.lastKey;
      if (compareKeys(last, this.range.lo) < 0 || compareKeys(first, this.range.hi) >= 0) continue;
      return { done: false, value: { ie, first, last } };
    }
  }

  /**
   * No record of the scan comes before this key (after it, descending); undefined when the
   * run holds none. Costs index reads only.
   */
  async bound(): Promise<Buffer | undefined> {
    this.head ??= await this.nextEntry();
    if (this.head.done) return undefined;
    const { first, last } = this.head.value;
    if (this.direction === 'asc') return compareKeys(first, this.range.lo) > 0 ? first : this.range.lo;
    return compareKeys(last, this.range.hi) < 0 ? last : this.range.hi;
  }

  async *batches(): AsyncGenerator<readonly Entry[]> {
    const { range, direction } = this;
    let r = this.head ?? (await this.nextEntry());
    this.head = undefined;
    for (; !r.done; r = await this.nextEntry()) {
      const { ie } = r.value;
      const fromBlock = Math.max(0, findBlock(ie.blocks, range.lo));
      let toBlock = ie.blocks.length - 1;
      while (toBlock > fromBlock && compareKeys(ie.blocks[toBlock]!.firstKey, range.hi) >= 0) toBlock--;
      for await (const block of scanBlocks(this.io.blob(this.runId, ie.blob), ie.blocks, { direction, fromBlock, toBlock }).batches()) {
        if (inRange(block[0]!.key, range) && inRange(block[block.length - 1]!.key, range)) {
          yield block;
          continue;
        }
        // Only the first and last blocks reach outside the range; a block is sorted, so what
        // is inside is one stretch of it.
        let first = 0;
        while (first < block.length && !inRange(block[first]!.key, range)) first++;
        let end = first;
        while (end < block.length && inRange(block[end]!.key, range)) end++;
        if (end > first) yield block.slice(first, end);
        if (end < block.length && first < block.length) return;
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Entry> {
    for await (const b of this.batches()) yield* b;
  }
}

/** Records of the run within the range, in order (see ColdScan). */
export function coldScan(io: ColdRunIO, runId: string, range: KeyRange, direction: Direction, opts: ColdScanOptions = {}): ColdScan {
  return new ColdScan(io, runId, range, direction, opts);
}

/**
 * Reading one cold run: LevelDB's two-level iterator over the sparse index (DynamoDB items)
 * and blocks (ranged S3 reads). The I/O is behind `ColdRunIO`; this module decides which
 * index entry, which blocks, and which records.
 */
import { readBlock, scanBlocks, type BlobSource, type Direction } from './blob-reader.ts';
import { compareKeys } from './keys.ts';
import { inRange, type KeyRange } from './partition-query.ts';
import type { Entry } from './record.ts';
import { BatchStream } from './source.ts';
import { entryMayContain, findBlock, type IndexEntry } from './sparse-index.ts';

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

/** Records of the run within the range, in order, a block at a time; blocks are read several at a time. */
export function coldScan(io: ColdRunIO, runId: string, range: KeyRange, direction: Direction): BatchStream {
  return new BatchStream(async function* () {
    for await (const ie of io.entries(runId, range, direction)) {
      if (compareKeys(ie.lastKey, range.lo) < 0 || compareKeys(ie.firstKey, range.hi) >= 0) continue;
      const fromBlock = Math.max(0, findBlock(ie.blocks, range.lo));
      let toBlock = ie.blocks.length - 1;
      while (toBlock > fromBlock && compareKeys(ie.blocks[toBlock]!.firstKey, range.hi) >= 0) toBlock--;
      for await (const block of scanBlocks(io.blob(runId, ie.blob), ie.blocks, { direction, fromBlock, toBlock }).batches()) {
        // Only the first and last blocks reach outside the range; a block is sorted, so what
        // is inside is one stretch of it.
        if (inRange(block[0]!.key, range) && inRange(block[block.length - 1]!.key, range)) {
          yield block;
          continue;
        }
        let first = 0;
        while (first < block.length && !inRange(block[first]!.key, range)) first++;
        let end = first;
        while (end < block.length && inRange(block[end]!.key, range)) end++;
        if (end > first) yield block.slice(first, end);
        if (end < block.length && first < block.length) return;
      }
    }
  });
}

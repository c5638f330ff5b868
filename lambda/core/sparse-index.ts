/**
 * Sparse-index entries: the DynamoDB items that make a cold point read one small query plus
 * one ranged GET. An entry covers consecutive blocks of one blob (at most
 * indexEntryMaxBlocks blocks or indexEntryMaxRecords records) and carries their handles
 * and a bloom filter of their keys, so an item stays a few KiB however large the blob.
 * Its sort key in the index table is its first key.
 */
import { BloomFilter } from './bloom.ts';
import { readHandle, writeHandle, type BlockHandle } from './blob-format.ts';
import { ByteReader, ByteWriter, Truncated } from './bytes.ts';
import { CorruptionError } from './errors.ts';
import { compareKeys } from './keys.ts';

/** Version 1: no partition fences; version 2 adds them (an empty list: too many partitions to keep). */
const VERSION = 2;

/**
 * An entry keeps the first and last key of each partition it holds, up to this many: a short
 * query in one partition then knows, before any GET, whether a run holds records of it in
 * range and where they start, so a merge over many runs reads only the runs its answer is in.
 */
export const MAX_PARTITION_FENCES = 32;

/** The first and last key of one partition's records within an index entry. */
export interface PartitionFence {
  readonly first: Buffer;
  readonly last: Buffer;
}

export interface IndexEntry {
  /** The blob's name within its run (see blobKey in the store). */
  readonly blob: string;
  readonly firstKey: Buffer;
  readonly lastKey: Buffer;
  readonly count: number;
  /** Compressed bytes of the covered blocks. */
  readonly bytes: number;
  readonly blocks: readonly BlockHandle[];
  readonly bloom: BloomFilter;
  /** Each partition's key bounds, in key order; undefined when the entry holds too many partitions (or predates fences). */
  readonly partitions?: readonly PartitionFence[];
}

export function serializeIndexEntry(e: IndexEntry): Buffer {
  const w = new ByteWriter(512 + e.blocks.length * 48);
  w.u8(VERSION).bytes(Buffer.from(e.blob, 'utf8')).bytes(e.firstKey).bytes(e.lastKey);
  w.varint(e.count).varint(e.bytes).varint(e.blocks.length);
  for (const h of e.blocks) writeHandle(w, h);
  w.bytes(e.bloom.serialize());
  w.varint(e.partitions?.length ?? 0);
  for (const f of e.partitions ?? []) w.bytes(f.first).bytes(f.last);
  return w.finish();
}

export function deserializeIndexEntry(bytes: Uint8Array): IndexEntry {
  try {
    const r = new ByteReader(bytes);
    const version = r.u8('index version');
    if (version !== 1 && version !== VERSION) throw new CorruptionError('index entry', undefined, `unknown index entry version ${version}`, '');
    const blob = r.bytes('blob name').toString('utf8');
    const firstKey = Buffer.from(r.bytes('first key'));
    const lastKey = Buffer.from(r.bytes('last key'));
    const count = r.varint();
    const bytesLen = r.varint();
    const n = r.varint();
    const blocks: BlockHandle[] = [];
    for (let i = 0; i < n; i++) blocks.push(readHandle(r));
    const bloom = BloomFilter.deserialize(r.bytes('bloom'));
    const partitions: PartitionFence[] = [];
    const fences = version === 1 ? 0 : r.varint('partition count');
    for (let i = 0; i < fences; i++) partitions.push({ first: Buffer.from(r.bytes('partition first key')), last: Buffer.from(r.bytes('partition last key')) });
    if (r.remaining !== 0) throw new CorruptionError('index entry', undefined, 'trailing bytes in index entry', '');
    return { blob, firstKey, lastKey, count, bytes: bytesLen, blocks, bloom, ...(fences > 0 ? { partitions } : {}) };
  } catch (err) {
    if (err instanceof Truncated) throw new CorruptionError('index entry', undefined, `index entry: ${err.message}`, '');
    throw err;
  }
}

/** Index of the block that may hold `key` (the last whose first key <= key), or -1. */
export function findBlock(blocks: readonly BlockHandle[], key: Uint8Array): number {
  let lo = 0;
  let hi = blocks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(blocks[mid]!.firstKey, key) <= 0) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Where the entry's records of a partition (`pk 0x00`) lie: its fence; null when it holds
 * none (by its fences, or its filter); undefined when it cannot tell.
 */
export function partitionFence(e: IndexEntry, prefix: Uint8Array): PartitionFence | null | undefined {
  if (e.partitions) {
    const p = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
    return e.partitions.find((f) => f.first.length >= p.length && f.first.compare(p, 0, p.length, 0, p.length) === 0) ?? null;
  }
  return e.bloom.mayContainPrefix(prefix) ? undefined : null;
}

/** Whether `key` can be in the entry: inside its key range and passing its bloom filter. */
export function entryMayContain(e: IndexEntry, key: Uint8Array): boolean {
  return compareKeys(key, e.firstKey) >= 0 && compareKeys(key, e.lastKey) <= 0 && e.bloom.mayContain(key);
}

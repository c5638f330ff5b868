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

const VERSION = 1;

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
}

export function serializeIndexEntry(e: IndexEntry): Buffer {
  const w = new ByteWriter(512 + e.blocks.length * 48);
  w.u8(VERSION).bytes(Buffer.from(e.blob, 'utf8')).bytes(e.firstKey).bytes(e.lastKey);
  w.varint(e.count).varint(e.bytes).varint(e.blocks.length);
  for (const h of e.blocks) writeHandle(w, h);
  w.bytes(e.bloom.serialize());
  return w.finish();
}

export function deserializeIndexEntry(bytes: Uint8Array): IndexEntry {
  try {
    const r = new ByteReader(bytes);
    const version = r.u8('index version');
    if (version !== VERSION) throw new CorruptionError('index entry', undefined, `unknown index entry version ${version}`, '');
    const blob = r.bytes('blob name').toString('utf8');
    const firstKey = Buffer.from(r.bytes('first key'));
    const lastKey = Buffer.from(r.bytes('last key'));
    const count = r.varint();
    const bytesLen = r.varint();
    const n = r.varint();
    const blocks: BlockHandle[] = [];
    for (let i = 0; i < n; i++) blocks.push(readHandle(r));
    const bloom = BloomFilter.deserialize(r.bytes('bloom'));
    if (r.remaining !== 0) throw new CorruptionError('index entry', undefined, 'trailing bytes in index entry', '');
    return { blob, firstKey, lastKey, count, bytes: bytesLen, blocks, bloom };
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

/** Whether `key` can be in the entry: inside its key range and passing its bloom filter. */
export function entryMayContain(e: IndexEntry, key: Uint8Array): boolean {
  return compareKeys(key, e.firstKey) >= 0 && compareKeys(key, e.lastKey) <= 0 && e.bloom.mayContain(key);
}

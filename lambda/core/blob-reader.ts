/**
 * Reading blobs through ranged reads: the footer from the tail, one block from its handle
 * alone (a point read), and whole-blob scans in either direction that fetch several blocks
 * per read and keep one read ahead (compaction, verification, range queries).
 */
import { decodeBlockBytes, decodeFooter, footerLength, TRAILER_BYTES, type BlobFooter, type BlockHandle } from './blob-format.ts';
import type { Entry } from './record.ts';
import { BatchStream } from './source.ts';

/** Reads `length` bytes at `offset`; the S3 adapter does it with one ranged GET. */
export type RangeReader = (offset: number, length: number) => Promise<Buffer>;

export interface BlobSource {
  readonly name: string;
  readonly size: number;
  readonly read: RangeReader;
}

export type Direction = 'asc' | 'desc';

/** Reads and checks the footer: one read of the tail, a second only for a large footer. */
export async function readFooter(src: BlobSource, tailGuess = 64 * 1024): Promise<BlobFooter> {
  const first = Math.min(src.size, tailGuess);
  let tail = await src.read(src.size - first, first);
  const need = footerLength(src.name, tail.subarray(Math.max(0, tail.length - TRAILER_BYTES))) + TRAILER_BYTES;
  if (need > tail.length && need <= src.size) tail = await src.read(src.size - need, need);
  return decodeFooter(src.name, tail, src.size);
}

export async function readBlock(src: Pick<BlobSource, 'name' | 'read'>, index: number, h: BlockHandle): Promise<Entry[]> {
  return decodeBlockBytes(src.name, index, h, await src.read(h.offset, h.length));
}

/** Consecutive blocks fetched with one read. */
interface Chunk {
  readonly first: number;
  readonly last: number;
}

function chunksOf(blocks: readonly BlockHandle[], chunkBytes: number): Chunk[] {
  const out: Chunk[] = [];
  let first = 0;
  let bytes = 0;
  blocks.forEach((h, i) => {
    bytes += h.length;
    if (bytes >= chunkBytes || i === blocks.length - 1) {
      out.push({ first, last: i });
      first = i + 1;
      bytes = 0;
    }
  });
  return out;
}

export interface ScanOptions {
  direction?: Direction;
  /** Bytes per read (several blocks); the next read is issued while this one is decoded. */
  chunkBytes?: number;
  /** Blocks to scan, as indexes into the footer's (default all). */
  fromBlock?: number;
  toBlock?: number;
}

/** Every record of the given blocks, in key order or its reverse, a block at a time. */
export function scanBlocks(src: Pick<BlobSource, 'name' | 'read'>, blocks: readonly BlockHandle[], opts: ScanOptions = {}): BatchStream {
  return new BatchStream(() => blockBatches(src, blocks, opts));
}

async function* blockBatches(src: Pick<BlobSource, 'name' | 'read'>, blocks: readonly BlockHandle[], opts: ScanOptions): AsyncGenerator<readonly Entry[]> {
  const dir = opts.direction ?? 'asc';
  const from = opts.fromBlock ?? 0;
  const to = opts.toBlock ?? blocks.length - 1;
  const selected = blocks.slice(from, to + 1);
  const chunks = chunksOf(selected, opts.chunkBytes ?? 1024 * 1024);
  if (dir === 'desc') chunks.reverse();
  const fetch = (c: Chunk): Promise<Buffer> => {
    const start = selected[c.first]!.offset;
    const end = selected[c.last]!.offset + selected[c.last]!.length;
    return src.read(start, end - start);
  };
  let pending = chunks.length > 0 ? fetch(chunks[0]!) : undefined;
  for (let ci = 0; ci < chunks.length; ci++) {
    const c = chunks[ci]!;
    const bytes = await pending!;
    pending = ci + 1 < chunks.length ? fetch(chunks[ci + 1]!) : undefined;
    // Keep a rejected read-ahead from surfacing as unhandled if the consumer stops early.
    pending?.catch(() => undefined);
    const base = selected[c.first]!.offset;
    const order = [];
    for (let i = c.first; i <= c.last; i++) order.push(i);
    if (dir === 'desc') order.reverse();
    for (const i of order) {
      const h = selected[i]!;
      const entries = decodeBlockBytes(src.name, from + i, h, bytes.subarray(h.offset - base, h.offset - base + h.length));
      if (dir === 'desc') entries.reverse();
      if (entries.length > 0) yield entries;
    }
  }
}

/** Reads the footer, then every record of the blob. */
export function scanBlob(src: BlobSource, opts: ScanOptions = {}): BatchStream {
  return new BatchStream(async function* () {
    const footer = await readFooter(src);
    yield* blockBatches(src, footer.blocks, opts);
  });
}

/** A BlobSource over bytes in memory (tests, spills held locally). */
export function memoryBlob(name: string, bytes: Buffer): BlobSource {
  return {
    name,
    size: bytes.length,
    read: async (offset, length) => {
      if (offset < 0 || offset + length > bytes.length) throw new RangeError(`read ${offset}+${length} outside ${name}`);
      return bytes.subarray(offset, offset + length);
    },
  };
}

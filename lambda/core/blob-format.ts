/**
 * Blob layout (docs/design.md §3), modelled on LevelDB's table format:
 *
 *   [block 0] ... [block n-1] [footer] [u32 footer length] [u32 footer crc32] ["ALKIBLB1"]
 *
 * Blocks are zstd-compressed. The footer holds the format version, record count, setsum,
 * the blob's first and last key, and one handle per block (first key, offset, length,
 * record count, crc32 of the compressed bytes). A handle is all a reader needs to fetch
 * and check one block with one ranged read.
 */
import { crc32, constants as zc, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { decodeBlock } from './block.ts';
import { ByteReader, ByteWriter, Truncated } from './bytes.ts';
import { CorruptionError } from './errors.ts';
import { compareKeys } from './keys.ts';
import type { Entry } from './record.ts';
import { Setsum } from './setsum.ts';

export const FORMAT_VERSION = 1;
export const BLOB_MAGIC = Buffer.from('ALKIBLB1', 'latin1');
/** Footer length, footer crc, magic. */
export const TRAILER_BYTES = 4 + 4 + BLOB_MAGIC.length;

export interface BlockHandle {
  readonly firstKey: Buffer;
  /** Byte offset of the compressed block within its blob. */
  readonly offset: number;
  /** Compressed length. */
  readonly length: number;
  readonly count: number;
  /** crc32 of the compressed bytes. */
  readonly crc: number;
}

export interface BlobFooter {
  readonly version: number;
  readonly count: number;
  readonly setsum: Setsum;
  readonly firstKey: Buffer;
  readonly lastKey: Buffer;
  readonly blocks: readonly BlockHandle[];
}

export function writeHandle(w: ByteWriter, h: BlockHandle): void {
  w.bytes(h.firstKey).varint(h.offset).varint(h.length).varint(h.count).u32(h.crc);
}

export function readHandle(r: ByteReader): BlockHandle {
  const firstKey = Buffer.from(r.bytes('block first key'));
  return { firstKey, offset: r.varint(), length: r.varint(), count: r.varint(), crc: r.u32('block crc') };
}

export function compressBlock(raw: Buffer, level: number): Buffer {
  return zstdCompressSync(raw, { params: { [zc.ZSTD_c_compressionLevel]: level } });
}

/** Footer plus trailer, appended after the last block. */
export function encodeFooter(f: BlobFooter): Buffer {
  const w = new ByteWriter(1024 + f.blocks.length * 64);
  w.u8(f.version).u64(f.count).raw(Buffer.from(f.setsum.hexdigest(), 'hex'));
  w.bytes(f.firstKey).bytes(f.lastKey).varint(f.blocks.length);
  for (const h of f.blocks) writeHandle(w, h);
  const body = w.finish();
  const trailer = new ByteWriter(TRAILER_BYTES).u32(body.length).u32(crc32(body)).raw(BLOB_MAGIC).finish();
  return Buffer.concat([body, trailer]);
}

/**
 * Footer length from the last TRAILER_BYTES of a blob, so that a reader holding only the
 * tail knows how much more to fetch.
 */
export function footerLength(blob: string, trailer: Buffer): number {
  if (trailer.length !== TRAILER_BYTES || !trailer.subarray(8).equals(BLOB_MAGIC)) {
    throw new CorruptionError(blob, undefined, 'bad magic: not an Alki blob or truncated');
  }
  return trailer.readUInt32LE(0);
}

/**
 * Decodes the footer from the blob's tail (at least footer plus trailer bytes) and checks
 * it against the blob's size: every block must lie inside the blob, in order, with no gaps.
 */
export function decodeFooter(blob: string, tail: Buffer, blobSize: number): BlobFooter {
  if (tail.length < TRAILER_BYTES) throw new CorruptionError(blob, undefined, 'shorter than its trailer');
  const trailer = tail.subarray(tail.length - TRAILER_BYTES);
  const len = footerLength(blob, trailer);
  const crc = trailer.readUInt32LE(4);
  if (len + TRAILER_BYTES > tail.length || len + TRAILER_BYTES > blobSize) {
    throw new CorruptionError(blob, undefined, `footer length ${len} exceeds the blob`);
  }
  const body = tail.subarray(tail.length - TRAILER_BYTES - len, tail.length - TRAILER_BYTES);
  if (crc32(body) !== crc) throw new CorruptionError(blob, undefined, 'footer checksum mismatch');
  try {
    const r = new ByteReader(body);
    const version = r.u8('version');
    if (version !== FORMAT_VERSION) throw new CorruptionError(blob, undefined, `unknown format version ${version}`);
    const count = r.u64('count');
    const setsum = Setsum.fromHex(r.raw(32, 'setsum').toString('hex'));
    const firstKey = Buffer.from(r.bytes('first key'));
    const lastKey = Buffer.from(r.bytes('last key'));
    const n = r.varint('block count');
    const blocks: BlockHandle[] = [];
    let expectOffset = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const h = readHandle(r);
      if (h.offset !== expectOffset) throw new CorruptionError(blob, i, `block at ${h.offset}, expected ${expectOffset}`);
      if (i > 0 && compareKeys(blocks[i - 1]!.firstKey, h.firstKey) >= 0) {
        throw new CorruptionError(blob, i, 'block first keys out of order');
      }
      expectOffset += h.length;
      total += h.count;
      blocks.push(h);
    }
    if (r.remaining !== 0) throw new CorruptionError(blob, undefined, 'trailing bytes in footer');
    if (expectOffset + len + TRAILER_BYTES !== blobSize) {
      throw new CorruptionError(blob, undefined, `blocks and footer take ${expectOffset + len + TRAILER_BYTES} bytes, blob has ${blobSize}`);
    }
    if (total !== count) throw new CorruptionError(blob, undefined, `blocks hold ${total} records, footer says ${count}`);
    return { version, count, setsum, firstKey, lastKey, blocks };
  } catch (err) {
    if (err instanceof CorruptionError) throw err;
    throw new CorruptionError(blob, undefined, (err as Error).message);
  }
}

/**
 * Checks and decodes one block from its compressed bytes alone. Any fault (checksum,
 * decompression, structure, count, order, first key) raises a CorruptionError naming the
 * blob and block: a reader never yields records from bytes that fail a check.
 */
export function decodeBlockBytes(blob: string, index: number, h: BlockHandle, compressed: Buffer): Entry[] {
  if (compressed.length !== h.length) {
    throw new CorruptionError(blob, index, `read ${compressed.length} bytes, handle says ${h.length}`);
  }
  if (crc32(compressed) !== h.crc) throw new CorruptionError(blob, index, 'checksum mismatch');
  let raw: Buffer;
  try {
    raw = zstdDecompressSync(compressed);
  } catch (err) {
    throw new CorruptionError(blob, index, `zstd: ${(err as Error).message}`);
  }
  let entries: Entry[];
  try {
    entries = decodeBlock(raw, h.count);
  } catch (err) {
    const msg = err instanceof Truncated ? err.message : (err as Error).message;
    throw new CorruptionError(blob, index, msg);
  }
  if (entries.length > 0 && !entries[0]!.key.equals(h.firstKey)) {
    throw new CorruptionError(blob, index, 'first key differs from its handle');
  }
  return entries;
}

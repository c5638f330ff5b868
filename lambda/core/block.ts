/**
 * A block: records in key order, length-prefixed (record.ts codec), cut at about
 * `blockBytes` raw. It is the unit of compression and of a point read's S3 GET.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import { compareKeys } from './keys.ts';
import { entrySize, readEntry, writeEntry, type Entry } from './record.ts';

export class BlockBuilder {
  private readonly w: ByteWriter;
  count = 0;
  firstKey: Buffer | undefined;
  lastKey: Buffer | undefined;

  constructor(sizeHint: number) {
    this.w = new ByteWriter(sizeHint + 1024);
  }

  get rawBytes(): number {
    return this.w.length;
  }

  /** Bytes the block would take after adding `e` (for cut decisions before the add). */
  sizeWith(e: Entry): number {
    return this.w.length + entrySize(e);
  }

  add(e: Entry): void {
    writeEntry(this.w, e);
    if (this.count === 0) this.firstKey = e.key;
    this.lastKey = e.key;
    this.count++;
  }

  /** The raw block; the builder is empty again afterwards. */
  finish(): Buffer {
    const out = this.w.finish();
    this.w.reset();
    this.count = 0;
    this.firstKey = undefined;
    this.lastKey = undefined;
    return out;
  }
}

/** Decodes a raw block. Throws (Truncated or a reason string) on any structural fault. */
export function decodeBlock(raw: Buffer, expectedCount: number): Entry[] {
  const r = new ByteReader(raw);
  const out: Entry[] = [];
  while (r.remaining > 0) {
    const e = readEntry(r);
    const prev = out[out.length - 1];
    if (prev && compareKeys(prev.key, e.key) >= 0) throw new Error(`keys out of order at record ${out.length}`);
    out.push(e);
  }
  if (out.length !== expectedCount) throw new Error(`holds ${out.length} records, its handle says ${expectedCount}`);
  return out;
}

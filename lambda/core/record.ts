/**
 * Records as the engine sees them: an encoded key, a seq, and the value's JSON text (or
 * null for a tombstone). Values stay serialized end to end: validated once at the edge,
 * never re-parsed by the storage path.
 */
import type { ByteReader, ByteWriter } from './bytes.ts';
import { CorruptionError, TooLargeError, ValidationError } from './errors.ts';
import { decodeKey, encodeKey } from './keys.ts';
import { LIMITS, MAX_SEQ } from './limits.ts';

export interface Entry {
  /** Encoded key: `pk 0x00 sk` (see keys.ts). */
  readonly key: Buffer;
  /** Microseconds since the epoch at the ingesting server; newest wins. */
  readonly seq: number;
  /** UTF-8 JSON text of the value; null marks a tombstone. */
  readonly value: Buffer | null;
}

/** A record in the shape the API speaks. */
export interface ApiItem {
  readonly pk: string;
  readonly sk: string;
  readonly seq: number;
  /** Parsed JSON value; undefined for a tombstone. */
  readonly value?: unknown;
}

export function checkSeq(seq: unknown): number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new ValidationError('InvalidSeq', `seq must be an integer from 0 to ${MAX_SEQ}`);
  }
  return seq;
}

/**
 * Serializes a JSON value and checks its size. `undefined`, functions and symbols are not
 * JSON and are rejected rather than silently dropped.
 */
export function encodeValue(value: unknown): Buffer {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new ValidationError('InvalidValue', 'value must be a JSON value');
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ValidationError('InvalidValue', `value is not serializable as JSON: ${(err as Error).message}`);
  }
  return checkValueSize(Buffer.from(text, 'utf8'));
}

export function checkValueSize(bytes: Buffer): Buffer {
  if (bytes.length > LIMITS.maxValueBytes) {
    throw new TooLargeError('ValueTooLarge', `value is ${bytes.length} bytes serialized; the limit is ${LIMITS.maxValueBytes}`);
  }
  return bytes;
}

export function makeEntry(pk: string, sk: string, seq: number, value: unknown | null): Entry {
  return {
    key: encodeKey(pk, sk),
    seq: checkSeq(seq),
    value: value === null ? null : encodeValue(value),
  };
}

export function toApiItem(e: Entry): ApiItem {
  const { pk, sk } = decodeKey(e.key);
  return e.value === null ? { pk, sk, seq: e.seq } : { pk, sk, seq: e.seq, value: JSON.parse(e.value.toString('utf8')) };
}

const FLAG_TOMBSTONE = 1;

/** Record codec inside a block: varint key length, key, u64 seq, u8 flags, [varint value length, value]. */
export function writeEntry(w: ByteWriter, e: Entry): void {
  w.bytes(e.key).u64(e.seq);
  if (e.value === null) {
    w.u8(FLAG_TOMBSTONE);
  } else {
    w.u8(0).bytes(e.value);
  }
}

export function readEntry(r: ByteReader): Entry {
  const key = r.bytes('key');
  const seq = r.u64('seq');
  const flags = r.u8('flags');
  if (flags > FLAG_TOMBSTONE) throw new CorruptionError('record', undefined, `unknown flags ${flags}`, '');
  const value = flags === FLAG_TOMBSTONE ? null : r.bytes('value');
  return { key, seq, value };
}

/** Bytes a record takes in a block before compression (for block and memory budgets). */
export function entrySize(e: Entry): number {
  return e.key.length + (e.value?.length ?? 0) + 16;
}

const TAG_PUT = 1;
const TAG_TOMBSTONE = 2;

/**
 * The bytes hashed into setsum for a record (docs/design.md §6), framed so that no two records
 * collide by concatenation: tag u8 | u32 len | pk | u32 len | sk | u64 seq | u32 len | value.
 */
export function setsumItem(e: Entry): Buffer {
  return Buffer.from(frameSetsumItem(e, Buffer.allocUnsafe(setsumItemLength(e))));
}

/** The framed item's length. */
export function setsumItemLength(e: Entry): number {
  // The key's separator byte is not framed; the two lengths, the tag, the seq are.
  return 1 + 4 + (e.key.length - 1) + 4 + 8 + 4 + (e.value?.length ?? 0);
}

/**
 * Frames the item into `into` (at least setsumItemLength bytes) and returns the view of it:
 * hashing every record reuses one buffer instead of allocating one per record.
 */
export function frameSetsumItem(e: Entry, into: Buffer): Buffer {
  const key = e.key;
  // Keys are short: a loop beats indexOf's and copy's native calls on each record.
  let sep = 0;
  while (sep < key.length && key[sep] !== 0) sep++;
  // Encoded keys come from encodeKey only: one without a separator was damaged in storage.
  if (sep === 0 || sep === key.length) throw new CorruptionError('stored key', undefined, 'encoded key has no pk separator', '');
  const skLength = key.length - sep - 1;
  const vlen = e.value?.length ?? 0;
  into[0] = e.value === null ? TAG_TOMBSTONE : TAG_PUT;
  into.writeUInt32LE(sep, 1);
  let o = 5;
  for (let i = 0; i < sep; i++) into[o++] = key[i]!;
  o = into.writeUInt32LE(skLength, o);
  for (let i = sep + 1; i < key.length; i++) into[o++] = key[i]!;
  o = into.writeUInt32LE(e.seq % 2 ** 32, o);
  o = into.writeUInt32LE(Math.floor(e.seq / 2 ** 32), o);
  o = into.writeUInt32LE(vlen, o);
  if (e.value !== null) {
    into.set(e.value, o);
    o += vlen;
  }
  return into.subarray(0, o);
}

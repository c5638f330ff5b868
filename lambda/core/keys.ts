/**
 * Keys: validation, the total order, and the order-preserving binary encoding.
 *
 * The order is pk bytes then sk bytes, unsigned, as UTF-8: DynamoDB's order for binary
 * and string keys. JavaScript's `<` on strings compares UTF-16 code units, which disagrees
 * with UTF-8 byte order above U+FFFF, so every comparison goes through the encoding.
 *
 * Encoding: `pk 0x00 sk`. pk never contains U+0000, so its UTF-8 never contains 0x00 and
 * comparing encodings byte-wise compares pk first, then sk.
 */
import { CorruptionError, ValidationError } from './errors.ts';
import { LIMITS } from './limits.ts';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

const SEPARATOR = 0x00;

function checkPart(name: 'pk' | 'sk', v: unknown, maxBytes: number): Buffer {
  if (typeof v !== 'string') throw new ValidationError('InvalidKey', `${name} must be a string`);
  if (v.length === 0) throw new ValidationError('InvalidKey', `${name} must not be empty`);
  if (!v.isWellFormed()) {
    throw new ValidationError('InvalidKey', `${name} is not well-formed Unicode (lone surrogate)`);
  }
  const bytes = Buffer.from(v, 'utf8');
  if (bytes.length > maxBytes) {
    throw new ValidationError('KeyTooLong', `${name} is ${bytes.length} bytes of UTF-8; the limit is ${maxBytes}`);
  }
  return bytes;
}

/** Validates and encodes a key; throws ValidationError naming the broken rule. */
export function encodeKey(pk: unknown, sk: unknown): Buffer {
  const p = checkPart('pk', pk, LIMITS.maxPkBytes);
  if (p.includes(SEPARATOR)) throw new ValidationError('InvalidKey', 'pk must not contain U+0000');
  const s = checkPart('sk', sk, LIMITS.maxSkBytes);
  const out = Buffer.allocUnsafe(p.length + 1 + s.length);
  p.copy(out, 0);
  out[p.length] = SEPARATOR;
  s.copy(out, p.length + 1);
  return out;
}

/** The encoding of every key in one partition starts with this prefix. */
export function partitionPrefix(pk: unknown): Buffer {
  const p = checkPart('pk', pk, LIMITS.maxPkBytes);
  if (p.includes(SEPARATOR)) throw new ValidationError('InvalidKey', 'pk must not contain U+0000');
  return Buffer.concat([p, Buffer.of(SEPARATOR)]);
}

/** Splits an encoded key at its separator. */
export function splitKey(key: Uint8Array): { pk: Buffer; sk: Buffer } {
  const buf = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const i = buf.indexOf(SEPARATOR);
  // Encoded keys come from encodeKey only: one without a separator was damaged in storage.
  if (i <= 0) throw new CorruptionError('stored key', undefined, 'encoded key has no pk separator', '');
  return { pk: buf.subarray(0, i), sk: buf.subarray(i + 1) };
}

export function decodeKey(key: Uint8Array): Key {
  const { pk, sk } = splitKey(key);
  return { pk: pk.toString('utf8'), sk: sk.toString('utf8') };
}

/** Total order on encoded keys: unsigned byte-wise. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The smallest encoded key greater than every key starting with `prefix`, or undefined if none. */
export function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

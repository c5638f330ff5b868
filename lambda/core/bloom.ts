/**
 * Bloom filter over encoded keys, sized from the expected count and bits per key.
 * Probes use double hashing (Kirsch-Mitzenmacher) over two independent murmur3 hashes.
 *
 * Serialized: u8 version | u8 k | u32 bit count | bits. A point read checks it before
 * touching S3, so an absent key usually costs no GET. Version 2 filters also hold each
 * partition prefix (`pk 0x00`) of their keys, as RocksDB's prefix blooms do: a range query
 * in one partition skips what holds no record of it. Version 1 filters (keys only) still read.
 */
import { ByteReader, ByteWriter, Truncated } from './bytes.ts';
import { CorruptionError, ValidationError } from './errors.ts';
import { murmur3 } from './hash.ts';

const KEYS_ONLY = 1;
const WITH_PREFIXES = 2;
const SEED_A = 0x9747b28c;
const SEED_B = 0x5bd1e995;

export interface KeyHash {
  readonly a: number;
  readonly b: number;
}

export function keyHash(key: Uint8Array): KeyHash {
  // An odd step visits more distinct bits before repeating.
  return { a: murmur3(key, SEED_A), b: (murmur3(key, SEED_B) | 1) >>> 0 };
}

/** The false-positive rate theory predicts for n keys in m bits with k probes. */
export function theoreticalFpr(n: number, m: number, k: number): number {
  return (1 - Math.exp((-k * n) / m)) ** k;
}

export class BloomFilter {
  readonly k: number;
  readonly bitCount: number;
  /** Whether the partition prefixes of the keys were added too (version 2). */
  readonly prefixes: boolean;
  private readonly bits: Uint8Array;

  private constructor(k: number, bitCount: number, bits: Uint8Array, prefixes: boolean) {
    this.k = k;
    this.bitCount = bitCount;
    this.bits = bits;
    this.prefixes = prefixes;
  }

  /** An empty filter for about `expected` keys at `bitsPerKey` bits each. */
  static create(expected: number, bitsPerKey: number, prefixes = false): BloomFilter {
    if (!(bitsPerKey > 0)) throw new ValidationError('InvalidBloom', 'bitsPerKey must be positive');
    // At least 64 bits, so that tiny filters do not saturate.
    const bitCount = Math.max(64, Math.ceil((Math.max(1, expected) * bitsPerKey) / 8) * 8);
    const k = Math.min(30, Math.max(1, Math.round(bitsPerKey * Math.LN2)));
    return new BloomFilter(k, bitCount, new Uint8Array(bitCount / 8), prefixes);
  }

  /** A filter of these hashes; `prefixes` says they include the keys' partition prefixes. */
  static fromHashes(hashes: readonly KeyHash[], bitsPerKey: number, prefixes = false): BloomFilter {
    const f = BloomFilter.create(hashes.length, bitsPerKey, prefixes);
    for (const h of hashes) f.addHash(h);
    return f;
  }

  add(key: Uint8Array): void {
    this.addHash(keyHash(key));
  }

  addHash(h: KeyHash): void {
    for (let i = 0; i < this.k; i++) {
      const bit = (h.a + i * h.b) % this.bitCount;
      this.bits[bit >>> 3]! |= 1 << (bit & 7);
    }
  }

  /** False means certainly absent; true means probably present. */
  mayContain(key: Uint8Array): boolean {
    return this.mayContainHash(keyHash(key));
  }

  /** False means no key of the partition is present; a filter without prefixes cannot tell. */
  mayContainPrefix(prefix: Uint8Array): boolean {
    return !this.prefixes || this.mayContain(prefix);
  }

  mayContainHash(h: KeyHash): boolean {
    for (let i = 0; i < this.k; i++) {
      const bit = (h.a + i * h.b) % this.bitCount;
      if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }

  serialize(): Buffer {
    return new ByteWriter(this.bits.length + 6)
      .u8(this.prefixes ? WITH_PREFIXES : KEYS_ONLY)
      .u8(this.k)
      .u32(this.bitCount)
      .raw(this.bits)
      .finish();
  }

  static deserialize(bytes: Uint8Array): BloomFilter {
    try {
      const r = new ByteReader(bytes);
      const version = r.u8('bloom version');
      if (version !== KEYS_ONLY && version !== WITH_PREFIXES) throw new CorruptionError('bloom filter', undefined, `unknown version ${version}`, '');
      const k = r.u8('bloom k');
      const bitCount = r.u32('bloom size');
      if (k < 1 || k > 30 || bitCount % 8 !== 0 || bitCount === 0 || r.remaining !== bitCount / 8) {
        throw new CorruptionError('bloom filter', undefined, 'header does not match its bits', '');
      }
      return new BloomFilter(k, bitCount, Uint8Array.from(r.raw(bitCount / 8)), version === WITH_PREFIXES);
    } catch (err) {
      if (err instanceof Truncated) throw new CorruptionError('bloom filter', undefined, err.message, '');
      throw err;
    }
  }
}

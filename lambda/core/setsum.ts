/**
 * setsum: an order-independent hash of a multiset (rescrv/blue, setsum >= 0.5).
 *
 * Each item is hashed with SHA3-256; the digest is read as eight little-endian 32-bit
 * words, each reduced modulo one of the eight largest primes below 2^32. A set's state is
 * the column-wise sum modulo those primes, so segment hashes can be added in any order
 * and removal is adding the inverse. Verification uses it to prove that a run holds
 * exactly the records it was built from, without sorting or comparing them.
 */
import { hash } from 'node:crypto';
import { ValidationError } from './errors.ts';
import { frameSetsumItem, setsumItemLength, type Entry } from './record.ts';

export const SETSUM_PRIMES: readonly number[] = [4294967291, 4294967279, 4294967231, 4294967197, 4294967189, 4294967161, 4294967143, 4294967111];
const COLUMNS = 8;
/** Where insertEntry frames each record before hashing it. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** The reduced state of one item. */
export function itemState(item: Uint8Array): Uint32Array {
  const digest = hash('sha3-256', item, 'buffer');
  const state = new Uint32Array(COLUMNS);
  for (let i = 0; i < COLUMNS; i++) state[i] = digest.readUInt32LE(i * 4) % SETSUM_PRIMES[i]!;
  return state;
}

export class Setsum {
  private readonly state: Uint32Array;

  constructor(state?: Uint32Array) {
    this.state = state ? Uint32Array.from(state) : new Uint32Array(COLUMNS);
  }

  /** The current columns (a copy). */
  columns(): number[] {
    return Array.from(this.state);
  }

  static fromColumns(columns: readonly number[]): Setsum {
    if (columns.length !== COLUMNS) throw new ValidationError('InvalidSetsum', `a setsum has ${COLUMNS} columns`);
    columns.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c >= SETSUM_PRIMES[i]!) {
        throw new ValidationError('InvalidSetsum', `setsum column ${i} is not reduced below its prime`);
      }
    });
    return new Setsum(Uint32Array.from(columns));
  }

  insert(item: Uint8Array): this {
    return this.addItem(item, false);
  }

  remove(item: Uint8Array): this {
    return this.addItem(item, true);
  }

  /** Adds (or subtracts) an item's state column by column, as itemState reduces it, without allocating one. */
  private addItem(item: Uint8Array, subtract: boolean): this {
    const digest = hash('sha3-256', item, 'buffer');
    for (let i = 0; i < COLUMNS; i++) {
      const p = SETSUM_PRIMES[i]!;
      const w = digest.readUInt32LE(i * 4) % p;
      this.state[i] = (this.state[i]! + (subtract ? p - w : w)) % p;
    }
    return this;
  }

  /** Inserts a record's framed item (docs/design.md §6), framed into a buffer reused across calls (hashing is synchronous). */
  insertEntry(e: Entry): this {
    const length = setsumItemLength(e);
    if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, 2 * scratch.length));
    return this.insert(frameSetsumItem(e, scratch));
  }

  add(other: Setsum): this {
    return this.addState(other.state);
  }

  subtract(other: Setsum): this {
    return this.subtractState(other.state);
  }

  /** The inverse: `s.add(s.inverse())` is the empty set. */
  inverse(): Setsum {
    const out = new Setsum();
    return out.subtractState(this.state);
  }

  clone(): Setsum {
    return new Setsum(this.state);
  }

  equals(other: Setsum): boolean {
    for (let i = 0; i < COLUMNS; i++) if (this.state[i] !== other.state[i]) return false;
    return true;
  }

  isEmpty(): boolean {
    return this.state.every((c) => c === 0);
  }

  hexdigest(): string {
    const out = Buffer.allocUnsafe(COLUMNS * 4);
    for (let i = 0; i < COLUMNS; i++) out.writeUInt32LE(this.state[i]!, i * 4);
    return out.toString('hex');
  }

  /** Parses a hexdigest; rejects any input that hexdigest could not have produced. */
  static fromHex(hex: string): Setsum {
    if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) {
      throw new ValidationError('InvalidSetsum', 'a setsum is 64 lowercase hex characters');
    }
    const buf = Buffer.from(hex, 'hex');
    const cols: number[] = [];
    for (let i = 0; i < COLUMNS; i++) cols.push(buf.readUInt32LE(i * 4));
    return Setsum.fromColumns(cols);
  }

  static ofEntries(entries: Iterable<Entry>): Setsum {
    const s = new Setsum();
    for (const e of entries) s.insertEntry(e);
    return s;
  }

  private addState(other: Uint32Array): this {
    for (let i = 0; i < COLUMNS; i++) {
      const p = SETSUM_PRIMES[i]!;
      // Both terms are below p < 2^32, so the sum is exact in a double.
      this.state[i] = (this.state[i]! + other[i]!) % p;
    }
    return this;
  }

  private subtractState(other: Uint32Array): this {
    for (let i = 0; i < COLUMNS; i++) {
      const p = SETSUM_PRIMES[i]!;
      this.state[i] = (this.state[i]! + p - other[i]!) % p;
    }
    return this;
  }
}

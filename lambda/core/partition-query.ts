/**
 * Partition range queries: sk bounds, their encoded key range, and cursors.
 * `from` is inclusive, `to` exclusive; a cursor is the last key returned, so the next
 * page starts strictly after it (ascending) or strictly before it (descending).
 */
import type { Direction } from './blob-reader.ts';
import { ValidationError } from './errors.ts';
import { compareKeys, encodeKey, partitionPrefix, prefixEnd } from './keys.ts';
import { LIMITS } from './limits.ts';

/** Encoded keys: lo inclusive, hi exclusive. */
export interface KeyRange {
  readonly lo: Buffer;
  readonly hi: Buffer;
}

export interface PartitionQuery {
  readonly pk: string;
  /** Lower sk bound: inclusive, or exclusive after a cursor. */
  readonly from?: string;
  readonly fromExclusive?: boolean;
  /** Upper sk bound, exclusive. */
  readonly to?: string;
  readonly direction: Direction;
  readonly limit: number;
}

const ZERO = Buffer.of(0);

export function keyRangeOf(q: PartitionQuery): KeyRange {
  const prefix = partitionPrefix(q.pk);
  let lo = prefix;
  if (q.from !== undefined) {
    const k = encodeKey(q.pk, q.from);
    // The least key after k is k followed by a zero byte.
    lo = q.fromExclusive ? Buffer.concat([k, ZERO]) : k;
  }
  const hi = q.to !== undefined ? encodeKey(q.pk, q.to) : prefixEnd(prefix)!;
  return { lo, hi };
}

export function inRange(key: Uint8Array, r: KeyRange): boolean {
  return compareKeys(key, r.lo) >= 0 && compareKeys(key, r.hi) < 0;
}

interface CursorBody {
  v: 1;
  sk: string;
  o: Direction;
}

export function encodeCursor(sk: string, direction: Direction): string {
  const body: CursorBody = { v: 1, sk, o: direction };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Parses a cursor and narrows the query to what follows it. */
export function applyCursor(q: PartitionQuery, cursor: string): PartitionQuery {
  let body: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('InvalidCursor', 'cursor is not one this API returned');
  }
  const b = body as Partial<CursorBody> | null;
  if (!b || b.v !== 1 || typeof b.sk !== 'string' || (b.o !== 'asc' && b.o !== 'desc')) {
    throw new ValidationError('InvalidCursor', 'cursor is not one this API returned');
  }
  if (b.o !== q.direction) throw new ValidationError('InvalidCursor', `cursor was issued for order=${b.o}`);
  encodeKey(q.pk, b.sk);
  if (q.direction === 'asc') {
    return { ...q, from: b.sk, fromExclusive: true };
  }
  // Descending: the next page ends before the cursor; keep the tighter of the two bounds.
  const to = q.to !== undefined && compareKeys(encodeKey(q.pk, q.to), encodeKey(q.pk, b.sk)) < 0 ? q.to : b.sk;
  return { ...q, to };
}

export function checkLimit(raw: string | undefined): number {
  if (raw === undefined) return LIMITS.defaultQueryLimit;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < 1 || n > LIMITS.maxQueryLimit) {
    throw new ValidationError('InvalidLimit', `limit must be an integer from 1 to ${LIMITS.maxQueryLimit}`);
  }
  return n;
}

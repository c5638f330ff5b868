/**
 * Sorted export (Igneous's): the store as of a checkpoint, every live record once, in key
 * order, as gzip-compressed NDJSON objects of bounded size, written by key range in
 * parallel. A line is `{"pk","sk","seq","value"}` with the value's stored JSON text as it
 * is, so a reader gets back exactly the record whose setsum verification added.
 */
import { CorruptionError, ValidationError } from './errors.ts';
import { encodeKey } from './keys.ts';
import type { Tally } from './tally.ts';
import type { Entry } from './record.ts';

export const EXPORT_ID = /^x-[0-9a-f]{20}$/;

export type ExportState = 'running' | 'succeeded' | 'failed';

/** What an export was asked for, and where it stands (the export's item in the index table). */
export interface ExportStatus {
  readonly id: string;
  readonly state: ExportState;
  readonly format: 'ndjson';
  readonly checkpoint: string;
  /** Encoded key bounds (base64): from inclusive, to exclusive; absent = unbounded. */
  readonly from?: string;
  readonly to?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly records?: number;
  readonly bytes?: number;
  readonly objects?: number;
  readonly cause?: string;
}

/** One object of an export, as its manifest lists it. */
export interface ExportObject {
  readonly key: string;
  readonly records: number;
  /** Compressed bytes. */
  readonly bytes: number;
  /** Encoded keys, base64. */
  readonly firstKey: string;
  readonly lastKey: string;
}

/** Objects an export's status lists per page at most: each carries a presigned URL (about 1 KB), and a function answers at most 6 MB. */
export const EXPORT_PAGE = { defaultObjects: 1000, maxObjects: 1000 } as const;

/**
 * One page of an export's objects, from `cursor` (an object index, as the previous page gave
 * it) for `limit` objects, and the next page's cursor while there are more.
 */
export function exportPage<T>(objects: readonly T[], limit: string | undefined, cursor: string | undefined): { page: readonly T[]; next?: string } {
  const n = limit === undefined ? EXPORT_PAGE.defaultObjects : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > EXPORT_PAGE.maxObjects)
    throw new ValidationError('InvalidLimit', `limit must be an integer from 1 to ${EXPORT_PAGE.maxObjects}`);
  let from = 0;
  if (cursor !== undefined) {
    const m = /^o(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!m || Number(m[1]) > objects.length) throw new ValidationError('InvalidCursor', 'cursor is not one this API returned');
    from = Number(m[1]);
  }
  const page = objects.slice(from, from + n);
  return from + n < objects.length ? { page, next: Buffer.from(`o${from + n}`).toString('base64url') } : { page };
}

/** What one key range's task wrote: its objects, and the tallies verification adds up. */
export interface ExportRangeRecord {
  /** Every version the range's merge read (sums to the runs' setsums over all ranges). */
  readonly input: Tally;
  /** What it left out: shadowed versions, tombstones, expired records. */
  readonly dropped: Tally;
  readonly objects: readonly ExportObject[];
}

/** What reading one range's objects back found. */
export interface ExportVerifyRecord extends Tally {
  readonly problems: string[];
}

/** An object's raw (uncompressed) bytes at most: a quarter of a range, so a range writes a few objects in parallel-friendly sizes. */
export const exportObjectRawBytes = (rangeBytes: number): number => Math.max(1, Math.floor(rangeBytes / 4));

/** One line (no newline). */
export function exportLine(e: Entry): string {
  if (e.value === null) throw new Error('a tombstone is never exported');
  const sep = e.key.indexOf(0);
  const pk = e.key.subarray(0, sep).toString('utf8');
  const sk = e.key.subarray(sep + 1).toString('utf8');
  return `${JSON.stringify({ pk, sk, seq: e.seq }).slice(0, -1)},"value":${e.value.toString('utf8')}}`;
}

/** The record of a line, exactly as it was exported; throws CorruptionError naming `where` otherwise. */
export function parseExportLine(line: string, where: string): Entry {
  let head: { pk?: unknown; sk?: unknown; seq?: unknown; value?: unknown };
  try {
    head = JSON.parse(line) as typeof head;
  } catch {
    throw new CorruptionError(where, undefined, 'a line is not JSON', '');
  }
  if (typeof head.pk !== 'string' || typeof head.sk !== 'string' || typeof head.seq !== 'number' || head.value === undefined) {
    throw new CorruptionError(where, undefined, 'a line is not {"pk","sk","seq","value"}', '');
  }
  const prefix = `${JSON.stringify({ pk: head.pk, sk: head.sk, seq: head.seq }).slice(0, -1)},"value":`;
  if (!line.startsWith(prefix) || !line.endsWith('}')) throw new CorruptionError(where, undefined, 'a line is not as an export writes it', '');
  let key: Buffer;
  try {
    key = encodeKey(head.pk, head.sk);
  } catch (err) {
    if (err instanceof ValidationError) throw new CorruptionError(where, undefined, `a line's key: ${err.message}`, '');
    throw err;
  }
  return { key, seq: head.seq, value: Buffer.from(line.slice(prefix.length, -1), 'utf8') };
}

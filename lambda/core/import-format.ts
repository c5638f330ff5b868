/**
 * Bulk import (NDJSON): one record per line, `{"pk","sk","value"}` with an optional version,
 * `"seq"` (microseconds since the epoch) or `"timestamp"` (ISO 8601). Pure: parsing,
 * validation, default versions and line accounting, shared by the importer and the checker.
 */
import { AlkiError } from './errors.ts';
import { encodeKey } from './keys.ts';
import { LIMITS } from './limits.ts';
import { encodeValue, type Entry } from './record.ts';

export const IMPORT_LIMITS = {
  /** Input files per import. */
  maxFiles: 100,
  /** Parts of one multipart upload (S3's limit). */
  maxParts: 10_000,
  /**
   * Part URLs in one answer: a URL signed by a function carries its session token (about
   * 1.1 KB), so 1,000 URLs are about 2.5 MB, well under Lambda's 6 MB. Creating an import
   * answers at most this many in all (the first parts of each file); the rest come a page at a
   * time from `GET /v1/imports/{id}/parts`.
   */
  partUrlsPerPage: 1000,
  /** A line longer than this is invalid (a value is at most 256 KiB, keys at most 768 bytes). */
  maxLineBytes: LIMITS.maxValueBytes + 4096,
  /** Errors kept in a report; the rest are only counted. */
  maxReportedErrors: 100,
  /** Lines one chunk may hold: the low bits of a default version. */
  chunkLineBits: 24,
} as const;

export type InvalidPolicy = 'fail' | 'skip';
export type ImportState = 'awaiting-upload' | 'running' | 'succeeded' | 'failed';

export interface LineError {
  /** 0-based index of the input file, and 1-based line within it. */
  readonly file: number;
  readonly line: number;
  readonly reason: string;
}

export interface ImportCounts {
  /** Non-blank lines read. */
  readonly lines: number;
  readonly valid: number;
  readonly invalid: number;
  /** Valid records shadowed by a newer version of the same key inside the import. */
  readonly duplicates: number;
  /** Records in the committed run: valid minus duplicates. */
  readonly records: number;
}

/** What `GET /v1/imports/{id}` answers. */
export interface ImportStatus {
  readonly id: string;
  readonly state: ImportState;
  readonly format: 'ndjson';
  readonly onInvalid: InvalidPolicy;
  readonly files: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Executions started for it (a failed import can be committed again). */
  readonly attempts: number;
  readonly counts?: ImportCounts;
  /** Bytes uploaded. */
  readonly bytes?: number;
  readonly run?: string;
  readonly errors: readonly LineError[];
  /** Why a failed import failed, when it is not invalid lines. */
  readonly cause?: string;
}

/**
 * The version of a line without one: older than any live write (live seqs are the time in
 * microseconds, about 1.7e15), and in input order, so within an import the later line wins.
 */
export function defaultSeq(chunk: number, lineInChunk: number): number {
  return (chunk + 1) * 2 ** IMPORT_LIMITS.chunkLineBits + lineInChunk;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Microseconds of an ISO 8601 timestamp with a zone; sub-millisecond digits are kept. */
export function timestampSeq(text: string): number | undefined {
  if (!ISO_8601.test(text)) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  const micros = Number(frac.padEnd(6, '0').slice(3, 6));
  return ms * 1000 + micros;
}

/** A record's seq from its line, or a reason it has none that could be valid. */
function versionOf(o: Record<string, unknown>, fallback: number, nowMs: number): number | string {
  if ('seq' in o && 'timestamp' in o) return 'give "seq" or "timestamp", not both';
  let seq = fallback;
  if ('seq' in o) {
    if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq <= 0) return '"seq" must be a positive integer (microseconds since the epoch)';
    seq = o.seq;
  } else if ('timestamp' in o) {
    const t = typeof o.timestamp === 'string' ? timestampSeq(o.timestamp) : undefined;
    if (t === undefined || t <= 0) return '"timestamp" must be ISO 8601 with a zone, like 2024-05-01T12:00:00Z';
    seq = t;
  }
  if (seq > nowMs * 1000) return 'version is in the future';
  return seq;
}

/** Parses one line: the record, or why it is invalid. */
export function parseImportLine(line: string, fallbackSeq: number, nowMs: number): Entry | { readonly reason: string } {
  if (Buffer.byteLength(line) > IMPORT_LIMITS.maxLineBytes) return { reason: `line longer than ${IMPORT_LIMITS.maxLineBytes} bytes` };
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return { reason: 'not JSON' };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { reason: 'not a JSON object' };
  const rec = o as Record<string, unknown>;
  if (!('value' in rec)) return { reason: 'no "value"' };
  const unknownFields = Object.keys(rec).filter((k) => !['pk', 'sk', 'value', 'seq', 'timestamp'].includes(k));
  if (unknownFields.length > 0) return { reason: `unknown field "${unknownFields[0]}"` };
  const seq = versionOf(rec, fallbackSeq, nowMs);
  if (typeof seq === 'string') return { reason: seq };
  try {
    return { key: encodeKey(rec.pk, rec.sk), seq, value: encodeValue(rec.value) };
  } catch (err) {
    if (err instanceof AlkiError) return { reason: err.message };
    throw err;
  }
}

/** Splits text into lines (`\n`, optional `\r`), numbering from 1; blank lines are skipped but counted. */
export function* lines(text: string): Generator<{ line: number; text: string }> {
  let n = 0;
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    n++;
    const raw = text.slice(at, end);
    const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (t.trim() !== '') yield { line: n, text: t };
    at = end + 1;
  }
}

/** Lines in a text, blank ones included: what `lines` numbers up to. */
export function lineCount(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n + (text.length > 0 && !text.endsWith('\n') ? 1 : 0);
}

/**
 * The byte span of a chunk's own lines: a line belongs to the chunk holding its first byte.
 * `buf` holds the file from `bufStart` on; returns offsets into `buf` (end exclusive), or
 * undefined when no line starts in the chunk.
 */
export function ownLines(buf: Buffer, bufStart: number, start: number, end: number): { from: number; to: number } | undefined {
  // A line starts at the chunk's first byte only if the byte before it ends a line.
  let from = start - bufStart;
  if (start > 0) {
    const nl = buf.indexOf(0x0a, from - 1);
    if (nl < 0) return undefined;
    from = nl + 1;
  }
  if (from >= end - bufStart) return undefined;
  // The last own line runs to the first newline at or after the chunk's end.
  const nl = buf.indexOf(0x0a, Math.max(from, end - bufStart - 1));
  return { from, to: nl < 0 ? buf.length : nl + 1 };
}

/** Chunks of about `chunkBytes` over files of the given sizes, in file order. */
export function chunkFiles(sizes: readonly number[], chunkBytes: number): { index: number; file: number; start: number; end: number }[] {
  const out: { index: number; file: number; start: number; end: number }[] = [];
  sizes.forEach((size, file) => {
    for (let start = 0; start < size; start += chunkBytes) out.push({ index: out.length, file, start, end: Math.min(size, start + chunkBytes) });
  });
  return out;
}

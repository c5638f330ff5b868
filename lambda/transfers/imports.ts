/**
 * The import API's operations: create an import (upload URLs), commit it (start the import
 * state machine), and report on it. Handlers translate HTTP to these calls.
 */
import { randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { IMPORT_LIMITS, type ImportStatus, type InvalidPolicy } from '../core/import-format.ts';
import type { BodyOf } from '../api/schemas.ts';
import { ConflictError } from '../core/manifest.ts';
import { IMPORT_ID, OBJECTS } from '../core/schema.ts';
import type { ColdBucket } from '../store/cold-bucket.ts';
import type { ExecutionStarter } from '../store/executions.ts';
import type { ImportStore } from '../store/import-store.ts';
import type { Uploads } from '../store/uploads.ts';

export interface ImportsDeps {
  readonly imports: ImportStore;
  readonly uploads: Uploads;
  readonly bucket: ColdBucket;
  readonly starter: ExecutionStarter;
  readonly now: () => number;
}

/** A request its schema passed (api/schemas.ts): the format, each count and the policy are checked there. */
export type CreateRequest = BodyOf<'createImport'>;

/**
 * Where a file goes: one URL, or a multipart upload of `parts` parts whose first URLs come
 * here (from part 1) and the rest, from `nextPart`, a page at a time from the parts route.
 */
export type Upload =
  | { readonly file: number; readonly url: string }
  | { readonly file: number; readonly uploadId: string; readonly parts: number; readonly partUrls: string[]; readonly nextPart?: number };

/** The record as stored, with the multipart uploads commit completes (`parts`: absent in records of earlier releases). */
type Stored = ImportStatus & { readonly multipart?: { readonly file: number; readonly uploadId: string; readonly parts?: number }[] };

/** What the API shows of an import: the stored record without its internals. */
export function publicStatus(s: Stored): ImportStatus {
  const { multipart: _multipart, ...rest } = s;
  return rest;
}

export async function createImport(d: ImportsDeps, req: CreateRequest): Promise<ImportStatus & { uploadUrls: string[]; uploads: Upload[]; expiresAt: string }> {
  const files = req.files ?? 1;
  // One count per file: the one rule across fields, which the schema cannot say.
  if (req.parts !== undefined && req.parts.length !== files) throw new ValidationError('InvalidImport', 'parts must list a part count per file');
  const parts = req.parts ?? Array<number>(files).fill(1);
  const onInvalid: InvalidPolicy = req.onInvalid ?? 'fail';
  const id = randomBytes(10).toString('hex');
  const uploads: Upload[] = [];
  const now = d.now();
  let expiresAt = Infinity;
  // The answer carries at most a page of part URLs in all: a function's answer is at most 6 MB.
  let budget = IMPORT_LIMITS.partUrlsPerPage;
  for (let file = 0; file < files; file++) {
    const key = OBJECTS.importInput(id, file);
    const n = parts[file]!;
    if (n === 1) {
      const signed = await d.uploads.presignPut(key, now);
      expiresAt = Math.min(expiresAt, signed.expiresAt);
      uploads.push({ file, url: signed.urls[0]! });
      continue;
    }
    const uploadId = await d.uploads.startMultipart(key);
    const first = Math.min(n, budget);
    budget -= first;
    const signed = first > 0 ? await d.uploads.presignParts(key, uploadId, 1, first, now) : { urls: [], expiresAt: Infinity };
    expiresAt = Math.min(expiresAt, signed.expiresAt);
    uploads.push({ file, uploadId, parts: n, partUrls: signed.urls, ...(first < n ? { nextPart: first + 1 } : {}) });
  }
  const at = new Date(d.now()).toISOString();
  const status: Stored = {
    id,
    state: 'awaiting-upload',
    format: 'ndjson',
    onInvalid,
    files,
    createdAt: at,
    updatedAt: at,
    attempts: 0,
    errors: [],
    multipart: uploads.flatMap((u) => ('uploadId' in u ? [{ file: u.file, uploadId: u.uploadId, parts: u.parts }] : [])),
  };
  await d.imports.put(status, 0);
  return {
    ...publicStatus(status),
    uploadUrls: uploads.flatMap((u) => ('url' in u ? [u.url] : [])),
    uploads,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** A page of part URLs of one multipart file, signed now: the rest of a large file's, or fresh ones after they expired. */
export interface PartUrls {
  readonly id: string;
  readonly file: number;
  readonly uploadId: string;
  readonly parts: number;
  readonly from: number;
  readonly partUrls: string[];
  readonly nextPart?: number;
  readonly expiresAt: string;
}

export async function importPartUrls(d: ImportsDeps, id: string, q: { file: number; from?: number; limit?: number }): Promise<PartUrls> {
  const cur = await find(d, id);
  if (cur.state !== 'awaiting-upload') throw new ConflictError(`import ${id} is ${cur.state}: its uploads are closed`);
  const m = (cur.multipart ?? []).find((x) => x.file === q.file);
  if (!m) throw new ValidationError('InvalidImport', `file ${q.file} of import ${id} is not uploaded in parts`);
  const parts = m.parts ?? IMPORT_LIMITS.maxParts;
  const from = q.from ?? 1;
  if (from > parts) throw new ValidationError('InvalidImport', `file ${q.file} has ${parts} parts: from must be at most ${parts}`);
  const count = Math.min(q.limit ?? IMPORT_LIMITS.partUrlsPerPage, IMPORT_LIMITS.partUrlsPerPage, parts - from + 1);
  const signed = await d.uploads.presignParts(OBJECTS.importInput(id, m.file), m.uploadId, from, count, d.now());
  return {
    id,
    file: m.file,
    uploadId: m.uploadId,
    parts,
    from,
    partUrls: signed.urls,
    ...(from + count <= parts ? { nextPart: from + count } : {}),
    expiresAt: new Date(signed.expiresAt).toISOString(),
  };
}

async function find(d: ImportsDeps, id: string): Promise<Stored & { rev: number }> {
  if (!IMPORT_ID.test(id)) throw new ValidationError('InvalidImportId', 'not an import id');
  const s = await d.imports.get(id);
  if (!s) throw new NotFoundError('NotFound', `no import ${id}`);
  return s;
}

export async function getImport(d: ImportsDeps, id: string): Promise<ImportStatus> {
  const { rev: _rev, ...s } = await find(d, id);
  return publicStatus(s);
}

/**
 * Completes multipart uploads (the client sends each part's ETag), checks every file is
 * there, and starts the import. Committing a running or succeeded import again changes
 * nothing; a failed one starts a new attempt.
 */
export async function commitImport(d: ImportsDeps, id: string, parts: Readonly<Record<string, unknown>> = {}): Promise<ImportStatus> {
  const cur = await find(d, id);
  if (cur.state === 'running' || cur.state === 'succeeded') return publicStatus(cur);
  if (cur.state === 'awaiting-upload') {
    for (const m of cur.multipart ?? []) {
      const etags = parts[String(m.file)];
      if (!Array.isArray(etags) || etags.length === 0 || !etags.every((e) => typeof e === 'string')) {
        throw new ValidationError('InvalidImport', `file ${m.file} was uploaded in parts: give parts: {"${m.file}": [ETag of each part]}`);
      }
      await d.uploads.completeMultipart(OBJECTS.importInput(id, m.file), m.uploadId, etags as string[]);
    }
  }
  const listed = new Set((await d.bucket.list(OBJECTS.importPrefix(id))).map((o) => o.key));
  const missing = Array.from({ length: cur.files }, (_, i) => i).filter((i) => !listed.has(OBJECTS.importInput(id, i)));
  if (missing.length > 0) throw new ConflictError(`files not uploaded yet: ${missing.join(', ')}`);
  // A new attempt: the last one's outcome (cause, counts, errors) goes.
  const { rev, cause: _cause, counts: _counts, ...status } = cur;
  const attempt = status.attempts + 1;
  const running = await d.imports.put({ ...status, state: 'running', attempts: attempt, errors: [] }, rev);
  await d.starter.start(`${id}-${attempt}`, { importId: id });
  return publicStatus(running);
}

/**
 * The API's request and response bodies and query parameters, defined once (zod): every
 * request is validated against them before an operation runs (an unknown field is a 400, so
 * a typo is never silently ignored), and the OpenAPI document is generated from them
 * (api/openapi.ts). The engine still checks what a schema cannot say (key bytes, value size).
 * zod/mini, not classic zod: the same schemas in a tenth of the bundle, which the API
 * functions load on every cold start; its English messages are loaded here.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { CHECKPOINT_ID } from '../core/checkpoint.ts';
import { EXPORT_PAGE } from '../core/export-format.ts';
import { IMPORT_LIMITS } from '../core/import-format.ts';
import { LIMITS } from '../core/limits.ts';
import { runMeta } from '../run-meta.ts';

z.config(en());
const int = () => z.int();
const described = <T extends z.ZodMiniType>(schema: T, description: string): T => schema.check(z.describe(description)) as T;

/**
 * Any JSON value: the body was parsed from JSON, so anything present is one. (z.json() would
 * check it again, and its recursive JSON Schema does not survive being inlined in OpenAPI.)
 */
const anyJson = described(
  z.custom<z.core.util.JSONType>((v) => v !== undefined, { error: 'a JSON value is required' }),
  'any JSON value',
);

const pk = described(z.string(), 'partition key: UTF-8, not empty, no U+0000');
const sk = described(z.string(), 'sort key: UTF-8, not empty');
const itemKey = z.strictObject({ pk, sk });

export const errorBody = z.strictObject({ error: z.strictObject({ code: described(z.string(), 'stable, machine-readable'), message: z.string() }) });

const item = z.strictObject({ pk, sk, seq: described(int(), 'the version: microseconds since the epoch, unique per key'), value: anyJson });
const written = z.strictObject({ seq: int() });

/** A run as the manifest holds it (its one definition: lambda/run-meta.ts). */
export { runMeta };

const importStatus = z.strictObject({
  id: z.string(),
  state: z.enum(['awaiting-upload', 'running', 'succeeded', 'failed']),
  format: z.literal('ndjson'),
  onInvalid: z.enum(['fail', 'skip']),
  files: int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  attempts: described(int(), 'executions started for it (a failed import can be committed again)'),
  counts: z.optional(
    z.strictObject({
      lines: int(),
      valid: int(),
      invalid: int(),
      duplicates: described(int(), 'valid records shadowed by a newer version of their key in the import'),
      records: described(int(), 'records in the committed run'),
    }),
  ),
  bytes: described(z.optional(int()), 'bytes uploaded'),
  run: described(z.optional(z.string()), 'the run it committed'),
  errors: z.array(z.strictObject({ file: int(), line: int(), reason: z.string() })),
  cause: described(z.optional(z.string()), 'why a failed import failed, when it is not invalid lines'),
});

const upload = z.union([
  z.strictObject({ file: int(), url: z.string() }),
  z.strictObject({
    file: int(),
    uploadId: z.string(),
    parts: described(int(), 'parts of this file'),
    partUrls: described(z.array(z.string()), 'URLs of its first parts, from part 1 (at most 1,000 in the whole answer)'),
    nextPart: described(z.optional(int()), 'the first part whose URL is not here: GET /v1/imports/{id}/parts?file=&part= for the rest'),
  }),
]);

const list = <T extends z.ZodMiniType>(of: T, min: number, max: number) => z.array(of).check(z.minLength(min), z.maxLength(max));

/** The answer of a success without a body (204). */
export const NO_BODY = z.undefined();

/** One API operation: what it takes and what it answers (besides the error bodies). */
export interface OperationSchema {
  readonly summary: string;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniObject;
  /** The error code of a body or query that breaks the schema, unless a field has its own (FIELD_CODES). */
  readonly invalidCode?: string;
  /** The error code of a list over its maximum length. */
  readonly tooLargeCode?: string;
  readonly responses: Readonly<Record<number, z.ZodMiniType>>;
  /** Request headers the operation reads (documented; the handler parses them). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Headers of its success besides content-type. */
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /** Error statuses it answers besides those every operation may (ERRORS_OF_EVERY_OPERATION; 413 with any body). */
  readonly errors?: readonly number[];
}

/**
 * What any operation may answer: bad input (400), refused by API Gateway's IAM authorization
 * (403), throttled (429), the server's fault (500), not ready (503). An operation with a body
 * may also answer 413 (the body over the API's limit).
 */
export const ERRORS_OF_EVERY_OPERATION = [400, 403, 429, 500, 503] as const;

/** Every error status an operation answers. */
export function errorsOf(spec: OperationSchema): number[] {
  return [...new Set([...ERRORS_OF_EVERY_OPERATION, ...(spec.body ? [413] : []), ...(spec.errors ?? [])])].sort((a, b) => a - b);
}

/** The conditional-write headers, on PUT and DELETE of one item. */
const PRECONDITION_HEADERS = {
  'If-Match': 'write only if the record exists at this seq (an ETag as a read or write returned it; a list, or * for any version); else 412',
  'If-None-Match': '* : write only if there is no record; else 412',
} as const;

/** A batch item's precondition: as the headers, per item. */
const itemPrecondition = {
  ifMatch: described(z.optional(z.union([int(), z.literal('*')])), 'write only if the record exists at this seq (or any, *)'),
  ifNoneMatch: described(z.optional(z.literal('*')), 'write only if there is no record'),
};

/** Fields whose rule has its own error code, wherever they appear. */
export const FIELD_CODES: Readonly<Record<string, string>> = {
  pk: 'InvalidKey',
  sk: 'InvalidKey',
  from: 'InvalidKey',
  to: 'InvalidKey',
  limit: 'InvalidLimit',
  order: 'InvalidOrder',
  cursor: 'InvalidCursor',
  checkpoint: 'InvalidCheckpoint',
  ttl: 'InvalidTtl',
};

const checkpointParam = described(z.optional(z.string().check(z.regex(CHECKPOINT_ID))), 'read as of this checkpoint (POST /v1/checkpoints)');
const atCheckpoint = z.strictObject({ checkpoint: checkpointParam });
const checkpoint = z.strictObject({
  id: z.string(),
  manifestVersion: int(),
  asOf: described(z.string(), 'the end of the last sealed period when it was made: it reads what was written before'),
  createdAt: z.string(),
  expiresAt: z.string(),
  runs: described(int(), 'runs it pins'),
});

export const OPERATIONS = {
  putItem: {
    errors: [412],
    summary: 'Write a value (any JSON, at most 256 KiB) under a key',
    body: anyJson,
    headers: PRECONDITION_HEADERS,
    responses: { 200: written },
    responseHeaders: { ETag: 'the seq of the version written or read, quoted: the tag If-Match takes' },
  },
  deleteItem: {
    errors: [412],
    summary: 'Delete a key (writes a tombstone)',
    headers: PRECONDITION_HEADERS,
    responses: { 200: written },
    responseHeaders: { ETag: 'the seq of the version written or read, quoted: the tag If-Match takes' },
  },
  batchWrite: {
    summary: `Write or delete up to ${LIMITS.maxBatchItems} items; each is answered on its own`,
    body: z.strictObject({
      items: list(
        z.union([z.strictObject({ pk, sk, value: anyJson, ...itemPrecondition }), z.strictObject({ pk, sk, delete: z.literal(true), ...itemPrecondition })], {
          error: 'an item is {"pk", "sk", "value"} or {"pk", "sk", "delete": true}, with "ifMatch" or "ifNoneMatch" if it is conditional',
        }),
        1,
        LIMITS.maxBatchItems,
      ),
    }),
    invalidCode: 'InvalidBatch',
    tooLargeCode: 'BatchTooLarge',
    responses: { 200: z.strictObject({ results: z.array(z.union([written, errorBody])) }) },
  },
  getItem: {
    errors: [404],
    summary: 'Read the newest version of a key',
    query: atCheckpoint,
    responses: { 200: item },
    responseHeaders: { ETag: 'the seq of the version written or read, quoted: the tag If-Match takes' },
  },
  query: {
    errors: [404],
    summary: 'Read a partition in key order, a page at a time',
    query: z.strictObject({
      from: described(z.optional(sk), 'first sort key (inclusive)'),
      to: described(z.optional(sk), 'last sort key (exclusive)'),
      order: z.optional(z.enum(['asc', 'desc'])),
      limit: described(z.optional(z.string().check(z.regex(/^\d+$/))), `items per page, 1 to ${LIMITS.maxQueryLimit}`),
      cursor: described(z.optional(z.string()), 'from the previous page'),
      checkpoint: checkpointParam,
    }),
    responses: { 200: z.strictObject({ items: z.array(item), cursor: z.optional(z.string()) }) },
  },
  batchGet: {
    errors: [404],
    summary: `Read up to ${LIMITS.maxBatchItems} keys`,
    body: z.strictObject({ keys: list(itemKey, 1, LIMITS.maxBatchItems) }),
    query: atCheckpoint,
    invalidCode: 'InvalidBatch',
    tooLargeCode: 'BatchTooLarge',
    responses: {
      200: z.strictObject({
        items: z.array(item),
        unprocessedKeys: described(z.optional(z.array(itemKey)), 'not read within the response size limit: ask again'),
      }),
    },
  },
  createCheckpoint: {
    summary: 'Pin the store as of the end of the last sealed period, for reads with checkpoint=',
    body: z.optional(
      z.strictObject({
        ttl: described(z.optional(z.string()), 'how long it lives: 1m to 30d (at most a quarter of the purge window, when one is set), default 1d'),
      }),
    ),
    invalidCode: 'InvalidCheckpoint',
    responses: { 201: checkpoint },
  },
  listCheckpoints: { summary: 'Live checkpoints, oldest first', responses: { 200: z.strictObject({ checkpoints: z.array(checkpoint) }) } },
  deleteCheckpoint: { errors: [404], summary: 'Release a checkpoint (GC may then delete what only it kept)', responses: { 204: NO_BODY } },
  listRuns: { summary: 'The manifest: every run, hot and cold', responses: { 200: z.strictObject({ version: int(), runs: z.array(runMeta) }) } },
  status: {
    summary: 'How the store stands: hot tables, sealed periods not yet offloaded (how far the lifecycle is behind), cold runs',
    responses: {
      200: z.strictObject({
        manifestVersion: int(),
        now: described(z.string(), "the server's time, ISO 8601"),
        hotTables: described(int(), 'registered hot tables, those made ahead included'),
        lifecyclePeriodsBehind: described(int(), 'sealed periods whose tables are not offloaded yet (normally 0 or 1)'),
        oldestNotOffloaded: described(z.optional(z.string()), 'the start of the oldest of them, ISO 8601'),
        writtenTables: described(int(), 'hot tables that received writes (the others are skipped by reads once sealed)'),
        coldRuns: int(),
      }),
    },
  },
  createImport: {
    summary: 'Start a bulk import: upload URLs for NDJSON files',
    body: z.strictObject({
      format: z.literal('ndjson'),
      files: z.optional(int().check(z.minimum(1), z.maximum(IMPORT_LIMITS.maxFiles))),
      parts: described(z.optional(z.array(int().check(z.minimum(1), z.maximum(IMPORT_LIMITS.maxParts)))), 'multipart: parts per file'),
      onInvalid: z.optional(z.enum(['fail', 'skip'])),
    }),
    invalidCode: 'InvalidImport',
    responses: { 201: z.extend(importStatus, { uploadUrls: z.array(z.string()), uploads: z.array(upload), expiresAt: z.string() }) },
  },
  commitImport: {
    errors: [404, 409],
    summary: 'Uploads are done: check and commit the import',
    body: z.optional(z.strictObject({ parts: described(z.optional(z.record(z.string(), z.array(z.string()))), "multipart: the ETags of each file's parts") })),
    invalidCode: 'InvalidImport',
    responses: { 202: importStatus },
  },
  getImport: { errors: [404], summary: "An import's state, counts and line errors", responses: { 200: importStatus } },
  getImportParts: {
    errors: [404, 409],
    summary:
      "Part URLs of one multipart file of an import awaiting upload, a page at a time, signed now (the rest of a large file's, or fresh ones after they expired)",
    query: z.strictObject({
      file: described(z.string().check(z.regex(/^\d+$/)), 'the file'),
      part: described(z.optional(z.string().check(z.regex(/^[1-9]\d*$/))), 'the first part of the page (1-based, default 1)'),
      limit: described(z.optional(z.string().check(z.regex(/^[1-9]\d*$/))), `parts in the page, 1 to ${IMPORT_LIMITS.partUrlsPerPage} (the default)`),
    }),
    invalidCode: 'InvalidImport',
    responses: {
      200: z.strictObject({
        id: z.string(),
        file: int(),
        uploadId: z.string(),
        parts: int(),
        from: int(),
        partUrls: described(z.array(z.string()), 'parts from, from + 1, ...'),
        nextPart: described(z.optional(int()), 'the next page starts here'),
        expiresAt: described(z.string(), 'when these URLs stop working (never after the signing credentials expire)'),
      }),
    },
  },
  createExport: {
    errors: [404],
    summary: 'Export the store (as of a checkpoint, one taken if none is given) as sorted gzip NDJSON objects',
    body: z.strictObject({
      format: z.literal('ndjson'),
      checkpoint: checkpointParam,
      from: described(z.optional(z.strictObject({ pk, sk: z.optional(sk) })), 'first key (inclusive): a partition, or a key'),
      to: described(z.optional(z.strictObject({ pk, sk: z.optional(sk) })), 'end key (exclusive): a partition, or a key'),
    }),
    invalidCode: 'InvalidExport',
    responses: { 202: z.strictObject({ id: z.string(), checkpoint: z.string() }) },
  },
  getExport: {
    errors: [404],
    summary: "An export's state, totals and objects (with download URLs once it succeeded), a page of objects at a time",
    query: z.strictObject({
      limit: described(
        z.optional(z.string().check(z.regex(/^\d+$/))),
        `objects per page, 1 to ${EXPORT_PAGE.maxObjects} (default ${EXPORT_PAGE.defaultObjects})`,
      ),
      cursor: described(z.optional(z.string()), 'from the previous page'),
    }),
    responses: {
      200: z.strictObject({
        id: z.string(),
        state: z.enum(['running', 'succeeded', 'failed']),
        checkpoint: z.string(),
        createdAt: z.string(),
        updatedAt: z.string(),
        records: int(),
        bytes: int(),
        objects: z.array(
          z.strictObject({
            key: z.string(),
            url: described(z.string(), 'presigned GET, an hour'),
            records: int(),
            bytes: int(),
            firstKey: itemKey,
            lastKey: itemKey,
          }),
        ),
        cursor: described(z.optional(z.string()), 'the next page of objects, while there are more'),
        cause: z.optional(z.string()),
      }),
    },
  },
} as const satisfies Record<string, OperationSchema>;

export type OperationName = keyof typeof OPERATIONS;
type Spec<K extends OperationName> = (typeof OPERATIONS)[K];
export type BodyOf<K extends OperationName> = Spec<K> extends { body: z.ZodMiniType } ? z.infer<Spec<K>['body']> : undefined;
export type QueryOf<K extends OperationName> = Spec<K> extends { query: z.ZodMiniObject } ? z.infer<Spec<K>['query']> : Record<string, never>;

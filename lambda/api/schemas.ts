/**
 * The API's request and response bodies and query parameters, defined once (zod): every
 * request is validated against them before an operation runs (an unknown field is a 400, so
 * a typo is never silently ignored), and the OpenAPI document is generated from them
 * (api/openapi.ts). The engine still checks what a schema cannot say (key bytes, value size).
 */
import { z } from 'zod';
import { IMPORT_LIMITS } from '../core/import-format.ts';
import { LIMITS } from '../core/limits.ts';

/**
 * Any JSON value: the body was parsed from JSON, so anything present is one. (z.json() would
 * check it again, and its recursive JSON Schema does not survive being inlined in OpenAPI.)
 */
const anyJson = z.custom<z.core.util.JSONType>((v) => v !== undefined, { error: 'a JSON value is required' }).meta({ description: 'any JSON value' });

const key = (what: string) => z.string().describe(`${what}: UTF-8, no U+0000`);
const pk = key('partition key');
const sk = key('sort key');
const itemKey = z.strictObject({ pk, sk });

export const errorBody = z
  .strictObject({ error: z.strictObject({ code: z.string().describe('stable, machine-readable'), message: z.string() }) });

const item = z.strictObject({ pk, sk, seq: z.number().int().describe('the version: microseconds since the epoch, unique per key'), value: anyJson });
const written = z.strictObject({ seq: z.number().int() });

const runMeta = z
  .looseObject({
    id: z.string(),
    tier: z.enum(['hot', 'cold']),
    level: z.number().int(),
    periodStart: z.number().int(),
    periodEnd: z.number().int(),
    count: z.number().int(),
    bytes: z.number().int(),
    setsum: z.string(),
  });

const importStatus = z
  .looseObject({
    id: z.string(),
    state: z.enum(['awaiting-upload', 'running', 'succeeded', 'failed']),
    format: z.literal('ndjson'),
    onInvalid: z.enum(['fail', 'skip']),
    files: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    attempts: z.number().int(),
    errors: z.array(z.strictObject({ file: z.number().int(), line: z.number().int(), reason: z.string() })),
  });

const upload = z.union([z.strictObject({ file: z.number().int(), url: z.string() }), z.strictObject({ file: z.number().int(), uploadId: z.string(), partUrls: z.array(z.string()) })]);

/** One API operation: what it takes and what it answers (besides the error bodies). */
export interface OperationSchema {
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodObject;
  /** The error code of a body or query that breaks the schema, unless a field has its own (FIELD_CODES). */
  readonly invalidCode?: string;
  /** The error code of a list over its maximum length. */
  readonly tooLargeCode?: string;
  readonly responses: Readonly<Record<number, z.ZodType>>;
}

/** Fields whose rule has its own error code, wherever they appear. */
export const FIELD_CODES: Readonly<Record<string, string>> = { pk: 'InvalidKey', sk: 'InvalidKey', from: 'InvalidKey', to: 'InvalidKey', limit: 'InvalidLimit', order: 'InvalidOrder', cursor: 'InvalidCursor' };

export const OPERATIONS = {
  putItem: { summary: 'Write a value (any JSON, at most 256 KiB) under a key', body: anyJson, responses: { 200: written } },
  deleteItem: { summary: 'Delete a key (writes a tombstone)', responses: { 200: written } },
  batchWrite: {
    summary: `Write or delete up to ${LIMITS.maxBatchItems} items; each is answered on its own`,
    body: z.strictObject({
      items: z
        .array(z.union([z.strictObject({ pk, sk, value: anyJson }), z.strictObject({ pk, sk, delete: z.literal(true) })], { error: 'an item is {"pk", "sk", "value"} or {"pk", "sk", "delete": true}' }))
        .min(1)
        .max(LIMITS.maxBatchItems),
    }),
    invalidCode: 'InvalidBatch',
    tooLargeCode: 'BatchTooLarge',
    responses: { 200: z.strictObject({ results: z.array(z.union([written, errorBody])) }) },
  },
  getItem: { summary: 'Read the newest version of a key', responses: { 200: item } },
  query: {
    summary: 'Read a partition in key order, a page at a time',
    query: z.strictObject({
      from: sk.optional().describe('first sort key (inclusive)'),
      to: sk.optional().describe('last sort key (exclusive)'),
      order: z.enum(['asc', 'desc']).optional(),
      limit: z.string().regex(/^\d+$/).optional().describe(`items per page, 1 to ${LIMITS.maxQueryLimit}`),
      cursor: z.string().optional().describe('from the previous page'),
    }),
    responses: { 200: z.strictObject({ items: z.array(item), cursor: z.string().optional() }) },
  },
  batchGet: {
    summary: `Read up to ${LIMITS.maxBatchItems} keys`,
    body: z.strictObject({ keys: z.array(itemKey).min(1).max(LIMITS.maxBatchItems) }),
    invalidCode: 'InvalidBatch',
    tooLargeCode: 'BatchTooLarge',
    responses: { 200: z.strictObject({ items: z.array(item), unprocessedKeys: z.array(itemKey).optional().describe('not read within the response size limit: ask again') }) },
  },
  listRuns: { summary: 'The manifest: every run, hot and cold', responses: { 200: z.strictObject({ version: z.number().int(), runs: z.array(runMeta) }) } },
  createImport: {
    summary: 'Start a bulk import: upload URLs for NDJSON files',
    body: z.strictObject({
      format: z.literal('ndjson'),
      files: z.number().int().min(1).max(IMPORT_LIMITS.maxFiles).optional(),
      parts: z.array(z.number().int().min(1).max(IMPORT_LIMITS.maxParts)).optional().describe('multipart: parts per file'),
      onInvalid: z.enum(['fail', 'skip']).optional(),
    }),
    invalidCode: 'InvalidImport',
    responses: { 201: importStatus.extend({ uploadUrls: z.array(z.string()), uploads: z.array(upload), expiresAt: z.string() }) },
  },
  commitImport: {
    summary: 'Uploads are done: check and commit the import',
    body: z.strictObject({ parts: z.record(z.string(), z.array(z.string())).optional().describe('multipart: the ETags of each file\'s parts') }).optional(),
    invalidCode: 'InvalidImport',
    responses: { 202: importStatus },
  },
  getImport: { summary: 'An import\'s state, counts and line errors', responses: { 200: importStatus } },
} as const satisfies Record<string, OperationSchema>;

export type OperationName = keyof typeof OPERATIONS;
type Spec<K extends OperationName> = (typeof OPERATIONS)[K];
export type BodyOf<K extends OperationName> = Spec<K> extends { body: z.ZodType } ? z.infer<Spec<K>['body']> : undefined;
export type QueryOf<K extends OperationName> = Spec<K> extends { query: z.ZodObject } ? z.infer<Spec<K>['query']> : Record<string, never>;

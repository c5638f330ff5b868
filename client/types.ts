/**
 * What the client sends and receives, typed from the schemas the API validates requests
 * with and documents its answers by (lambda/api/schemas.ts): one source for the server,
 * the OpenAPI document and the client.
 */
import type * as z from 'zod/mini';
import type { OPERATIONS, OperationName } from '../lambda/api/schemas.ts';

type Responses<K extends OperationName> = (typeof OPERATIONS)[K]['responses'];
/** The body of an operation's success. */
export type ResponseOf<K extends OperationName> = z.infer<Responses<K>[keyof Responses<K>]>;
type BodySchema<K extends OperationName> = (typeof OPERATIONS)[K] extends { body: infer B extends z.ZodMiniType } ? B : never;
/** The body an operation takes. */
export type RequestOf<K extends OperationName> = z.input<BodySchema<K>>;

export type Item = ResponseOf<'getItem'>;
export type QueryPage = ResponseOf<'query'>;
export type Written = ResponseOf<'putItem'>;
export type Checkpoint = ResponseOf<'createCheckpoint'>;
export type StoreStatus = ResponseOf<'status'>;
export type Runs = ResponseOf<'listRuns'>;
export type ImportStatus = ResponseOf<'getImport'>;
export type CreatedImport = ResponseOf<'createImport'>;
export type ImportParts = ResponseOf<'getImportParts'>;
export type ExportStatus = ResponseOf<'getExport'>;
export type ExportObject = ExportStatus['objects'][number];
export type BatchWriteItem = RequestOf<'batchWrite'>['items'][number];
/** One batch item's answer: its seq, or its own error. */
export type BatchWriteResult = ResponseOf<'batchWrite'>['results'][number];
export type Key = { pk: string; sk: string };

/** A conditional write: `ifMatch` the seq (or seqs, or `*` for any) the record must be at; `ifNoneMatch: '*'` that there is none. */
export interface WriteConditions {
  readonly ifMatch?: number | readonly number[] | '*';
  readonly ifNoneMatch?: '*';
}

export interface QueryOptions {
  /** First sort key (inclusive). */
  readonly from?: string;
  /** Last sort key (exclusive). */
  readonly to?: string;
  readonly order?: 'asc' | 'desc';
  /** Items per request (the API's limit parameter). */
  readonly pageSize?: number;
  /** Start where an earlier page ended. */
  readonly cursor?: string;
  /** Read as of a checkpoint. */
  readonly checkpoint?: string;
}

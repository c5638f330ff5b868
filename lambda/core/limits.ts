/**
 * Every limit of the data model and the storage format, defined once. The API, the
 * adapters, the CDK app and the local system all read these.
 */
export const LIMITS = {
  /** Partition key: UTF-8 bytes. */
  maxPkBytes: 256,
  /** Sort key: UTF-8 bytes. */
  maxSkBytes: 512,
  /** A value's serialized JSON, in bytes. */
  maxValueBytes: 256 * 1024,
  /** Items in one batch write or batch get. */
  maxBatchItems: 100,
  /** Range query page size. */
  defaultQueryLimit: 100,
  maxQueryLimit: 1000,
  /**
   * Items of one response, in JSON bytes: a synchronous Lambda response is at most 6 MB
   * (LAMBDA_PAYLOAD_BYTES), and 100 values of 256 KiB are 25 MiB. A query page ends
   * early with a cursor; a batch get answers the rest as unprocessedKeys.
   */
  maxResponseItemBytes: 5 * 1024 * 1024,
} as const;

/** Storage format defaults (docs/design.md §3, docs/formats.md). Tunable per store, never per read. */
export const FORMAT_DEFAULTS = {
  /** Raw (uncompressed) bytes of records after which a block is cut. */
  blockBytes: 64 * 1024,
  /** Compressed bytes after which a blob is cut. */
  blobBytes: 8 * 1024 * 1024,
  /**
   * A sparse-index entry covers at most this many blocks or records, so that the item
   * (block handles plus bloom filter) stays a few KiB: a point read pays for one small
   * index query, not for the whole blob's index.
   */
  indexEntryMaxBlocks: 16,
  /** With 14 bits a key, an item stays under 8 KB (one read unit of a strongly consistent Query, two halves eventually). */
  indexEntryMaxRecords: 3072,
  /**
   * Bloom filter bits per key (and per partition prefix): about 0.12% false positives, so an
   * absent key costs an S3 GET once in 800 reads per run that could hold it (10 bits: 0.8%).
   */
  bloomBitsPerKey: 14,
  /** zstd level: 3 is zstd's default, a good speed/ratio trade for write-once data. */
  zstdLevel: 3,
} as const;

/** The highest seq a record can carry: seqs are microseconds and must stay exact in a double. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** AWS quotas the lifecycle must live within; the embedded system enforces them as AWS does. */
export const SFN_QUOTAS = {
  /** A state's input or output, a task's result, an execution's input: 256 KiB of UTF-8 JSON. */
  payloadBytes: 256 * 1024,
  /** Events in one execution's history; past this the execution fails. */
  historyEvents: 25_000,
} as const;

/** How long an execution of each state machine may run before Step Functions stops it (the CDK app sets these; the scale model checks against them). */
export const EXECUTION_TIMEOUT_SECONDS = { lifecycle: 6 * 3600, import: 12 * 3600, export: 24 * 3600 } as const;

/** A synchronous Lambda invocation's request or response payload (6 MB). */
export const LAMBDA_PAYLOAD_BYTES = 6_291_456;

/**
 * AWS's request-rate quotas Alki is designed against (published defaults): the embedded
 * system enforces the DynamoDB and S3 ones (local/throughput.ts), the scale model checks all.
 */
export const RATE_QUOTAS = {
  /** DynamoDB, per partition key value. */
  partitionWriteUnits: 1000,
  partitionReadUnits: 3000,
  /** DynamoDB on-demand: a new table's throughput, and the per-table quota. */
  newTableWriteUnits: 4000,
  newTableReadUnits: 12000,
  tableUnits: 40000,
  /** S3, per prefix. */
  prefixPuts: 3500,
  prefixGets: 5500,
  /** Lambda's concurrent executions per account and region, and what must stay unreserved. */
  accountConcurrency: 1000,
  unreservedConcurrency: 100,
  /** API Gateway HTTP APIs: requests a second per account and region. */
  apiRequestsPerSecond: 10000,
} as const;

/**
 * API Gateway throttling for a store sized for `peakWritesPerSecond` single writes (and as many
 * reads again): at least 2,000 a second (API Gateway's own default is 10,000 shared by the
 * account), burst twice the rate.
 */
export function apiThrottle(peakWritesPerSecond: number | undefined): { rateLimit: number; burstLimit: number } {
  const rateLimit = Math.min(RATE_QUOTAS.apiRequestsPerSecond, Math.max(2000, Math.ceil((peakWritesPerSecond ?? 0) * 1.5)));
  return { rateLimit, burstLimit: 2 * rateLimit };
}

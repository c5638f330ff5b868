/** The AlkiStore construct's props, and how they become the store's settings. */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { CompactionPolicyName } from '../lambda/core/compaction.ts';
import { DEFAULT_SETTINGS, parseDuration, checkSettings, type HotCapacity, type StoreSettings } from '../lambda/core/settings.ts';

export interface AlkiStoreProps {
  /** Prefix of every resource name (index table, hot tables, bucket). Default `alki`. */
  readonly prefix?: string;
  /** One hot table per period: `1d` (default), `1h`, ... must divide a day. */
  readonly period?: string;
  /** A period takes no writes after its end plus this. Default `10m`. */
  readonly sealGrace?: string;
  /** What a commit releases is deleted this long after. Default `10m`. */
  readonly gcGrace?: string;
  /** Logarithmic compaction: runs per level before they merge. Default 2. */
  readonly fanout?: number;
  /** Runs at this level are never merged again. Default 12. */
  readonly maxLevel?: number;
  /** Records older than this are invisible and dropped, e.g. `365d`. Default: kept forever. */
  readonly retention?: string;
  /** Raw bytes per block (default 64 KiB) and compressed bytes per blob (default 8 MiB). */
  readonly blockBytes?: number;
  readonly blobBytes?: number;
  /** What happens to the index table and bucket when the stack is deleted. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /** Days S3 keeps overwritten or deleted objects: a recovery window for GC mistakes. Default 30. */
  readonly noncurrentVersionDays?: number;
  /** Days before temporary spill objects are removed by an S3 lifecycle rule. Default 7. */
  readonly spillExpirationDays?: number;
  /** API Gateway throttling for the whole API. Defaults: 1.5 times `peakWritesPerSecond` requests/s (at least 2,000, at most the account's 10,000), burst twice that. */
  readonly apiRateLimit?: number;
  readonly apiBurstLimit?: number;
  /** Days to keep function, API and state machine logs. Default 30. */
  readonly logRetentionDays?: number;
  /**
   * X-Ray active tracing of the API's functions (ingest, read). Default off: Lambda traces 1
   * request a second and 5% of the rest, which at 5,000 writes a second is about $3,200 a month
   * of traces. The lifecycle's functions and state machines are always traced.
   */
  readonly dataPlaneTracing?: boolean;
  /**
   * API Gateway's access log, a line a request (about 340 bytes: $2,390 a month at 5,000
   * requests a second). Default on; off leaves the functions' own logs and metrics.
   */
  readonly apiAccessLogs?: boolean;
  /** How often the lifecycle runs. Default: every hour, or a quarter period if shorter. */
  readonly lifecycleEvery?: string;
  /** Periods after the current one whose tables rotation keeps ready, on its own schedule. Default 7. */
  readonly rotateAhead?: number;
  /**
   * `on-demand` (default): hot tables are billed per request. `provisioned`: each period's
   * table gets write capacity sized from the last offloaded period, with auto scaling (70%
   * target); cheaper for steady, high write rates.
   */
  readonly hotCapacity?: HotCapacity;
  /**
   * Partition keys each `pk` is spread over in hot tables (1-64, default 8): one partition key
   * takes at most 1,000 writes a second, so one team writing faster needs several. A change
   * applies to periods whose tables are created afterwards.
   */
  readonly hotShards?: number;
  /**
   * The peak write rate (records a second) the store is sized for before it has history: new
   * on-demand hot tables are warmed for 1.5 times it, and API throttling defaults follow it.
   */
  readonly peakWritesPerSecond?: number;
  /**
   * Lambda concurrency: the account's concurrent executions in the region (default 1,000), the
   * ingest and read functions' reserved concurrency (default: twice their invocations at the
   * configured peak, at least 100; read 100), and one budget the background functions share
   * equally (default 600: 100 each, what a Distributed Map runs at once). Synthesis fails when they leave fewer than 100 unreserved.
   */
  readonly accountConcurrency?: number;
  readonly ingestConcurrency?: number;
  readonly readConcurrency?: number;
  readonly backgroundConcurrency?: number;
  /** `logarithmic` (default), or `multi`: also rewrite sparse runs and pack under-filled ones (docs/compaction.md). */
  readonly compaction?: CompactionPolicyName;
  /**
   * A deleted or expired record is gone from every object this long after, e.g. `30d` (at least
   * 4 days: S3 lifecycle rules count whole days). Default: no deadline.
   */
  readonly purgeWithin?: string;
}

export function storeSettings(p: AlkiStoreProps): StoreSettings {
  const dur = (v: string | undefined, name: string, d: number): number => (v === undefined ? d : parseDuration(name, v));
  return checkSettings({
    prefix: p.prefix ?? DEFAULT_SETTINGS.prefix,
    periodMs: dur(p.period, 'period', DEFAULT_SETTINGS.periodMs),
    sealGraceMs: dur(p.sealGrace, 'sealGrace', DEFAULT_SETTINGS.sealGraceMs),
    gcGraceMs: dur(p.gcGrace, 'gcGrace', DEFAULT_SETTINGS.gcGraceMs),
    fanout: p.fanout ?? DEFAULT_SETTINGS.fanout,
    maxLevel: p.maxLevel ?? DEFAULT_SETTINGS.maxLevel,
    retentionMs: p.retention === undefined ? undefined : parseDuration('retention', p.retention),
    blockBytes: p.blockBytes ?? DEFAULT_SETTINGS.blockBytes,
    blobBytes: p.blobBytes ?? DEFAULT_SETTINGS.blobBytes,
    rangeBytes: DEFAULT_SETTINGS.rangeBytes,
    spillBytes: DEFAULT_SETTINGS.spillBytes,
    segmentBytes: DEFAULT_SETTINGS.segmentBytes,
    compactionSlice: DEFAULT_SETTINGS.compactionSlice,
    offloadSlice: DEFAULT_SETTINGS.offloadSlice,
    rotateAhead: p.rotateAhead ?? DEFAULT_SETTINGS.rotateAhead,
    hotCapacity: p.hotCapacity ?? DEFAULT_SETTINGS.hotCapacity,
    hotShards: p.hotShards ?? DEFAULT_SETTINGS.hotShards,
    peakWritesPerSecond: p.peakWritesPerSecond ?? DEFAULT_SETTINGS.peakWritesPerSecond,
    compaction: p.compaction ?? DEFAULT_SETTINGS.compaction,
    purgeWithinMs: p.purgeWithin === undefined ? undefined : parseDuration('purgeWithin', p.purgeWithin),
  });
}

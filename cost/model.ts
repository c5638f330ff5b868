/**
 * The monthly cost of a workload on Alki and on one DynamoDB table, from a measurement
 * (cost/measure.ts) and list prices (cost/prices.ts). Pure arithmetic: every term is a
 * measured ratio times a workload's volume times a price.
 */
import { AUTO_SCALING, provisionedFor } from '../lambda/core/hot-capacity.ts';
import { DEFAULT_SETTINGS, defaultLifecycleIntervalMs, rotationIntervalMs, type HotCapacity, type StoreSettings } from '../lambda/core/settings.ts';
import { simulate } from '../bench/simulator.ts';
import { defaultScaleInput, scaleModel } from '../bench/scale-model.ts';
import { fanOut } from '../lambda/core/fan-out.ts';
import { readUnits, STORAGE_OVERHEAD_BYTES, writeUnits } from '../lambda/store/item-size.ts';
import { METRICS } from '../lambda/core/metrics.ts';
import { UNITS } from '../lambda/units.ts';
import type { InvocationCost } from './front-end.ts';
import type { Measurement } from './measure.ts';
import type { Prices } from './prices.ts';

/**
 * How the writes arrive: `api-single` one PUT a request through API Gateway and the ingest
 * function, `api-batch` the batching writer's 100 items a request, `direct` the client's
 * direct mode (the application's own process writes the tables; no API, no function).
 */
export type WritePath = 'api-single' | 'api-batch' | 'direct';
export const WRITE_PATHS: readonly WritePath[] = ['api-single', 'api-batch', 'direct'];

export interface Workload {
  readonly name: string;
  readonly writePath: WritePath;
  readonly writesPerSecond: number;
  /** Key and value bytes of a record. */
  readonly recordBytes: number;
  readonly retentionDays: number;
  readonly readsPerSecond: number;
}

export type TableClass = 'standard' | 'standard-ia';

export interface Cost {
  readonly monthlyUsd: number;
  /** USD per month by item. */
  readonly breakdown: Readonly<Record<string, number>>;
}

const DAY_MS = 86_400_000;
export const DAYS_PER_MONTH = 365.25 / 12;
const SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400;
const HOURS_PER_MONTH = DAYS_PER_MONTH * 24;
/**
 * Read units per 4 KB of a period's table, for its two full scans: the offload's, eventually
 * consistent (half a unit: the table took its last write a seal grace before), and
 * verification's re-scan, strongly consistent (a unit).
 */
const SCAN_UNITS_PER_4KB = 0.5 + 1;
const GB = 1e9;

const total = (breakdown: Record<string, number>): Cost => ({ monthlyUsd: Object.values(breakdown).reduce((s, v) => s + v, 0), breakdown });

/** A record's item in a DynamoDB table, scaled from the measured one to the workload's record size. */
function itemBytesOf(m: Measurement, w: Workload): number {
  return m.hotItemBytes - m.recordBytes + w.recordBytes;
}

/** Compaction's rewrites per byte offloaded, in steady state over the retention (the policy's own simulator). */
export function compactionRewrites(retentionDays: number, s: Pick<StoreSettings, 'fanout' | 'maxLevel'>): number {
  return simulate({ periods: Math.max(1, retentionDays), fanout: s.fanout, maxLevel: s.maxLevel }).writeAmplification - 1;
}

/** Spill objects of a period's offload: one per scan segment and key range, as the planner fans out. */
function spillObjects(bytes: number, s: StoreSettings): number {
  const f = fanOut(bytes, s);
  return f.segments * f.ranges;
}

/**
 * Provisioned capacity as auto scaling holds it at the target utilization for a steady rate:
 * the units rotation sizes (core/hot-capacity.ts) for this many writes a second.
 */
export function provisionedWriteUnits(writesPerSecond: number, itemBytes: number): number {
  const c = provisionedFor(writesPerSecond, { itemBytes });
  return c.mode === 'provisioned' ? c.write.initial : 0;
}

export const DEFAULT_STORE: StoreSettings = { ...DEFAULT_SETTINGS, periodMs: DAY_MS };

/** How the store is deployed, where it changes the bill: the levers the README lists. */
export interface Deployment {
  /** S3 keeps deleted objects' versions this many days (default 30). */
  readonly noncurrentVersionDays?: number;
  readonly lifecycleEveryMs?: number;
  /** Function and API logs kept this many days (default 30). */
  readonly logRetentionDays?: number;
  /** X-Ray active tracing of the API's functions (default off). */
  readonly dataPlaneTracing?: boolean;
  /** API Gateway's access log, a line per request (default on). */
  readonly apiAccessLogs?: boolean;
}

/** Custom metrics, each a name and its dimension values: what CloudWatch bills a month regardless of traffic. */
export const CUSTOM_METRICS = Object.values(METRICS).reduce((n, spec) => n + ('by' in spec ? spec.by.values.length : 1), 0);

/** CloudWatch Logs for bytes written a month: their ingestion, and their storage for the retention (priced as written). */
function logsUsd(bytes: number, p: Prices, d: Deployment): number {
  const months = Math.min(d.logRetentionDays ?? 30, 3650) / DAYS_PER_MONTH;
  return (bytes / GB) * (p.cloudwatch.logsIngestUsdPerGb + months * p.cloudwatch.logsStorageUsdPerGb);
}

/** API Gateway HTTP API requests a month, in its two tiers. */
function apiGatewayUsd(requests: number, p: Prices): number {
  const first = Math.min(requests, p.apiGateway.firstTierRequests);
  return (first * p.apiGateway.firstTierUsdPerMillion + (requests - first) * p.apiGateway.overUsdPerMillion) / 1e6;
}

/**
 * What the writes and reads cost in front of the tables on their path: API Gateway's
 * requests, the ingest and read functions' invocations and duration (as measured: the
 * handler's own time and DynamoDB's latency), the log bytes each request writes (the
 * function's lines and metrics, API Gateway's access log line) and their storage, and traces
 * when the API's functions are traced (Lambda records 1 request a second and 5% of the rest).
 * Direct mode has none of it: its reads and writes are the application's own calls.
 */
export function frontEndMonthly(m: Measurement, w: Workload, p: Prices, d: Deployment = {}): Record<string, number> {
  if (w.writePath === 'direct') return {};
  const inv = w.writePath === 'api-batch' ? m.frontEnd.batch : m.frontEnd.single;
  const writes = (w.writesPerSecond * SECONDS_PER_MONTH) / (w.writePath === 'api-batch' ? m.frontEnd.batchItems : 1);
  // Reads go the way writes go: through the API, one GET a read.
  const reads = w.readsPerSecond * SECONDS_PER_MONTH;
  const access = (d.apiAccessLogs ?? true) ? m.frontEnd.accessLogBytes : 0;
  const logBytes = writes * (inv.logBytes + access) + reads * (m.frontEnd.read.logBytes + access);
  // Lambda records 1 request a second of each traced function, and 5% of the rest.
  const traced = (n: number): number => (n > 0 ? Math.min(n, SECONDS_PER_MONTH + 0.05 * Math.max(0, n - SECONDS_PER_MONTH)) : 0);
  const traces = d.dataPlaneTracing ? traced(writes) + traced(reads) : 0;
  const gbSeconds = (n: number, c: InvocationCost, unit: 'ingest' | 'read'): number => n * (c.durationMs / 1000) * (UNITS[unit].memoryMb / 1024);
  return {
    'API Gateway (HTTP API requests)': apiGatewayUsd(writes + reads, p),
    'Lambda ingest (requests)': writes * p.lambda.requestUsd,
    'Lambda ingest (duration)': gbSeconds(writes, inv, 'ingest') * p.lambda.gbSecondUsd,
    ...(reads > 0
      ? { 'Lambda read (requests)': reads * p.lambda.requestUsd, 'Lambda read (duration)': gbSeconds(reads, m.frontEnd.read, 'read') * p.lambda.gbSecondUsd }
      : {}),
    'CloudWatch Logs (API functions and their metrics, access log)': logsUsd(logBytes, p, d),
    ...(traces > 0 ? { 'X-Ray (API functions traced)': (traces / 1e6) * p.xray.tracesRecordedUsdPerMillion } : {}),
  };
}

export function alkiMonthly(m: Measurement, w: Workload, p: Prices, s: StoreSettings = DEFAULT_STORE, opts: Deployment = {}): Cost {
  const records = w.writesPerSecond * SECONDS_PER_MONTH;
  const logicalPerDay = w.writesPerSecond * 86_400 * w.recordBytes;
  const periodsPerMonth = (DAYS_PER_MONTH * DAY_MS) / s.periodMs;
  const logicalPerPeriod = logicalPerDay * (s.periodMs / DAY_MS);
  const retained = logicalPerDay * w.retentionDays;
  const rewrites = compactionRewrites((w.retentionDays * DAY_MS) / s.periodMs, s);
  const item = itemBytesOf(m, w);
  // A period's table fills for a period (half a period's data on average), then waits for offload and GC.
  const lifecycleEvery = opts.lifecycleEveryMs ?? defaultLifecycleIntervalMs(s.periodMs);
  const hotPeriods = 0.5 + (s.sealGraceMs + lifecycleEvery + s.gcGraceMs) / s.periodMs;
  const hotBytes = (logicalPerPeriod / w.recordBytes) * (item + STORAGE_OVERHEAD_BYTES) * hotPeriods;
  const stored = m.s3BytesPerLogicalByte;
  // A versioned bucket keeps what compaction and retention delete for noncurrentVersionDays.
  // Each byte is deleted once per compaction rewrite (its replaced run), and once more at expiry.
  const deletions = rewrites + (w.retentionDays > 0 ? 1 : 0);
  const deletedPerDay = logicalPerDay * stored * deletions;
  const noncurrent = deletedPerDay * (opts.noncurrentVersionDays ?? 30);
  // Requests grow with the offload's fan-out (spills per segment and range) and its blobs.
  const measuredBytes = m.records * m.recordBytes;
  const requestScale =
    (spillObjects(logicalPerPeriod, s) + (logicalPerPeriod * stored) / s.blobBytes) /
    (spillObjects(measuredBytes, s) + Math.max(1, (measuredBytes * stored) / s.blobBytes));
  const perPeriod = (perGb: number): number => perGb * (measuredBytes / GB) * requestScale;
  const lifecycleFactor = 1 + rewrites;
  // The lifecycle's functions and transitions at this period's size, from the scale model (its tasks timed at the
  // bench's measured throughputs and DynamoDB's paced scans), not scaled up from the small measured period.
  const lifecycle = scaleModel(defaultScaleInput(logicalPerPeriod, w.recordBytes, (w.retentionDays * DAY_MS) / s.periodMs, s, 1 / stored), m.throughputs).cost;
  // Provisioned: each period's table holds its capacity from a rotation interval before the period until it is sealed.
  const provisionedHours = HOURS_PER_MONTH * ((s.periodMs + rotationIntervalMs(s.periodMs) + s.sealGraceMs) / s.periodMs);
  const hotWrites: Record<string, number> =
    s.hotCapacity === 'provisioned'
      ? {
          'hot writes (DynamoDB provisioned, auto-scaled)':
            provisionedWriteUnits(w.writesPerSecond, item) * provisionedHours * p.dynamodb.provisionedWcuHourUsd,
          'hot reads (DynamoDB provisioned, floor)': AUTO_SCALING.minUnits * provisionedHours * p.dynamodb.provisionedRcuHourUsd,
        }
      : { 'hot writes (DynamoDB on demand)': (records * writeUnits(item) * p.dynamodb.writeRequestUnitUsd) / 1e6 };
  return total({
    ...hotWrites,
    // Sealed tables are on-demand in both modes: the offload's scans are billed per request.
    'offload scans (DynamoDB on demand)': (SCAN_UNITS_PER_4KB * ((records * item) / 4096) * p.dynamodb.readRequestUnitUsd) / 1e6,
    'hot storage (DynamoDB)': (hotBytes / GB) * p.dynamodb.storageStandardUsd,
    'index storage (DynamoDB)': ((retained * m.indexBytesPerLogicalByte) / GB) * p.dynamodb.storageStandardUsd,
    // Every run writes its index items (offload once, each compaction rewrite again) and GC deletes the replaced and expired
    // runs' items: both billed by item size on the on-demand index table (a 1 MiB block group's item holds its bloom filter).
    'index writes and deletes (DynamoDB on demand)':
      ((periodsPerMonth * (logicalPerPeriod / GB) * m.indexWriteUnitsPerLogicalGb * (lifecycleFactor + deletions)) / 1e6) * p.dynamodb.writeRequestUnitUsd,
    'cold storage (S3 Standard)': ((retained * stored + noncurrent) / GB) * p.s3.storageStandardUsd,
    'S3 requests (offload, compaction)':
      periodsPerMonth *
      lifecycleFactor *
      ((perPeriod(m.offloadPerLogicalGb.s3Puts) * p.s3.putUsd + perPeriod(m.offloadPerLogicalGb.s3Gets) * p.s3.getUsd) / 1000),
    'Lambda (lifecycle)': periodsPerMonth * lifecycle.lambdaGbSecondsPerPeriod * p.lambda.gbSecondUsd,
    'Step Functions': periodsPerMonth * lifecycle.transitionsPerPeriod * p.stepFunctions.transitionUsd,
    'CloudWatch Logs (lifecycle functions, state machine)':
      periodsPerMonth *
      logsUsd(lifecycle.tasksPerPeriod * m.lifecycleLogs.bytesPerTask + lifecycle.transitionsPerPeriod * m.lifecycleLogs.bytesPerTransition, p, opts),
    reads: w.readsPerSecond * SECONDS_PER_MONTH * ((m.readUnitsPerColdRead * p.dynamodb.readRequestUnitUsd) / 1e6 + (m.s3GetsPerColdRead * p.s3.getUsd) / 1000),
    'index point-in-time recovery (DynamoDB)': ((retained * m.indexBytesPerLogicalByte) / GB) * p.dynamodb.pitrUsd,
    'CloudWatch metrics (custom)': CUSTOM_METRICS * p.cloudwatch.metricUsd,
    ...frontEndMonthly(m, w, p, opts),
  });
}

export function dynamodbOnlyMonthly(m: Measurement, w: Workload, p: Prices, tableClass: TableClass, capacity: HotCapacity = 'on-demand'): Cost {
  const ia = tableClass === 'standard-ia';
  const item = itemBytesOf(m, w);
  const records = w.writesPerSecond * SECONDS_PER_MONTH;
  const retainedItems = w.writesPerSecond * 86_400 * w.retentionDays;
  const cls = ia ? ', Standard-IA' : '';
  // Provisioned: the same sizing as Alki's hot tables (70% utilization), all month; reads likewise.
  const requests: Record<string, number> =
    capacity === 'provisioned'
      ? {
          [`writes (DynamoDB provisioned, auto-scaled${cls})`]:
            provisionedWriteUnits(w.writesPerSecond, item) * HOURS_PER_MONTH * (ia ? p.dynamodb.iaProvisionedWcuHourUsd : p.dynamodb.provisionedWcuHourUsd),
          [`reads (DynamoDB provisioned${cls})`]:
            Math.max(AUTO_SCALING.minUnits, Math.ceil((w.readsPerSecond * readUnits(item, true) * 100) / AUTO_SCALING.targetUtilization)) *
            HOURS_PER_MONTH *
            (ia ? p.dynamodb.iaProvisionedRcuHourUsd : p.dynamodb.provisionedRcuHourUsd),
        }
      : {
          [`writes (DynamoDB on demand${cls})`]: (records * writeUnits(item) * (ia ? p.dynamodb.iaWriteRequestUnitUsd : p.dynamodb.writeRequestUnitUsd)) / 1e6,
          reads: (w.readsPerSecond * SECONDS_PER_MONTH * readUnits(item, true) * (ia ? p.dynamodb.iaReadRequestUnitUsd : p.dynamodb.readRequestUnitUsd)) / 1e6,
        };
  return total({
    ...requests,
    [`storage (DynamoDB ${ia ? 'Standard-IA' : 'Standard'})`]:
      ((retainedItems * (item + STORAGE_OVERHEAD_BYTES)) / GB) * (ia ? p.dynamodb.storageIaUsd : p.dynamodb.storageStandardUsd),
  });
}

export interface Scenario {
  readonly name: string;
  readonly writePath: WritePath;
  readonly retentionDays: number;
  readonly capacity: HotCapacity;
  readonly tableClass: TableClass;
  readonly alki: Cost;
  readonly dynamodbOnly: Cost;
  /** DynamoDB-only over Alki, both in the same capacity mode. */
  readonly ratio: number;
}

/** Alki's audit logs: 5,000 writes/s of 400-byte records, kept 1 year and 7 years (each write path is a scenario of its own). */
export const DEFAULT_WORKLOADS: readonly Omit<Workload, 'writePath'>[] = [
  { name: 'audit logs, 1 year', writesPerSecond: 5000, recordBytes: 400, retentionDays: 365, readsPerSecond: 0 },
  { name: 'audit logs, 7 years', writesPerSecond: 5000, recordBytes: 400, retentionDays: 2555, readsPerSecond: 0 },
];

/**
 * Every workload on every write path in both capacity modes, each against DynamoDB Standard
 * and Standard-IA in the same mode. The DynamoDB-only table is written directly: it has no
 * front end of its own to price.
 */
export function scenarios(m: Measurement, p: Prices, workloads: readonly Omit<Workload, 'writePath'>[] = DEFAULT_WORKLOADS, d: Deployment = {}): Scenario[] {
  return (['on-demand', 'provisioned'] as const).flatMap((capacity) =>
    workloads.flatMap((base) =>
      WRITE_PATHS.flatMap((writePath) =>
        (['standard', 'standard-ia'] as const).map((tableClass) => {
          const w: Workload = { ...base, writePath };
          const alki = alkiMonthly(m, w, p, { ...DEFAULT_STORE, hotCapacity: capacity }, d);
          const dynamodbOnly = dynamodbOnlyMonthly(m, w, p, tableClass, capacity);
          return {
            name: `${w.name}, ${writePath}, ${capacity}, vs DynamoDB ${tableClass === 'standard' ? 'Standard' : 'Standard-IA'}`,
            writePath,
            retentionDays: w.retentionDays,
            capacity,
            tableClass,
            alki,
            dynamodbOnly,
            ratio: dynamodbOnly.monthlyUsd / alki.monthlyUsd,
          };
        }),
      ),
    ),
  );
}

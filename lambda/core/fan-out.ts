/**
 * How many tasks a job of `bytes` raw bytes is split into: scan segments of `segmentBytes`
 * each and key ranges of `rangeBytes` each, with no cap: the number of tasks follows the
 * data, each task's work stays within a budget, and the state machines run them as
 * Distributed Maps (child executions), so neither a state nor an execution's history grows
 * with the count. Offload and import plan with it; the cost report and the scale model size
 * their periods with it too.
 */
import { EXECUTION_TIMEOUT_SECONDS, RATE_QUOTAS } from './limits.ts';
import type { OffloadPhase, SliceBudget } from './offload-slice.ts';
import type { StoreSettings } from './settings.ts';

/**
 * Seconds a task is planned to take at most: Lambda allows 900, and the rest is margin for
 * a slow container or a throttled table. The default sizes below are this budget times the
 * per-worker rates the scale model takes from the bench (bench/scale-model.ts checks them).
 */
export const TASK_BUDGET_SECONDS = 600;

/** Child executions a Distributed Map runs at once: a share of Lambda's default 1,000 concurrent executions, leaving the rest to the API. */
export const MAP_CONCURRENCY = 100;

/**
 * Write units a second one range's writer asks of its index partition key: at most half of
 * DynamoDB's 1,000 a key (a retried task beside a slow earlier attempt still fits), and so
 * that a Map's merges at once take at most half of the index table's 40,000 (the other half
 * for a concurrent import's and the rest of the store's writes).
 */
export const INDEX_KEY_WRITE_UNITS = Math.min(RATE_QUOTAS.partitionWriteUnits / 2, RATE_QUOTAS.tableUnits / 2 / MAP_CONCURRENCY);

/**
 * Raw bytes a second one worker merges (read, merge, write, hash) and verifies (read, hash):
 * the bench's figures rounded down (`npm run bench -- lifecycle`; bench/scale-model.ts holds
 * the planner to them against bench/results/latest.json).
 */
export const WORKER_RATES = { merge: 25e6, verify: 40e6 } as const;

/**
 * Key ranges of a compaction one lifecycle execution merges and verifies: what MAP_CONCURRENCY
 * workers finish in half the execution's timeout. A larger compaction goes on where it
 * stopped in the next execution (its ranges' records say which are done), so an execution
 * ends in time and the next one offloads the periods sealed meanwhile before going on.
 */
export function compactionSlice(s: Pick<StoreSettings, 'rangeBytes' | 'compactionSlice'>): number {
  if (s.compactionSlice !== undefined) return s.compactionSlice;
  const perRange = s.rangeBytes / WORKER_RATES.merge + s.rangeBytes / WORKER_RATES.verify;
  return MAP_CONCURRENCY * Math.max(1, Math.floor(EXECUTION_TIMEOUT_SECONDS.lifecycle / 2 / perRange));
}

/**
 * The share of a sealed table's read throughput an offload's scans take: the rest serves
 * reads of the period through the API while it is offloaded, and the margin of DynamoDB's
 * own accounting.
 */
export const SCAN_READ_SHARE = 0.5;

/** Seconds of paced reading a scan segment is planned for: half the task budget, the rest for spills and waits out of throttling. */
export const SCAN_TASK_SECONDS = TASK_BUDGET_SECONDS / 2;

/**
 * Bytes a read unit reads in a Scan: 4 KB strongly consistent, twice that eventually. The
 * offload's scan is eventually consistent (the table took its last write a seal grace
 * before, and DynamoDB's copies agree within about a second); verification's re-scan is
 * strongly consistent, the ground truth the new run must match. Segments are sized for the
 * slower of the two.
 */
export const SCAN_BYTES_PER_READ_UNIT = 4096;
export const EVENTUAL_SCAN_BYTES_PER_READ_UNIT = 8192;

/** Read units an offload of a table of `bytes` takes: its scan and verification's re-scan. */
export const offloadReadUnits = (bytes: number): number => bytes / EVENTUAL_SCAN_BYTES_PER_READ_UNIT + bytes / SCAN_BYTES_PER_READ_UNIT;

/** Seconds an offload's two scans are planned to take together at most: a quarter of a lifecycle execution's timeout. */
export const OFFLOAD_READ_SECONDS = EXECUTION_TIMEOUT_SECONDS.lifecycle / 4;

export interface ScanPlan {
  readonly segments: number;
  /** Read units a second each segment's task asks of the table: the scans' share of it over the segments that run at once. */
  readonly readUnitsPerSegment: number;
}

/**
 * Scan segments for `bytes` of a table that serves `tableReadUnits` a second: as many as
 * `segmentBytes` asks for, or more, so that each, paced to its part of the share, finishes
 * its reading in SCAN_TASK_SECONDS. However many segments, the scans together ask the table
 * for its share and no more (MAP_CONCURRENCY of them run at once).
 */
export function scanPlan(bytes: number, tableReadUnits: number, s: Pick<StoreSettings, 'rangeBytes' | 'segmentBytes'>): ScanPlan {
  const budget = Math.max(1, tableReadUnits * SCAN_READ_SHARE);
  const paced = Math.ceil(((bytes / SCAN_BYTES_PER_READ_UNIT) * MAP_CONCURRENCY) / (budget * SCAN_TASK_SECONDS));
  const segments = Math.max(fanOut(bytes, s).segments, paced);
  return { segments, readUnitsPerSegment: budget / Math.min(segments, MAP_CONCURRENCY) };
}

/** What an offload's planner knows of its job: the table's estimated bytes (absent in jobs planned before), its segments and their pace, its ranges. */
export interface OffloadSize {
  readonly bytes?: number;
  readonly totalSegments: number;
  readonly readUnitsPerSegment?: number;
  readonly rangeCount: number;
}

/**
 * Seconds each kind of offload task is planned to take: a segment's reading at its pace
 * (the scan eventually consistent, at half the units of the re-scan), at most
 * SCAN_TASK_SECONDS as planned; a range's merge and reading back at the workers' rates. A job
 * planned before it recorded its bytes is taken at the most a task may take.
 */
export function offloadTaskSeconds(job: OffloadSize, s: Pick<StoreSettings, 'rangeBytes'>): Record<OffloadPhase, number> {
  const known = job.bytes !== undefined && job.readUnitsPerSegment !== undefined;
  const rescan = known ? Math.min(SCAN_TASK_SECONDS, job.bytes! / job.totalSegments / SCAN_BYTES_PER_READ_UNIT / job.readUnitsPerSegment!) : SCAN_TASK_SECONDS;
  const rangeBytes = job.bytes !== undefined ? Math.min(s.rangeBytes, job.bytes / job.rangeCount) : s.rangeBytes;
  return {
    scan: Math.max(1, (rescan * SCAN_BYTES_PER_READ_UNIT) / EVENTUAL_SCAN_BYTES_PER_READ_UNIT),
    merge: Math.max(1, rangeBytes / WORKER_RATES.merge),
    verify: Math.max(1, rangeBytes / WORKER_RATES.verify),
    rescan: Math.max(1, rescan),
  };
}

/** An offload's slice of a lifecycle execution: half its timeout (the other half is a compaction's), in waves of MAP_CONCURRENCY. */
export function offloadBudget(job: OffloadSize, s: Pick<StoreSettings, 'rangeBytes' | 'offloadSlice'>): SliceBudget {
  return { seconds: EXECUTION_TIMEOUT_SECONDS.lifecycle / 2, concurrency: MAP_CONCURRENCY, taskSeconds: offloadTaskSeconds(job, s), maxTasks: s.offloadSlice };
}

export function fanOut(bytes: number, s: Pick<StoreSettings, 'rangeBytes' | 'segmentBytes'>): { segments: number; ranges: number } {
  return { segments: Math.max(2, Math.ceil(bytes / s.segmentBytes)), ranges: Math.max(1, Math.ceil(bytes / s.rangeBytes)) };
}

/** Bytes of input files an import parses per task: half a spill budget (the other half holds its sorters), at least 64 KiB. */
export const importChunkBytes = (s: Pick<StoreSettings, 'spillBytes'>): number => Math.max(64 * 1024, Math.floor(s.spillBytes / 2));

/**
 * Hot table capacity (setting `hotCapacity`): which billing mode each period's table should
 * have now, and with `provisioned`, how much write and read capacity and what auto scaling
 * range. Pure: rotation converges the tables to this plan on every run.
 *
 * A provisioned table is billed by the hour whether written or not, so only the tables that
 * take writes are provisioned: from one rotation interval before the period begins until it
 * is sealed. Tables made further ahead stay on-demand (empty, they cost nothing; and should
 * the rotation before a period fail, its table takes writes on-demand until the next one: a
 * cost, never a throttle), and a sealed table goes back to on-demand, so the offload's big
 * scans are billed per request instead of throttling against a small read capacity.
 */
import { OFFLOAD_READ_SECONDS, offloadReadUnits, SCAN_READ_SHARE } from './fan-out.ts';
import { RATE_QUOTAS } from './limits.ts';
import type { RunMeta } from './manifest.ts';
import { rotationIntervalMs, type StoreSettings } from './settings.ts';

/** Auto scaling's bounds and target, as DynamoDB's console defaults them. */
export const AUTO_SCALING = {
  /** Target tracking keeps consumed capacity at this percentage of provisioned. */
  targetUtilization: 70,
  /** Floor of both dimensions (the console's default minimum). */
  minUnits: 5,
  /** DynamoDB's default per-table quota of read and of write capacity units. */
  maxUnits: RATE_QUOTAS.tableUnits,
  /** A write unit covers an item of up to 1 KiB. */
  writeUnitBytes: 1024,
} as const;

export interface Throughput {
  /** Set on the table when it becomes provisioned. */
  readonly initial: number;
  /** Auto scaling's range. */
  readonly min: number;
  readonly max: number;
}

/** On-demand, optionally warmed: write and read units a second taken at once from creation (AWS's WarmThroughput). */
export type TableCapacity =
  | { readonly mode: 'on-demand'; readonly warmWrites?: number; readonly warmReads?: number }
  | { readonly mode: 'provisioned'; readonly write: Throughput; readonly read: Throughput };

export const ON_DEMAND: TableCapacity = { mode: 'on-demand' };

/** What rotation knows of the table taking writes now, for sizing the next. */
export interface CurrentTable {
  /** Average item size, from DescribeTable (refreshed about every 6 hours on AWS). */
  readonly itemBytes?: number;
  /** Provisioned read capacity as auto scaling has set it (reads are not in the manifest). */
  readonly readUnits?: number;
}

/**
 * Records per second of the most recent offloaded data: the cold run that ends last (level 0
 * for one period, or a compacted run over several), its live records over its span. Undefined
 * before anything is offloaded.
 */
export function recentWriteRate(runs: readonly RunMeta[]): number | undefined {
  const cold = runs.filter((r) => r.tier === 'cold' && r.count > 0);
  if (cold.length === 0) return undefined;
  const last = cold.reduce((a, b) => (b.periodEnd > a.periodEnd || (b.periodEnd === a.periodEnd && b.periodStart > a.periodStart) ? b : a));
  return last.count / ((last.periodEnd - last.periodStart) / 1000);
}

const clampUnits = (n: number): number => Math.min(AUTO_SCALING.maxUnits, Math.max(AUTO_SCALING.minUnits, Math.ceil(n)));

/**
 * Provisioned throughput for a period: write capacity that the recent write rate uses at the
 * target utilization; auto scaling may go down to half of it (quiet hours) and up to the
 * quota. Reads are not recorded, so they start where the current table's auto scaling is.
 */
export function provisionedFor(writeRate: number | undefined, current: CurrentTable = {}): TableCapacity {
  const unitsPerWrite = Math.max(1, Math.ceil((current.itemBytes ?? 1) / AUTO_SCALING.writeUnitBytes));
  const write = clampUnits(((writeRate ?? 0) * unitsPerWrite * 100) / AUTO_SCALING.targetUtilization);
  const read = clampUnits(current.readUnits ?? 0);
  return {
    mode: 'provisioned',
    write: { initial: write, min: clampUnits(write / 2), max: AUTO_SCALING.maxUnits },
    read: { initial: read, min: AUTO_SCALING.minUnits, max: AUTO_SCALING.maxUnits },
  };
}

/** A period's peak write rate over its average (the design's assumption where nothing is measured). */
export const PEAK_FACTOR = 2;

/** Headroom of warm throughput over the peak it is sized for. */
export const WARM_HEADROOM = 1.5;

/**
 * Warm throughput for a new on-demand table: the recent period's write rate times the peak
 * factor and headroom, or the configured peak (a new store's floor) with headroom, whichever is
 * more, in write units; undefined when a new table's 4,000 units a second suffice. A new
 * on-demand table takes 4,000 writes a second at once and grows towards twice its previous peak
 * over about 30 minutes: without this, every period would begin throttled at a higher rate.
 */
export function warmWritesFor(
  settings: Pick<StoreSettings, 'peakWritesPerSecond'>,
  writeRate: number | undefined,
  current: CurrentTable = {},
): number | undefined {
  const unitsPerWrite = Math.max(1, Math.ceil((current.itemBytes ?? 1) / AUTO_SCALING.writeUnitBytes));
  const peak = Math.max((writeRate ?? 0) * PEAK_FACTOR, settings.peakWritesPerSecond ?? 0) * unitsPerWrite * WARM_HEADROOM;
  // Below a new table's own write units a second, warming buys nothing.
  return peak > RATE_QUOTAS.newTableWriteUnits ? Math.min(AUTO_SCALING.maxUnits, Math.ceil(peak)) : undefined;
}

/** An item's bytes where none is measured yet: an upper bound for audit records. */
const ASSUMED_ITEM_BYTES = 1024;

/**
 * Warm read throughput for a new on-demand table: what its offload needs to scan it and
 * re-scan it within OFFLOAD_READ_SECONDS at the scans' share of the table's reads (the
 * period's bytes from the recent write rate, or the configured peak over the peak factor);
 * undefined when a new table's 12,000 read units a second suffice; at most the
 * table quota (a period too large for that takes longer to offload: the scale model says so).
 */
export function warmReadsFor(
  settings: Pick<StoreSettings, 'peakWritesPerSecond' | 'periodMs'>,
  writeRate: number | undefined,
  current: CurrentTable = {},
): number | undefined {
  const average = Math.max(writeRate ?? 0, (settings.peakWritesPerSecond ?? 0) / PEAK_FACTOR);
  const tableBytes = average * (settings.periodMs / 1000) * (current.itemBytes ?? ASSUMED_ITEM_BYTES);
  // No headroom: the scans pace themselves to their share, so they never ask for more.
  const reads = offloadReadUnits(tableBytes) / OFFLOAD_READ_SECONDS / SCAN_READ_SHARE;
  return reads > RATE_QUOTAS.newTableReadUnits ? Math.min(RATE_QUOTAS.tableUnits, Math.ceil(reads)) : undefined;
}

/** Whether the period starting at `start` takes writes now or soon: provisioned in that mode. */
export function takesWritesSoon(settings: StoreSettings, start: number, nowMs: number): boolean {
  const lead = rotationIntervalMs(settings.periodMs);
  return start - lead <= nowMs && nowMs < start + settings.periodMs + settings.sealGraceMs;
}

/** The capacity each of these hot runs' tables should have now. */
export function capacityPlan(
  settings: StoreSettings,
  hot: readonly Pick<RunMeta, 'periodStart'>[],
  runs: readonly RunMeta[],
  nowMs: number,
  current?: CurrentTable,
): TableCapacity[] {
  const rate = recentWriteRate(runs);
  const warmWrites = warmWritesFor(settings, rate, current);
  const warmReads = warmReadsFor(settings, rate, current);
  const warm: TableCapacity = { mode: 'on-demand', ...(warmWrites !== undefined ? { warmWrites } : {}), ...(warmReads !== undefined ? { warmReads } : {}) };
  if (settings.hotCapacity === 'on-demand') return hot.map(() => warm);
  // A table made ahead is created warm for at least the capacity it will be provisioned with
  // (warmWritesFor asks 3 times the recent rate, provisioning 1.43 times): AWS adds partitions
  // when the table is made, periods ahead, not in the rotation interval before it takes writes.
  const provisioned = provisionedFor(rate, current);
  return hot.map((r) => (takesWritesSoon(settings, r.periodStart, nowMs) ? provisioned : warm));
}

/**
 * The scale model: what the lifecycle would do with a period of N bytes and D days of
 * history, on paper. Fan-out comes from the lifecycle's own planning functions (not copies),
 * task durations from throughputs the bench measured (bench/results/latest.json) and from
 * DynamoDB's documented per-partition read limit, state sizes from the task contract, history
 * events as the local runner counts them (every fan-out a Distributed Map: each task a child
 * execution). Every quota a step passes is a violation: Lambda's 15 minutes (and the 10-minute
 * budget), Step Functions' 256 KiB, 25,000 events and the state machines' timeouts (tasks run
 * MAP_CONCURRENCY at once), a merge's memory, S3's
 * request rates per prefix. No data moves.
 */
import { readFileSync } from 'node:fs';
import { simulate } from './simulator.ts';
import { DEFAULT_SETTINGS, defaultLifecycleIntervalMs, formatDuration, type StoreSettings } from '../lambda/core/settings.ts';
import { sorterBudget } from '../lambda/core/spill-sort.ts';
import { apiThrottle, EXECUTION_TIMEOUT_SECONDS, RATE_QUOTAS, SFN_QUOTAS } from '../lambda/core/limits.ts';
import { warmReadsFor, warmWritesFor } from '../lambda/core/hot-capacity.ts';
import { rangeShards } from '../lambda/core/jobs.ts';
import { OFFLOAD_PHASES, offloadSlice, type OffloadPhase, type PhaseLists } from '../lambda/core/offload-slice.ts';
import {
  compactionSlice,
  fanOut,
  offloadBudget,
  type OffloadSize,
  importChunkBytes,
  EVENTUAL_SCAN_BYTES_PER_READ_UNIT,
  INDEX_KEY_WRITE_UNITS,
  MAP_CONCURRENCY,
  SCAN_BYTES_PER_READ_UNIT,
  scanPlan,
  TASK_BUDGET_SECONDS,
} from '../lambda/core/fan-out.ts';
import { OBJECTS } from '../lambda/core/schema.ts';
import { MAX_MERGE_SOURCES } from '../lambda/run-writer.ts';
import type { OffloadRef } from '../lambda/task-contract.ts';
import { ONE_VCPU_MB, UNITS, type UnitName } from '../lambda/units.ts';

/** Quotas the model checks (AWS's published defaults). */
export const QUOTAS = {
  lambdaSeconds: 900,
  /** The budget a task should finish in, leaving room for a slow container (the planner's own). */
  taskBudgetSeconds: TASK_BUDGET_SECONDS,
  statePayloadBytes: SFN_QUOTAS.payloadBytes,
  /** What a state should stay under: references only (issue 11). */
  statePayloadBudgetBytes: 32 * 1024,
  historyEvents: SFN_QUOTAS.historyEvents,
  s3PutsPerSecondPerPrefix: RATE_QUOTAS.prefixPuts,
  s3GetsPerSecondPerPrefix: RATE_QUOTAS.prefixGets,
} as const;

/**
 * A segment of a DynamoDB Scan reads one partition at a time, and a partition serves at most
 * 3,000 read units a second: 12 MB/s of strongly consistent reads (4 KB a unit).
 */
export const SCAN_SEGMENT_BYTES_PER_SECOND = 3000 * 4096;

/** Per-worker throughputs (raw bytes a second) from the bench's figures. */
export interface Throughputs {
  readonly decode: number;
  readonly encodeWithSetsum: number;
  readonly spillEncode: number;
  readonly setsum: number;
  readonly importParse: number;
  /** An export's records per second over a compaction's input records per second (the bench's lifecycle suite). */
  readonly exportOfCompaction: number;
}

export function throughputsFromBench(file = 'bench/results/latest.json', recordBytes = 400): Throughputs {
  const figures = (JSON.parse(readFileSync(file, 'utf8')) as { figures: { name: string; value: number; unit: string }[] }).figures;
  const fig = (name: string): number => {
    const f = figures.find((x) => x.name === name);
    if (!f) throw new Error(`${file} has no figure "${name}": run npm run bench`);
    return f.value;
  };
  const mb = 1e6;
  return {
    decode: fig('blob decode') * mb,
    encodeWithSetsum: fig('blob encode') * mb,
    spillEncode: fig('blob encode without setsum') * mb,
    setsum: fig('setsum insert (framed records)') * 1e6 * recordBytes,
    importParse: fig('import (parse, spill, merge, verify, commit) of the same records') * recordBytes,
    exportOfCompaction: fig('export records/s / compaction input records/s'),
  };
}

/** The workload's rates: what the data plane and the hot tables must take. */
export interface RateInput {
  /** Average writes a second over a period. */
  readonly writesPerSecond: number;
  /** The peak over the average (1: steady). */
  readonly peakFactor: number;
  /** The share of writes of the busiest pk (one team). */
  readonly hotKeyShare: number;
  /** API reads a second (gets and queries). */
  readonly readsPerSecond: number;
  /** Writes per API request (1: single PUTs; 100: full batches). */
  readonly writesPerRequest: number;
}

/** One rate quota: what the workload or the lifecycle asks of it, against what AWS allows. */
export interface Limit {
  readonly name: string;
  readonly demand: number;
  readonly limit: number;
  readonly unit: string;
  readonly ok: boolean;
}

/** Bytes in the index table per raw byte (the bench's `bytes in the index per logical byte`, 0.0086, rounded up). */
export const INDEX_BYTES_PER_RAW_BYTE = 0.009;
/** Write units of the index entries of `rawBytes` written (items of a few KB: about one unit a KB). */
const indexWriteUnits = (rawBytes: number): number => (rawBytes * INDEX_BYTES_PER_RAW_BYTE) / 1024;

/** A merge task's seconds: as fast as it merges, unless its index writes, paced to their key's share, take longer. */
const pacedForIndex = (rawBytes: number, seconds: number): number => Math.max(seconds, indexWriteUnits(rawBytes) / INDEX_KEY_WRITE_UNITS);

/** Seconds an API call's function runs on AWS (ingest and read: one or two DynamoDB calls). */
const API_CALL_SECONDS = 0.05;

export interface ScaleInput {
  readonly periodBytes: number;
  readonly recordBytes: number;
  readonly days: number;
  readonly settings: StoreSettings;
  /** Raw bytes per stored byte (the bench's compression figure). */
  readonly compression: number;
  /** Bytes of an encoded record key (partition and sort key): key-range splitters are keys. */
  readonly keyBytes?: number;
  /** The workload's rates; by default the period's bytes over its length, steady, the busiest pk a tenth of it, no reads. */
  readonly rates?: Partial<RateInput>;
}

export interface Step {
  readonly name: string;
  readonly tasks: number;
  readonly maxTaskBytes: number;
  readonly maxTaskSeconds: number;
  readonly maxStatePayloadBytes: number;
  readonly unit: UnitName;
}

export interface ScaleReport {
  /** No violation, and every limit ok. */
  readonly withinQuotas: boolean;
  readonly violations: string[];
  /** Every request-rate quota, demand against limit. */
  readonly limits: Limit[];
  readonly rates: RateInput;
  readonly steps: Step[];
  readonly execution: {
    /** Of one lifecycle execution: the parent's; each task runs as a child execution with a history of its own. */
    readonly historyEvents: number;
    readonly childHistoryEvents: number;
    /** Wall time of one lifecycle execution (an offload and the largest compaction) and of an import, tasks in waves of mapConcurrency. */
    readonly lifecycleSeconds: number;
    readonly importSeconds: number;
    /**
     * An export of the whole store: its wall time in one execution, the most stored bytes one
     * export execution covers within its timeout, and so how many exports by key range
     * (`from`/`to`) the whole store takes.
     */
    readonly exportSeconds: number;
    readonly exportBytesPerExecution: number;
    readonly wholeStoreExports: number;
    readonly mapConcurrency: number;
    /** Key ranges of a compaction one execution merges and verifies, and how many executions the largest compaction takes. */
    readonly compactionSlice: number;
    readonly largestCompactionExecutions: number;
    /** An offload of a period, all its slices, and the lifecycle executions it takes (core/offload-slice.ts). */
    readonly offloadSeconds: number;
    readonly offloadExecutions: number;
  };
  /**
   * Under a purge window: how long a purge rewrite of the largest run takes (its slices, one
   * lifecycle execution each, at most one an interval), and of every run (deletes spread over
   * the whole store make every run due in each half window), against half the window.
   */
  readonly purge?: { readonly halfWindowHours: number; readonly largestRewriteHours: number; readonly storeRewriteHours: number };
  readonly requests: { readonly s3PutsPerSecondPerPrefix: number; readonly s3GetsPerSecondPerPrefix: number; readonly dynamodbReadUnitsPerPeriod: number };
  readonly cost: { readonly lambdaGbSecondsPerPeriod: number; readonly transitionsPerPeriod: number; readonly tasksPerPeriod: number };
}

/** The rate of stages run one after another on the same bytes. */
const bothWays = (...rates: number[]): number => 1 / rates.reduce((a, r) => a + 1 / r, 0);

/** A function's share of a vCPU, by its memory (the bench's throughputs are one core's). */
export const cpuShare = (unit: UnitName): number => Math.min(1, UNITS[unit].memoryMb / ONE_VCPU_MB);

/** JSON bytes of a value. */
const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/**
 * The largest state of a lifecycle execution, from the task contract's own types: the
 * rotation's answer, the period to offload, the job reference (counts and where the item
 * lists are) and the verified run's manifest entry. None of it grows with the data.
 */
function largestState(s: StoreSettings, keyBytes: number, fan: { readonly segments: number; readonly ranges: number }): number {
  const runId = 'p-20261123';
  const key = 'k'.repeat(Math.ceil((keyBytes * 4) / 3));
  const period = { hotRunId: 'hot-20261123', table: `${s.prefix}-hot-20261123`, periodStart: 1e12, periodEnd: 1e12, runId };
  const job: OffloadRef = {
    ...period,
    segments: fan.segments,
    ranges: fan.ranges,
    maps: {
      bucket: `${s.prefix}-cold-123456789012-us-east-1`,
      ...Object.fromEntries(OFFLOAD_PHASES.map((k) => [k, OBJECTS.mapItems(runId, k)])),
      results: OBJECTS.mapResults(runId),
    },
    slice: { scan: fan.segments, merge: fan.ranges, verify: fan.ranges, rescan: fan.segments },
    complete: false,
  };
  const run = {
    id: runId,
    tier: 'cold',
    level: 0,
    periodStart: 1e12,
    periodEnd: 1e12,
    minSeq: 1e15,
    maxSeq: 1e15,
    minKey: key,
    maxKey: key,
    count: 1e12,
    bytes: 1e15,
    setsum: 'f'.repeat(64),
    blobs: 1e6,
    createdAt: new Date(0).toISOString(),
  };
  const rotate = { periods: Array.from({ length: s.rotateAhead + 1 }, (_, i) => `${s.prefix}-hot-2026112${i}`), busy: [] };
  return jsonBytes({ trigger: 'x'.repeat(80), rotate, offload: { found: true, period }, job, verified: { run }, committed: { version: 1e6, changed: true } });
}

/** A job's key range record (two base64 keys) and a task's record (merge or verify tallies): what planning writes and the last verification step reads. */
const rangeRecordBytes = (keyBytes: number): number =>
  60 + jsonBytes({ index: 1_000_000, lo: 'k'.repeat(Math.ceil((keyBytes * 4) / 3)), hi: 'k'.repeat(Math.ceil((keyBytes * 4) / 3)) });
const TASK_RECORD_BYTES = 400;
/** A job's key ranges are written 25 to a BatchWriteItem by 16 writers at once, each call taking about 20 ms. */
const rangeWriteSeconds = (ranges: number): number => (Math.ceil(ranges / 25 / 16) * 20) / 1000;

/** Events in a parent's history: a Task (entered, scheduled, started, succeeded, exited), a Choice, a Distributed Map (entered, started, Map Run started and succeeded, succeeded, exited). */
const EVENTS = { task: 5, choice: 2, distributedMap: 6 } as const;
/** A child execution's: started, the task's five, succeeded; a retry adds three. */
const CHILD_EVENTS = 2 + EVENTS.task + 3 * 2;

/**
 * Wall seconds of each lifecycle execution's slice of an offload: the slices its planner
 * takes (at its own estimates of a task's seconds), each timed at `seconds` (the model's).
 */
function slicesOf(job: OffloadSize, s: StoreSettings, seconds: Readonly<Record<OffloadPhase, number>>): number[] {
  const budget = offloadBudget(job, s);
  const todo: PhaseLists = { scan: upTo(job.totalSegments), merge: upTo(job.rangeCount), verify: upTo(job.rangeCount), rescan: upTo(job.totalSegments) };
  const out: number[] = [];
  for (let complete = false; !complete && out.length < 10_000;) {
    const slice = offloadSlice(todo, budget);
    out.push(OFFLOAD_PHASES.reduce((a, k) => a + Math.ceil(slice.lists[k].length / MAP_CONCURRENCY) * seconds[k], 0));
    for (const k of OFFLOAD_PHASES) todo[k] = todo[k].slice(slice.lists[k].length);
    complete = slice.complete;
  }
  return out;
}
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function scaleModel(input: ScaleInput, t: Throughputs): ScaleReport {
  const s = input.settings;
  const { periodBytes: bytes, recordBytes } = input;
  const keyBytes = input.keyBytes ?? 64;
  const steps: Step[] = [];
  const violations: string[] = [];
  const waves = (tasks: number): number => Math.ceil(tasks / MAP_CONCURRENCY);
  const step = (x: Omit<Step, 'maxStatePayloadBytes'>): Step => {
    const full = { ...x, maxStatePayloadBytes: state };
    steps.push(full);
    return full;
  };
  /** Wall time of a step: its tasks in waves of MAP_CONCURRENCY. */
  const wall = (x: Step): number => waves(x.tasks) * x.maxTaskSeconds;
  /** The last verification step reads every range's merge and verify records at a partition's read rate. */
  const sum = (name: string, unit: UnitName, ranges: number): Step =>
    step({
      name,
      unit,
      tasks: 1,
      maxTaskBytes: 2 * ranges * TASK_RECORD_BYTES,
      maxTaskSeconds: (2 * ranges * TASK_RECORD_BYTES) / SCAN_SEGMENT_BYTES_PER_SECOND,
    });
  let puts = 0;
  let gets = 0;
  // A merge decodes and writes with setsum; a range read back decodes and hashes.
  const mergeRate = bothWays(t.decode, t.encodeWithSetsum);
  const verifyRate = bothWays(t.decode, t.setsum);
  /** A merge reads every task's spills of its range: past MAX_MERGE_SOURCES, in two passes (its data read twice). */
  const passesFor = (sources: number): number => (sources > MAX_MERGE_SOURCES ? 2 : 1);

  // Offload: the planner's fan-out for a period of this size; its scans paced to their share of
  // the sealed table's reads (a new table's 12,000 a second: hot tables are warmed for writes only).
  const tableBytesPerRaw = (recordBytes + 60) / recordBytes;
  const tableReads = tableReadsOf(input, ratesOf(input));
  const scan = scanPlan(bytes * tableBytesPerRaw, tableReads, s);
  const off = { ...fanOut(bytes, s), segments: scan.segments };
  // Built with this period's fan-out: a state that carried lists would grow with it.
  const state = largestState(s, keyBytes, off);
  /** Seconds a segment of `raw` bytes takes read at its pace (a unit per `perUnit` bytes), or processed at `rate`, whichever is longer. */
  const pacedScan = (raw: number, rate: number, perUnit: number): number => Math.max(raw / rate, (raw * tableBytesPerRaw) / perUnit / scan.readUnitsPerSegment);
  /** Spills each task writes per range: its share of a range over what one range's sorter holds of the task's memory. */
  const spillsPerCell = (taskBytes: number, memoryBytes: number): number =>
    Math.max(1, Math.ceil(taskBytes / off.ranges / sorterBudget(memoryBytes, off.ranges)));
  const scanBytes = bytes / off.segments;
  const scanSeconds = pacedScan(scanBytes, bothWays(SCAN_SEGMENT_BYTES_PER_SECOND, t.setsum, t.spillEncode), EVENTUAL_SCAN_BYTES_PER_READ_UNIT);
  const offload = [step({ name: 'offload scan', unit: 'offload', tasks: off.segments, maxTaskBytes: scanBytes, maxTaskSeconds: scanSeconds })];
  const mergeBytes = bytes / off.ranges;
  const perCell = spillsPerCell(scanBytes, s.spillBytes);
  const sources = off.segments * perCell;
  const passes = passesFor(sources);
  const mergeSeconds = pacedForIndex(mergeBytes, (passes * mergeBytes) / mergeRate);
  offload.push(step({ name: 'offload merge', unit: 'offload', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: mergeSeconds }));
  // Verification is partitioned as the writing was: each range read back, each segment re-scanned, then a sum.
  offload.push(step({ name: 'offload verify ranges', unit: 'verify', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: mergeBytes / verifyRate }));
  offload.push(
    step({
      name: 'offload re-scan',
      unit: 'rescan',
      tasks: off.segments,
      maxTaskBytes: scanBytes,
      // Its own small function: hashing at its share of a vCPU, still paced by its read units, not by the CPU.
      maxTaskSeconds: pacedScan(scanBytes, bothWays(SCAN_SEGMENT_BYTES_PER_SECOND, t.setsum * cpuShare('rescan')), SCAN_BYTES_PER_READ_UNIT),
    }),
  );
  offload.push(sum('offload verify sum', 'verify', off.ranges));
  // A merge holds a chunk of each source and a decoded block: about two blocks per source merged at once.
  const mergeMemory = Math.min(sources, MAX_MERGE_SOURCES) * 2 * s.blockBytes;
  if (mergeMemory > (UNITS.offload.memoryMb << 20) / 2)
    violations.push(
      `offload merge: ${sources} spills merged at once hold ${Math.round(mergeMemory / 2 ** 20)} MiB, over half the function's ${UNITS.offload.memoryMb} MB`,
    );
  // Spills go under one prefix per range (spills/<run>/range-<r>/): every running scan PUTs to each. Blobs go under the
  // run's prefix, every running merge at once. A merge GETs its range's spills, the only reader of that prefix.
  const blobsPerMerge = Math.max(1, mergeBytes / input.compression / s.blobBytes);
  puts = Math.max(
    puts,
    (Math.min(MAP_CONCURRENCY, off.segments) * perCell) / scanSeconds,
    (Math.min(MAP_CONCURRENCY, off.ranges) * blobsPerMerge) / mergeSeconds,
  );
  gets = Math.max(gets, (sources + (passes > 1 ? Math.ceil(sources / MAX_MERGE_SOURCES) : 0)) / mergeSeconds);

  // Compaction: each level the policy reaches in `days` merges fanout^level periods, split every rangeBytes.
  const sim = simulate({ periods: Math.max(1, input.days), fanout: s.fanout, maxLevel: s.maxLevel });
  const topLevel = Math.min(s.maxLevel, Math.floor(Math.log(Math.max(1, sim.largestMerge)) / Math.log(s.fanout)));
  // A plan reads the key ranges its inputs were written in (one record each) and what is done, at a partition's read
  // rate, and writes its ranges; each execution merges and verifies a slice of them (compactionSlice); the last adds up.
  const slice = compactionSlice(s);
  let compactionSeconds = 0;
  let compactionExecutions = 0;
  /** Key ranges of the largest job planned (written at once when it is planned). */
  let largestPlan = 0;
  for (let level = 1; level <= topLevel; level++) {
    const levelBytes = bytes * s.fanout ** level;
    const ranges = Math.max(1, Math.ceil(levelBytes / s.rangeBytes));
    largestPlan = Math.max(largestPlan, ranges);
    const taskBytes = levelBytes / ranges;
    // Its inputs' range summaries, and (each execution of a sliced compaction) the verify records so far.
    const read = ranges * rangeRecordBytes(keyBytes) + ranges * TASK_RECORD_BYTES;
    const plan = step({
      name: `compaction level ${level} plan`,
      unit: 'compact',
      tasks: 1,
      maxTaskBytes: read,
      maxTaskSeconds: read / SCAN_SEGMENT_BYTES_PER_SECOND + rangeWriteSeconds(ranges),
    });
    const merge = step({
      name: `compaction level ${level} merge`,
      unit: 'compact',
      tasks: ranges,
      maxTaskBytes: taskBytes,
      maxTaskSeconds: pacedForIndex(taskBytes, taskBytes / mergeRate),
    });
    const verify = step({
      name: `compaction level ${level} verify ranges`,
      unit: 'verify',
      tasks: ranges,
      maxTaskBytes: taskBytes,
      maxTaskSeconds: taskBytes / verifyRate,
    });
    const total = sum(`compaction level ${level} verify sum`, 'verify', ranges);
    const perExecution = Math.min(slice, ranges);
    compactionSeconds = Math.max(compactionSeconds, wall(plan) + waves(perExecution) * (merge.maxTaskSeconds + verify.maxTaskSeconds) + wall(total));
    compactionExecutions = Math.max(compactionExecutions, Math.ceil(ranges / slice));
  }

  // Purge: a rewrite of the largest run is a compaction of its size, one slice an execution, an execution at most every interval.
  let purge: ScaleReport['purge'];
  if (s.purgeWithinMs !== undefined) {
    const perExecution = Math.max(defaultLifecycleIntervalMs(s.periodMs) / 1000, compactionSeconds);
    const storeRanges = Math.ceil((bytes * input.days) / s.rangeBytes);
    purge = {
      halfWindowHours: s.purgeWithinMs / 2 / 3_600_000,
      largestRewriteHours: (compactionExecutions * perExecution) / 3600,
      storeRewriteHours: (Math.ceil(storeRanges / slice) * perExecution) / 3600,
    };
    if (purge.largestRewriteHours > purge.halfWindowHours)
      violations.push(
        `purge: rewriting the largest run takes ${Math.round(purge.largestRewriteHours)} h, over half the ${formatDuration(s.purgeWithinMs)} window`,
      );
  }

  // An export of the whole store, in one execution: planned from every run's key ranges, each range written as gzip
  // NDJSON at the bench's export rate (its ratio to compaction's, applied to a merge's) and read back.
  const storeRanges = Math.max(1, Math.ceil((bytes * input.days) / s.rangeBytes));
  const exportRate = mergeRate * t.exportOfCompaction;
  const exportRead = storeRanges * rangeRecordBytes(keyBytes);
  const exports = [
    step({
      name: 'export plan',
      unit: 'exporter',
      tasks: 1,
      maxTaskBytes: exportRead,
      maxTaskSeconds: exportRead / SCAN_SEGMENT_BYTES_PER_SECOND + rangeWriteSeconds(storeRanges),
    }),
    step({ name: 'export write ranges', unit: 'exporter', tasks: storeRanges, maxTaskBytes: s.rangeBytes, maxTaskSeconds: s.rangeBytes / exportRate }),
    step({ name: 'export verify ranges', unit: 'exporter', tasks: storeRanges, maxTaskBytes: s.rangeBytes, maxTaskSeconds: s.rangeBytes / verifyRate }),
  ];
  exports.push(sum('export finish', 'exporter', storeRanges));
  const exportSeconds = exports.reduce((a, x) => a + wall(x), 0);
  // Ranges one execution writes and reads back in its timeout (less the plan and the sum, taken at the whole store's size).
  const perRange = exports[1]!.maxTaskSeconds + exports[2]!.maxTaskSeconds;
  const exportRangesPerExecution =
    MAP_CONCURRENCY * Math.max(0, Math.floor((EXECUTION_TIMEOUT_SECONDS.export - wall(exports[0]!) - wall(exports[3]!)) / perRange));
  const exportBytesPerExecution = exportRangesPerExecution * s.rangeBytes;
  if (exportRangesPerExecution === 0) violations.push(`export: not one wave of ranges fits its ${EXECUTION_TIMEOUT_SECONDS.export / 3600} h timeout`);

  // Import of one period's worth of files: chunks of half the spill budget, ranges as the offload's.
  const chunkBytes = importChunkBytes(s);
  const chunks = Math.ceil(bytes / chunkBytes);
  // A chunk spills per range from half the spill budget (its own size), as a scan segment does from all of it.
  const importMergeSeconds = pacedForIndex(mergeBytes, (passesFor(chunks * spillsPerCell(chunkBytes, chunkBytes)) * mergeBytes) / mergeRate);
  const imports = [
    step({ name: 'import parse', unit: 'importer', tasks: chunks, maxTaskBytes: chunkBytes, maxTaskSeconds: chunkBytes / t.importParse }),
    step({ name: 'import merge', unit: 'importer', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: importMergeSeconds }),
    step({ name: 'import verify ranges', unit: 'verify', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: mergeBytes / verifyRate }),
  ];
  imports.push(sum('import verify sum', 'verify', off.ranges));

  // One lifecycle execution: the offload of a period and the largest compaction, every fan-out a Distributed Map.
  const offloadEvents = EVENTS.task + EVENTS.choice + EVENTS.task + 4 * EVENTS.distributedMap + 2 * EVENTS.task;
  const compactionEvents = EVENTS.task + EVENTS.choice + 2 * EVENTS.distributedMap + 2 * EVENTS.task;
  const historyEvents = 2 + EVENTS.task + EVENTS.choice + offloadEvents + topLevel * compactionEvents + EVENTS.task + EVENTS.choice + 2 * EVENTS.task + 1;
  const importEvents = 2 + EVENTS.task + 3 * EVENTS.distributedMap + 4 * EVENTS.task + EVENTS.choice + 1;
  // The offload in the slices its planner takes (offloadSlice at offloadBudget's estimates), each timed at the model's
  // own seconds; the last slice adds the run up. An execution holds the largest slice and a compaction's.
  const offloadSlices = slicesOf(
    { bytes: bytes * tableBytesPerRaw, totalSegments: off.segments, readUnitsPerSegment: scan.readUnitsPerSegment, rangeCount: off.ranges },
    s,
    {
      scan: offload[0]!.maxTaskSeconds,
      merge: offload[1]!.maxTaskSeconds,
      verify: offload[2]!.maxTaskSeconds,
      rescan: offload[3]!.maxTaskSeconds,
    },
  );
  offloadSlices[offloadSlices.length - 1]! += wall(offload[4]!);
  const offloadSeconds = offloadSlices.reduce((a, x) => a + x, 0);
  const lifecycleSeconds = Math.max(...offloadSlices) + compactionSeconds;
  const importSeconds = imports.reduce((a, x) => a + wall(x), 0);

  for (const x of steps) {
    if (x.maxTaskSeconds > QUOTAS.lambdaSeconds)
      violations.push(`${x.name}: a task takes ${Math.round(x.maxTaskSeconds)} s, over Lambda's ${QUOTAS.lambdaSeconds} s`);
    else if (x.maxTaskSeconds > QUOTAS.taskBudgetSeconds)
      violations.push(`${x.name}: a task takes ${Math.round(x.maxTaskSeconds)} s, over the ${QUOTAS.taskBudgetSeconds} s budget`);
    if (x.maxStatePayloadBytes > QUOTAS.statePayloadBudgetBytes)
      violations.push(`${x.name}: a state holds ${x.maxStatePayloadBytes} bytes, over ${QUOTAS.statePayloadBudgetBytes}`);
  }
  if (historyEvents > QUOTAS.historyEvents) violations.push(`lifecycle execution: ${historyEvents} history events, over ${QUOTAS.historyEvents}`);
  if (importEvents > QUOTAS.historyEvents) violations.push(`import execution: ${importEvents} history events, over ${QUOTAS.historyEvents}`);
  if (lifecycleSeconds > EXECUTION_TIMEOUT_SECONDS.lifecycle)
    violations.push(
      `lifecycle execution: a slice of an offload and a slice of the largest compaction take ${(lifecycleSeconds / 3600).toFixed(1)} h at ${MAP_CONCURRENCY} tasks at once, over its ${EXECUTION_TIMEOUT_SECONDS.lifecycle / 3600} h timeout`,
    );
  // Each slice's execution may start up to a lifecycle interval after the last ended.
  const offloadElapsed = offloadSeconds + (offloadSlices.length * defaultLifecycleIntervalMs(s.periodMs)) / 1000;
  if (offloadElapsed > s.periodMs / 1000)
    violations.push(
      `offload: a period takes ${(offloadElapsed / 3600).toFixed(1)} h to offload over ${offloadSlices.length} executions, longer than a period (${formatDuration(s.periodMs)}): the lifecycle falls behind`,
    );
  if (importSeconds > EXECUTION_TIMEOUT_SECONDS.import)
    violations.push(
      `import execution: ${(importSeconds / 3600).toFixed(1)} h at ${MAP_CONCURRENCY} tasks at once, over its ${EXECUTION_TIMEOUT_SECONDS.import / 3600} h timeout`,
    );
  if (puts > QUOTAS.s3PutsPerSecondPerPrefix) violations.push(`${Math.round(puts)} S3 PUTs a second under one prefix, over ${QUOTAS.s3PutsPerSecondPerPrefix}`);
  if (gets > QUOTAS.s3GetsPerSecondPerPrefix) violations.push(`${Math.round(gets)} S3 GETs a second under one prefix, over ${QUOTAS.s3GetsPerSecondPerPrefix}`);

  const rates = ratesOf(input);
  const limits = rateLimits(input, rates, {
    tableReads,
    segments: off.segments,
    scanSeconds,
    scanBytes,
    ranges: off.ranges,
    planRanges: Math.max(off.ranges, largestPlan),
    mergeBytes,
    mergeSeconds,
    puts,
  });

  // Per period: the offload, the import-free share of compaction (write amplification - 1), and verification.
  const gbSeconds = (x: Step): number => x.tasks * x.maxTaskSeconds * (UNITS[x.unit].memoryMb / 1024);
  // The hot table's scans happen once a period; merging and reading back happen again with each compaction rewrite.
  const scanGbs = offload.filter((x) => /scan/.test(x.name)).reduce((a, x) => a + gbSeconds(x), 0);
  const offloadGbs = offload.reduce((a, x) => a + gbSeconds(x), 0);
  const rewrites = sim.writeAmplification - 1;
  const tasksPerPeriod = 2 * (off.segments + off.ranges) + 3 + 2 * rewrites * Math.ceil(bytes / s.rangeBytes);
  const itemBytes = recordBytes + 60;
  return {
    withinQuotas: violations.length === 0 && limits.every((l) => l.ok),
    violations,
    limits,
    rates,
    steps,
    execution: {
      historyEvents,
      childHistoryEvents: CHILD_EVENTS,
      lifecycleSeconds,
      importSeconds,
      exportSeconds,
      exportBytesPerExecution,
      wholeStoreExports: Math.ceil((bytes * input.days) / Math.max(1, exportBytesPerExecution)),
      mapConcurrency: MAP_CONCURRENCY,
      compactionSlice: slice,
      largestCompactionExecutions: compactionExecutions,
      offloadSeconds,
      offloadExecutions: offloadSlices.length,
    },
    ...(purge ? { purge } : {}),
    requests: { s3PutsPerSecondPerPrefix: puts, s3GetsPerSecondPerPrefix: gets, dynamodbReadUnitsPerPeriod: (2 * (bytes / recordBytes) * itemBytes) / 4096 },
    // Each task is a child execution: started, its task, ended.
    cost: { lambdaGbSecondsPerPeriod: scanGbs + (offloadGbs - scanGbs) * (1 + rewrites), transitionsPerPeriod: 20 + 3 * tasksPerPeriod, tasksPerPeriod },
  };
}

/** The store configured for the workload modelled: its warm throughput and API throttling follow the peak. */
function sizedFor(input: ScaleInput, r: RateInput): StoreSettings {
  return { ...input.settings, peakWritesPerSecond: input.settings.peakWritesPerSecond ?? Math.ceil(r.writesPerSecond * r.peakFactor) };
}

/** A sealed table's read units a second: warmed for its offload as rotation warms it, else a new table's. */
function tableReadsOf(input: ScaleInput, r: RateInput): number {
  return warmReadsFor(sizedFor(input, r), r.writesPerSecond, { itemBytes: input.recordBytes + 60 }) ?? RATE_QUOTAS.newTableReadUnits;
}

/** The input's rates, defaults filled in. */
function ratesOf(input: ScaleInput): RateInput {
  const periodSeconds = input.settings.periodMs / 1000;
  return {
    writesPerSecond: input.rates?.writesPerSecond ?? input.periodBytes / input.recordBytes / periodSeconds,
    peakFactor: input.rates?.peakFactor ?? 1,
    hotKeyShare: input.rates?.hotKeyShare ?? 0.1,
    readsPerSecond: input.rates?.readsPerSecond ?? 0,
    writesPerRequest: input.rates?.writesPerRequest ?? 1,
  };
}

/**
 * The request-rate quotas, each named as `npm run simulate -- --scale` prints it: the hot
 * tables' writes at a period's start and per partition key (sharded), the offload's scans
 * against the sealed table's read throughput, the index table's writes per partition key
 * (a run's index items, a job's records), the API's requests, Lambda's concurrency, and S3's
 * PUTs per prefix.
 */
function rateLimits(
  input: ScaleInput,
  r: RateInput,
  lifecycle: {
    tableReads: number;
    segments: number;
    scanSeconds: number;
    scanBytes: number;
    ranges: number;
    planRanges: number;
    mergeBytes: number;
    mergeSeconds: number;
    puts: number;
  },
): Limit[] {
  const s = input.settings;
  const itemBytes = input.recordBytes + 60;
  const unitsPerWrite = Math.max(1, Math.ceil(itemBytes / 1024));
  const peakWrites = r.writesPerSecond * r.peakFactor;
  // The store is configured for the workload modelled: its warm throughput and API throttling follow the peak.
  const sized = sizedFor(input, r);
  const limit = (name: string, demand: number, max: number, unit: string): Limit => ({
    name,
    demand: Math.round(demand * 10) / 10,
    limit: max,
    unit,
    ok: demand <= max,
  });
  // A table is warmed for the last period's rate (here the same) or the configured peak; else it takes a new table's.
  const warm = warmWritesFor(sized, r.writesPerSecond, { itemBytes }) ?? 0;
  const tableWrites = Math.min(RATE_QUOTAS.tableUnits, Math.max(RATE_QUOTAS.newTableWriteUnits, warm));
  // A scan segment reads at its pace (or slower, as fast as its task processes what it reads); MAP_CONCURRENCY segments at once.
  const segmentReadUnits = (lifecycle.scanBytes * ((input.recordBytes + 60) / input.recordBytes)) / lifecycle.scanSeconds / EVENTUAL_SCAN_BYTES_PER_READ_UNIT;
  const scanReads = Math.min(MAP_CONCURRENCY, lifecycle.segments) * segmentReadUnits;
  // Each range's index entries go under a partition key of its own, written by one merge task, paced.
  const indexWrites = indexWriteUnits(lifecycle.mergeBytes) / lifecycle.mergeSeconds;
  // A job's range records: 16 writers of 25-item batches, a batch about every 20 ms, spread over the job's range partitions.
  const rangeWrites = (16 * Math.min(25, lifecycle.ranges) * Math.ceil(rangeRecordBytes(input.keyBytes ?? 64) / 1024)) / 0.02;
  // Within one second a key takes its share of what is written in that second: all of a small job's ranges, or a second's worth of a large one's.
  const jobRecordWrites = Math.min(rangeWrites, lifecycle.planRanges) / rangeShards(lifecycle.planRanges);
  const apiRequests = peakWrites / r.writesPerRequest + r.readsPerSecond;
  const api = apiThrottle(sized.peakWritesPerSecond);
  // The API's functions at the peak, and the background's Distributed Maps: a lifecycle, an import and an export at once.
  const concurrency = apiRequests * API_CALL_SECONDS + 3 * MAP_CONCURRENCY;
  return [
    limit('hot table writes at period start', peakWrites * unitsPerWrite, tableWrites, 'write units/s'),
    limit('hot partition key writes', (peakWrites * r.hotKeyShare * unitsPerWrite) / s.hotShards, RATE_QUOTAS.partitionWriteUnits, 'write units/s'),
    limit('offload scan reads per table', scanReads, lifecycle.tableReads, 'read units/s'),
    limit('index writes per partition key', indexWrites, RATE_QUOTAS.partitionWriteUnits / 2, 'write units/s'),
    limit('index table writes', Math.min(MAP_CONCURRENCY, lifecycle.ranges) * indexWrites, RATE_QUOTAS.tableUnits / 2, 'write units/s'),
    limit('job record writes per partition key', jobRecordWrites, RATE_QUOTAS.partitionWriteUnits / 2, 'write units/s'),
    limit('API requests per second', apiRequests, Math.min(api.rateLimit, RATE_QUOTAS.apiRequestsPerSecond), 'requests/s'),
    limit('Lambda concurrency', concurrency, RATE_QUOTAS.accountConcurrency - RATE_QUOTAS.unreservedConcurrency, 'concurrent executions'),
    limit('S3 PUTs per prefix', lifecycle.puts, RATE_QUOTAS.prefixPuts, 'requests/s'),
  ];
}

export function defaultScaleInput(
  periodBytes: number,
  recordBytes: number,
  days: number,
  overrides: Partial<StoreSettings> = {},
  compression = 6,
  rates?: Partial<RateInput>,
): ScaleInput {
  return { periodBytes, recordBytes, days, compression, settings: { ...DEFAULT_SETTINGS, ...overrides }, ...(rates ? { rates } : {}) };
}

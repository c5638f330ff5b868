/**
 * The scale model: what the lifecycle would do with a period of N bytes and D days of
 * history, on paper. Fan-out comes from the lifecycle's own planning functions (not copies),
 * task durations from throughputs the bench measured (bench/results/latest.json) and from
 * DynamoDB's documented per-partition read limit, state sizes from the task contract, history
 * events as the local runner counts them. Every quota a step passes is a violation:
 * Lambda's 15 minutes, Step Functions' 256 KiB and 25,000 events, S3's request rates per
 * prefix. No data moves.
 */
import { readFileSync } from 'node:fs';
import { simulate } from './simulator.ts';
import { DEFAULT_SETTINGS, type StoreSettings } from '../lambda/core/settings.ts';
import { sorterBudget } from '../lambda/core/spill-sort.ts';
import { SFN_QUOTAS } from '../lambda/core/limits.ts';
import { fanOut, importChunkBytes } from '../lambda/core/fan-out.ts';
import { UNITS, type UnitName } from '../lambda/units.ts';

/** Quotas the model checks (AWS's published defaults). */
export const QUOTAS = {
  lambdaSeconds: 900,
  /** The budget a task should finish in, leaving room for a slow container. */
  taskBudgetSeconds: 600,
  statePayloadBytes: SFN_QUOTAS.payloadBytes,
  /** What a state should stay under: references only (issue 11). */
  statePayloadBudgetBytes: 32 * 1024,
  historyEvents: SFN_QUOTAS.historyEvents,
  s3PutsPerSecondPerPrefix: 3500,
  s3GetsPerSecondPerPrefix: 5500,
} as const;

/**
 * A segment of a DynamoDB Scan reads one partition at a time, and a partition serves at most
 * 3,000 read units a second: 12 MB/s of strongly consistent reads (4 KB a unit).
 */
export const SCAN_SEGMENT_BYTES_PER_SECOND = 3000 * 4096;
/** A Map state's concurrency in the lifecycle and import ASL. */
const MAP_CONCURRENCY = 16;
/** History events of a Map iteration running one Task (as local/step-functions.ts counts them). */
const EVENTS_PER_MAP_TASK = 7;
const EVENTS_PER_TASK = 5;

/** Per-worker throughputs (raw bytes a second) from the bench's figures. */
export interface Throughputs {
  readonly decode: number;
  readonly encodeWithSetsum: number;
  readonly spillEncode: number;
  readonly setsum: number;
  readonly importParse: number;
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
  };
}

export interface ScaleInput {
  readonly periodBytes: number;
  readonly recordBytes: number;
  readonly days: number;
  readonly settings: StoreSettings;
  /** Raw bytes per stored byte (the bench's compression figure). */
  readonly compression: number;
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
  readonly withinQuotas: boolean;
  readonly violations: string[];
  readonly steps: Step[];
  readonly execution: { readonly historyEvents: number };
  readonly requests: { readonly s3PutsPerSecondPerPrefix: number; readonly s3GetsPerSecondPerPrefix: number; readonly dynamodbReadUnitsPerPeriod: number };
  readonly cost: { readonly lambdaGbSecondsPerPeriod: number; readonly transitionsPerPeriod: number };
}

/** A state holding a job reference: its run id, period and the Map's items (task indices). */
const statePayload = (items: number): number => 600 + items * (String(items).length + 1);
const bothWays = (...rates: number[]): number => 1 / rates.reduce((a, r) => a + 1 / r, 0);

export function scaleModel(input: ScaleInput, t: Throughputs): ScaleReport {
  const s = input.settings;
  const { periodBytes: bytes, recordBytes } = input;
  const steps: Step[] = [];
  let puts = 0;
  let gets = 0;

  // Offload: the planner's fan-out for a period of this size.
  const off = fanOut(bytes, s);
  const scanBytes = bytes / off.segments;
  const cellBytes = scanBytes / off.ranges;
  const spillsPerCell = Math.max(1, Math.ceil(cellBytes / sorterBudget(s.spillBytes, off.ranges)));
  const scanSeconds = scanBytes / bothWays(SCAN_SEGMENT_BYTES_PER_SECOND, t.setsum, t.spillEncode);
  steps.push({ name: 'offload scan', unit: 'offload', tasks: off.segments, maxTaskBytes: scanBytes, maxTaskSeconds: scanSeconds, maxStatePayloadBytes: statePayload(off.segments) });
  const mergeBytes = bytes / off.ranges;
  const mergeSeconds = mergeBytes / bothWays(t.decode, t.encodeWithSetsum);
  steps.push({ name: 'offload merge', unit: 'offload', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: mergeSeconds, maxStatePayloadBytes: statePayload(off.ranges) });
  // Verification is partitioned as the writing was: each range read back, each segment re-scanned, then a sum.
  steps.push({ name: 'offload verify ranges', unit: 'verify', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: mergeBytes / bothWays(t.decode, t.setsum), maxStatePayloadBytes: statePayload(off.ranges) });
  steps.push({ name: 'offload re-scan', unit: 'verify', tasks: off.segments, maxTaskBytes: scanBytes, maxTaskSeconds: scanBytes / bothWays(SCAN_SEGMENT_BYTES_PER_SECOND, t.setsum), maxStatePayloadBytes: statePayload(off.segments) });
  // Spills: each cell's PUTs over its scan; blobs: every merge's PUTs under the run's prefix at once.
  const blobsPerMerge = Math.max(1, mergeBytes / input.compression / s.blobBytes);
  puts = Math.max(puts, (spillsPerCell * off.ranges) / scanSeconds, (Math.min(MAP_CONCURRENCY, off.ranges) * blobsPerMerge) / mergeSeconds);
  gets = Math.max(gets, (Math.min(MAP_CONCURRENCY, off.ranges) * off.segments * spillsPerCell) / mergeSeconds);

  // Compaction: each level the policy reaches in `days` merges fanout^level periods, split every rangeBytes.
  const sim = simulate({ periods: Math.max(1, input.days), fanout: s.fanout, maxLevel: s.maxLevel });
  const topLevel = Math.min(s.maxLevel, Math.floor(Math.log(Math.max(1, sim.largestMerge)) / Math.log(s.fanout)));
  for (let level = 1; level <= topLevel; level++) {
    const levelBytes = bytes * s.fanout ** level;
    const ranges = Math.max(1, Math.ceil(levelBytes / s.rangeBytes));
    const taskBytes = levelBytes / ranges;
    steps.push({ name: `compaction level ${level} merge`, unit: 'compact', tasks: ranges, maxTaskBytes: taskBytes, maxTaskSeconds: taskBytes / bothWays(t.decode, t.encodeWithSetsum), maxStatePayloadBytes: statePayload(ranges) });
    steps.push({ name: `compaction level ${level} verify ranges`, unit: 'verify', tasks: ranges, maxTaskBytes: taskBytes, maxTaskSeconds: taskBytes / bothWays(t.decode, t.setsum), maxStatePayloadBytes: statePayload(ranges) });
  }

  // Import of one period's worth of files: chunks of half the spill budget, ranges as the offload's.
  const chunkBytes = importChunkBytes(s);
  const chunks = Math.ceil(bytes / chunkBytes);
  steps.push({ name: 'import parse', unit: 'importer', tasks: chunks, maxTaskBytes: chunkBytes, maxTaskSeconds: chunkBytes / t.importParse, maxStatePayloadBytes: statePayload(chunks) });
  steps.push({ name: 'import merge', unit: 'importer', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: mergeSeconds, maxStatePayloadBytes: statePayload(off.ranges) });
  steps.push({ name: 'import verify ranges', unit: 'verify', tasks: off.ranges, maxTaskBytes: mergeBytes, maxTaskSeconds: mergeBytes / bothWays(t.decode, t.setsum), maxStatePayloadBytes: statePayload(off.ranges) });

  // One lifecycle execution: an offload (at most four periods) and one compaction of the top level, inline Maps.
  // Offload: scan, merge, verify each range, re-scan each segment; compaction: merge and verify each range.
  const topCompaction = steps.filter((x) => x.name.endsWith(' merge') && x.name.startsWith('compaction')).at(-1);
  const historyEvents = 100 + 4 * (2 * (off.segments + off.ranges) * EVENTS_PER_MAP_TASK + 3 * EVENTS_PER_TASK) + (topCompaction ? 2 * topCompaction.tasks * EVENTS_PER_MAP_TASK + 2 * EVENTS_PER_TASK : 0);
  const importEvents = 50 + (chunks + 2 * off.ranges) * EVENTS_PER_MAP_TASK + 4 * EVENTS_PER_TASK;

  const violations: string[] = [];
  for (const step of steps) {
    if (step.maxTaskSeconds > QUOTAS.lambdaSeconds) violations.push(`${step.name}: a task takes ${Math.round(step.maxTaskSeconds)} s, over Lambda's ${QUOTAS.lambdaSeconds} s`);
    else if (step.maxTaskSeconds > QUOTAS.taskBudgetSeconds) violations.push(`${step.name}: a task takes ${Math.round(step.maxTaskSeconds)} s, over the ${QUOTAS.taskBudgetSeconds} s budget`);
    if (step.maxStatePayloadBytes > QUOTAS.statePayloadBudgetBytes) violations.push(`${step.name}: a state holds ${step.maxStatePayloadBytes} bytes, over ${QUOTAS.statePayloadBudgetBytes}`);
  }
  if (historyEvents > QUOTAS.historyEvents) violations.push(`lifecycle execution: ${historyEvents} history events, over ${QUOTAS.historyEvents}`);
  if (importEvents > QUOTAS.historyEvents) violations.push(`import execution: ${importEvents} history events, over ${QUOTAS.historyEvents}`);
  if (puts > QUOTAS.s3PutsPerSecondPerPrefix) violations.push(`${Math.round(puts)} S3 PUTs a second under one prefix, over ${QUOTAS.s3PutsPerSecondPerPrefix}`);
  if (gets > QUOTAS.s3GetsPerSecondPerPrefix) violations.push(`${Math.round(gets)} S3 GETs a second under one prefix, over ${QUOTAS.s3GetsPerSecondPerPrefix}`);

  // Per period: the offload, the import-free share of compaction (write amplification - 1), and verification.
  const gbSeconds = (step: Step): number => step.tasks * step.maxTaskSeconds * (UNITS[step.unit].memoryMb / 1024);
  const offloadGbs = steps.filter((x) => x.name.startsWith('offload')).reduce((a, x) => a + gbSeconds(x), 0);
  const rewrites = sim.writeAmplification - 1;
  const tasksPerPeriod = 2 * (off.segments + off.ranges) + 3 + 2 * rewrites * Math.ceil(bytes / s.rangeBytes);
  const itemBytes = recordBytes + 60;
  return {
    withinQuotas: violations.length === 0,
    violations,
    steps,
    execution: { historyEvents },
    requests: { s3PutsPerSecondPerPrefix: puts, s3GetsPerSecondPerPrefix: gets, dynamodbReadUnitsPerPeriod: (2 * (bytes / recordBytes) * itemBytes) / 4096 },
    cost: { lambdaGbSecondsPerPeriod: offloadGbs * (1 + rewrites), transitionsPerPeriod: 20 + 2 * tasksPerPeriod },
  };
}

export function defaultScaleInput(periodBytes: number, recordBytes: number, days: number, overrides: Partial<StoreSettings> = {}, compression = 6): ScaleInput {
  return { periodBytes, recordBytes, days, compression, settings: { ...DEFAULT_SETTINGS, ...overrides } };
}

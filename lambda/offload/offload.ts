/**
 * Offload of sealed periods (DESIGN §5.2): plan which periods, prepare a job (segments and
 * key-range splitters from a sample), scan one segment into sorted spills per range, merge
 * one range's spills into blobs and index items of the new run. Each step is idempotent:
 * names derive from the run id, range and segment, so a re-run overwrites what it wrote,
 * and each task records what it did in the job's records (core/jobs.ts).
 */
import type { OffloadJob, PeriodToOffload, ScanRecord } from '../core/jobs.ts';
import { MergeIterator } from '../core/merge.ts';
import { chooseSplitters, rangeOf, rangesFrom, splittersOf } from '../core/key-ranges.ts';
import { entrySize } from '../core/record.ts';
import { OBJECTS, offloadRunId } from '../core/schema.ts';
import { Setsum } from '../core/setsum.ts';
import { SpillSorter, sorterBudget } from '../core/spill-sort.ts';
import type { StoreSettings } from '../core/settings.ts';
import { spillSources, writeRange } from '../run-writer.ts';
import type { Stores } from '../store/stores.ts';
import { indices, type OffloadPlan, type OffloadRef, type TaskDone } from '../task-contract.ts';

/** Sealed periods still hot, oldest first: their tables take no more writes. */
export async function planOffload(s: Stores, nowMs: number, max = 4): Promise<OffloadPlan> {
  const m = await s.manifests.read();
  const sealed = m.runs
    .filter((r) => r.tier === 'hot' && r.periodEnd + s.settings.sealGraceMs <= nowMs)
    .sort((a, b) => a.periodStart - b.periodStart)
    .slice(0, max);
  return {
    periods: sealed.map((r) => ({ hotRunId: r.id, table: r.table!, periodStart: r.periodStart, periodEnd: r.periodEnd, runId: offloadRunId(r.periodStart, s.settings.periodMs) })),
  };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Scan segments and key ranges for a period of about `bytes` (the cost model sizes periods with it too). */
export function offloadFanOut(bytes: number, s: Pick<StoreSettings, 'rangeBytes' | 'spillBytes'>): { segments: number; ranges: number } {
  return { segments: clamp(Math.ceil(bytes / s.spillBytes), 2, 64), ranges: clamp(Math.ceil(bytes / s.rangeBytes), 1, 64) };
}
const SAMPLE_SEGMENTS = 8;
const SAMPLE_PER_SEGMENT = 250;

/**
 * Sizes the job and picks splitters, stored as the job's spec; the state machine keeps a
 * reference. DynamoDB's size figures lag by hours, so the sample also estimates the size:
 * it reads one page of each of 8 scan segments.
 */
export async function prepareOffload(s: Stores, p: PeriodToOffload): Promise<OffloadRef> {
  // The first attempt's plan is the plan: retries and concurrent executions reuse it, so
  // they write the same objects.
  const job = await s.jobs.getOrCreate(p.runId, () => planJob(s, p));
  return { ...p, segments: indices(job.totalSegments), ranges: indices(job.ranges.length) };
}

async function planJob(s: Stores, p: PeriodToOffload): Promise<OffloadJob> {
  const reported = await s.hot.size(p.table);
  const sample: Buffer[] = [];
  let sampleBytes = 0;
  let full = 0;
  for (let seg = 0; seg < SAMPLE_SEGMENTS; seg++) {
    let n = 0;
    for await (const e of s.hot.scanSegment(p.table, seg, SAMPLE_SEGMENTS, SAMPLE_PER_SEGMENT)) {
      sample.push(e.key);
      sampleBytes += entrySize(e);
      n++;
    }
    if (n >= SAMPLE_PER_SEGMENT) full++;
  }
  // A segment that filled its page holds more than we read: scale by what we could not see.
  const estimated = Math.max(reported.bytes, full === 0 ? sampleBytes : (sampleBytes / sample.length) * Math.max(reported.items, sample.length * 4));
  const fanOut = offloadFanOut(estimated, s.settings);
  return { ...p, totalSegments: fanOut.segments, ranges: rangesFrom(chooseSplitters(sample, fanOut.ranges)) };
}

/** Scans one segment, counting and hashing every record, spills it sorted per range, and records that. */
export async function scanSegment(s: Stores, runId: string, segment: number): Promise<TaskDone> {
  const job = await s.jobs.spec<OffloadJob>(runId);
  const splitters = splittersOf(job.ranges);
  const budget = sorterBudget(s.settings.spillBytes, job.ranges.length);
  const sorters = job.ranges.map((r) => new SpillSorter(s.spills, { prefix: OBJECTS.spill(job.runId, r.index, segment), memoryBytes: budget }));
  const setsum = new Setsum();
  let count = 0;
  for await (const e of s.hot.scanSegment(job.table, segment, job.totalSegments)) {
    setsum.insertEntry(e);
    count++;
    await sorters[rangeOf(e.key, splitters)]!.add(e);
  }
  const spills: number[] = [];
  for (const sorter of sorters) spills.push((await sorter.flush()).length);
  const record: ScanRecord = { count, setsum: setsum.hexdigest(), spills };
  await s.jobs.putRecord(runId, 'scan', segment, record);
  return { index: segment, count };
}

/** Merges one range's spills from every segment into the run's blobs and index items, and records that. */
export async function mergeRange(s: Stores, runId: string, range: number): Promise<TaskDone> {
  const job = await s.jobs.spec<OffloadJob>(runId);
  const scans = await s.jobs.allRecords(runId, 'scan', job.totalSegments);
  // A hot table holds one version per key: nothing is shadowed, tombstones are kept.
  return writeRange(s, runId, job.ranges[range]!, new MergeIterator(await spillSources(s, runId, range, scans)));
}

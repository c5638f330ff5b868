/**
 * Offload of sealed periods (docs/design.md §5 step 2): plan which periods, prepare a job (segments and
 * key-range splitters from a sample), scan one segment into sorted spills per range, merge
 * one range's spills into blobs and index items of the new run. Each step is idempotent:
 * names derive from the run id, range and segment, so a re-run overwrites what it wrote,
 * and each task records what it did in the job's records (core/jobs.ts).
 */
import { MissingDataError } from '../core/errors.ts';
import { type JobRanges, type OffloadJob, type PeriodToOffload, type ScanRecord } from '../core/jobs.ts';
import { fanOut, offloadBudget, scanPlan } from '../core/fan-out.ts';
import { OFFLOAD_PHASES, offloadSlice, offloadToDo, type OffloadProgress } from '../core/offload-slice.ts';
import { chooseSplitters, rangesFrom, type RangeSpec } from '../core/key-ranges.ts';
import { entrySize } from '../core/record.ts';
import { offloadRunId } from '../core/schema.ts';
import { mergeSpills, RangeSpiller, writeRange } from '../run-writer.ts';
import { SegmentScan, type SegmentScanOptions } from '../segment-scan.ts';
import type { Stores } from '../store/stores.ts';
import { type OffloadPlan, type OffloadRef, type TaskDone } from '../task-contract.ts';

/**
 * The oldest sealed period still hot (its table takes no more writes). The lifecycle offloads
 * one period at a time and plans again after each commit, so a run is never committed before
 * an older period's, and a backlog drains in one execution.
 */
export async function planOffload(s: Stores, nowMs: number): Promise<OffloadPlan> {
  const m = await s.manifests.read();
  const r = m.runs.filter((x) => x.tier === 'hot' && x.periodEnd + s.settings.sealGraceMs <= nowMs).sort((a, b) => a.periodStart - b.periodStart)[0];
  if (!r) return { found: false };
  return {
    found: true,
    period: { hotRunId: r.id, table: r.table!, periodStart: r.periodStart, periodEnd: r.periodEnd, runId: offloadRunId(r.periodStart, s.settings.periodMs) },
  };
}

const SAMPLE_SEGMENTS = 8;
const SAMPLE_PER_SEGMENT = 250;

/**
 * Sizes the job and picks splitters, stored as the job's spec; the state machine keeps a
 * reference. DynamoDB's size figures lag by hours, so the sample also estimates the size:
 * it reads one page of each of 8 scan segments. Then this execution's slice of the work
 * still to do (core/offload-slice.ts), as the Maps' item lists.
 */
export async function prepareOffload(s: Stores, p: PeriodToOffload): Promise<OffloadRef> {
  // The first attempt's plan is the plan: retries and concurrent executions reuse it, so
  // they write the same objects.
  const job = await s.jobs.getOrCreate(p.runId, () => planJob(s, p));
  const { lists, complete } = offloadSlice(offloadToDo(await offloadProgress(s, job)), offloadBudget(job, s.settings));
  const maps = await s.maps.write(p.runId, lists);
  const slice = Object.fromEntries(OFFLOAD_PHASES.map((k) => [k, lists[k].length])) as OffloadRef['slice'];
  return { ...p, segments: job.totalSegments, ranges: job.rangeCount, maps, slice, complete };
}

/** When each of the job's tasks last recorded, from its records. */
async function offloadProgress(s: Stores, job: OffloadJob): Promise<OffloadProgress> {
  const runId = job.runId;
  const stamps = (records: ReadonlyMap<number, { at?: number }>): Map<number, number> => new Map([...records].map(([i, r]) => [i, r.at ?? 0]));
  const [scanned, merged, verified, rescanned, failure] = await Promise.all([
    s.jobs.records(runId, 'scan'),
    s.jobs.records(runId, 'merge'),
    s.jobs.records(runId, 'verify'),
    s.jobs.records(runId, 'rescan'),
    s.jobs.records(runId, 'failure'),
  ]);
  const failedAt = failure.get(0)?.at;
  return {
    segments: job.totalSegments,
    ranges: job.rangeCount,
    scanned: stamps(scanned),
    merged: stamps(merged),
    verified: stamps(verified),
    rescanned: stamps(rescanned),
    ...(failedAt !== undefined ? { failedAt } : {}),
  };
}

async function planJob(s: Stores, p: PeriodToOffload): Promise<{ spec: Omit<OffloadJob, keyof JobRanges>; ranges: RangeSpec[] }> {
  const reported = await s.tables.describe(p.table);
  if (!reported) throw new MissingDataError(`offload of ${p.runId}: its table ${p.table} does not exist`);
  const sample: Buffer[] = [];
  let sampleBytes = 0;
  let full = 0;
  for (let seg = 0; seg < SAMPLE_SEGMENTS; seg++) {
    let n = 0;
    for await (const e of s.hot.scanSegment(p.table, seg, SAMPLE_SEGMENTS, { pageLimit: SAMPLE_PER_SEGMENT })) {
      sample.push(e.key);
      sampleBytes += entrySize(e);
      n++;
    }
    if (n >= SAMPLE_PER_SEGMENT) full++;
  }
  // A segment that filled its page holds more than we read: scale by what we could not see.
  const estimated = Math.max(reported.bytes, full === 0 ? sampleBytes : (sampleBytes / sample.length) * Math.max(reported.items, sample.length * 4));
  // Segments from the table's read throughput as well as its size: together they read at the scans' share of it.
  const scan = scanPlan(estimated, reported.readRate, s.settings);
  const ranges = fanOut(estimated, s.settings).ranges;
  return {
    spec: { ...p, bytes: Math.round(estimated), totalSegments: scan.segments, readUnitsPerSegment: scan.readUnitsPerSegment },
    ranges: rangesFrom(chooseSplitters(sample, ranges)),
  };
}

/**
 * Scans one segment, counting and hashing every record, spills it sorted per range, and records
 * that. A long scan records where it is as it goes (lambda/segment-scan.ts): run again, it goes
 * on from there with the spills it had written.
 */
export async function scanSegment(s: Stores, runId: string, segment: number, opts: SegmentScanOptions = {}): Promise<TaskDone> {
  const job = await s.jobs.spec<OffloadJob>(runId);
  const scan = await SegmentScan.open(s, job, segment, 'scanProgress', opts);
  const spiller = new RangeSpiller(s, runId, await s.jobs.ranges(runId, job), segment, s.settings.spillBytes, false, scan.resumed?.spills);
  // Eventually consistent: the table took its last write a seal grace ago.
  for await (const page of scan.pages(false)) {
    for (const e of page) {
      // A spill to write is the only wait: most records are buffered synchronously.
      const spilling = spiller.add(e);
      if (spilling) await spilling;
    }
    await scan.handled(() => spiller.flush());
  }
  const record: ScanRecord = { ...scan.tally(), spills: (await spiller.finish()).spills, at: Date.now() };
  await s.jobs.putRecord(runId, 'scan', segment, record);
  return { index: segment, count: record.count };
}

/** Merges one range's spills from every segment into the run's blobs and index items, and records that. */
export async function mergeRange(s: Stores, runId: string, range: number): Promise<TaskDone> {
  const job = await s.jobs.spec<OffloadJob>(runId);
  const scans = await s.jobs.allRecords(runId, 'scan', job.totalSegments);
  // A hot table holds one version per key: nothing is shadowed, tombstones are kept.
  const { merge, earlier } = await mergeSpills(s, runId, range, scans);
  return writeRange(s, runId, await s.jobs.range(runId, job, range), merge, earlier);
}

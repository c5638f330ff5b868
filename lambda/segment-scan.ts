/**
 * A scan of one segment of a sealed table that records where it is, for the offload's scan
 * and verification's re-scan: every CHECKPOINT_EVERY_MS of reading, and when its invocation's
 * time is nearly up, it records its position with what it read up to there (for a scan, after
 * spilling what it holds); a task run again goes on from the last record instead of starting
 * over. Near the end of its time it stops with TaskSuspended, which the state machine retries.
 * A record from before the run last failed verification is not gone on from.
 */
import { TaskSuspended } from './core/errors.ts';
import { scanPaceOf, type OffloadJob, type SegmentProgress } from './core/jobs.ts';
import type { Entry } from './core/record.ts';
import { Setsum } from './core/setsum.ts';
import type { Tally } from './core/tally.ts';
import type { Stores } from './store/stores.ts';
import type { TaskDone } from './task-contract.ts';

/** Reading between two records of where a scan is: a segment planned at its pace needs none. */
export const CHECKPOINT_EVERY_MS = 240_000;
/** A task stops when its invocation has less than this left: time to spill what it holds and record. */
export const SUSPEND_MARGIN_MS = 60_000;

export interface SegmentScanOptions {
  /** Milliseconds the invocation has left (Lambda's context); absent: no limit. */
  readonly remainingMs?: (() => number) | undefined;
}

type Kind = 'scanProgress' | 'rescanProgress';

export class SegmentScan {
  private readonly s: Stores;
  private readonly job: OffloadJob;
  private readonly segment: number;
  private readonly kind: Kind;
  private readonly opts: SegmentScanOptions;
  private readonly setsum: Setsum;
  private count: number;
  private readonly throttled: { throttled: number };
  private readonly cursor: { position?: string | undefined } = {};
  private lastRecord: number;
  /** What an earlier attempt recorded, if this one goes on from it. */
  readonly resumed: SegmentProgress | undefined;

  private constructor(s: Stores, job: OffloadJob, segment: number, kind: Kind, opts: SegmentScanOptions, resumed: SegmentProgress | undefined) {
    this.s = s;
    this.job = job;
    this.segment = segment;
    this.kind = kind;
    this.opts = opts;
    this.resumed = resumed;
    this.setsum = resumed ? Setsum.fromHex(resumed.setsum) : new Setsum();
    this.count = resumed?.count ?? 0;
    this.throttled = { throttled: resumed?.throttled ?? 0 };
    this.lastRecord = Date.now();
  }

  /** The scan of `segment`, going on from what an earlier attempt recorded since the run last failed verification. */
  static async open(s: Stores, job: OffloadJob, segment: number, kind: Kind, opts: SegmentScanOptions = {}): Promise<SegmentScan> {
    const [progress, failure] = await Promise.all([s.jobs.record(job.runId, kind, segment), s.jobs.record(job.runId, 'failure', 0)]);
    const current = progress !== undefined && (failure === undefined || (progress.at ?? 0) > failure.at) ? progress : undefined;
    return new SegmentScan(s, job, segment, kind, opts, current);
  }

  /** The segment's pages from where it is, each tallied: `consistent` for the re-scan, the ground truth. */
  async *pages(consistent: boolean): AsyncGenerator<readonly Entry[]> {
    if (this.resumed && this.resumed.position === '') return;
    const stream = this.s.hot.scanSegment(this.job.table, this.segment, this.job.totalSegments, {
      ...scanPaceOf(this.job),
      throttled: this.throttled,
      consistent,
      from: this.resumed?.position,
      cursor: this.cursor,
    });
    for await (const page of stream.batches()) {
      for (const e of page) this.setsum.insertEntry(e);
      this.count += page.length;
      yield page;
    }
  }

  /**
   * After a page is handled: records where the scan is when it is time to (`spill` first
   * stores what the task holds and says its spills per range), and stops the task with
   * TaskSuspended when its invocation is nearly out of time.
   */
  async handled(spill?: () => Promise<number[]>): Promise<void> {
    const suspend = this.opts.remainingMs !== undefined && this.opts.remainingMs() < SUSPEND_MARGIN_MS;
    if (!suspend && Date.now() - this.lastRecord < CHECKPOINT_EVERY_MS) return;
    const spills = spill ? await spill() : undefined;
    const progress: SegmentProgress = {
      position: this.cursor.position ?? '',
      count: this.count,
      setsum: this.setsum.hexdigest(),
      ...(spills ? { spills } : {}),
      ...(this.throttled.throttled > 0 ? { throttled: this.throttled.throttled } : {}),
      // Wall time, as every job record's: compared with when verification failed.
      at: Date.now(),
    };
    await this.s.jobs.putRecord(this.job.runId, this.kind, this.segment, progress);
    this.lastRecord = Date.now();
    if (suspend)
      throw new TaskSuspended(
        `segment ${this.segment} of ${this.job.table}: stopped before the invocation's time ran out, at ${this.count} records; a retry goes on from there`,
      );
  }

  /** What the whole segment held (with what earlier attempts read). */
  tally(): { count: number; setsum: string; throttled?: number } {
    return { count: this.count, setsum: this.setsum.hexdigest(), ...(this.throttled.throttled > 0 ? { throttled: this.throttled.throttled } : {}) };
  }
}

/** Re-scans one segment of an offloaded table, independently of the offload's scan, at its pace, recording where it is as it goes. */
export async function rescanSegment(s: Stores, job: OffloadJob, segment: number, opts: SegmentScanOptions = {}): Promise<Tally> {
  const scan = await SegmentScan.open(s, job, segment, 'rescanProgress', opts);
  // The pages are tallied as they are read; nothing else is done with them.
  for await (const _page of scan.pages(true)) await scan.handled();
  const { count, setsum } = scan.tally();
  return { count, setsum };
}

/** A re-scan task (the rescan function's, and verify's for executions its older definitions started): the tally recorded under the job. */
export async function rescanTask(s: Stores, runId: string, segment: number, opts: SegmentScanOptions = {}): Promise<TaskDone> {
  const job = await s.jobs.spec<OffloadJob>(runId);
  const tally = await rescanSegment(s, job, segment, opts);
  await s.jobs.putRecord(runId, 'rescan', segment, { ...tally, at: Date.now() });
  return { index: segment, count: tally.count };
}

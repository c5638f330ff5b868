/**
 * Lambda entry of verification: read one key range of a new run back, or add a run up (and
 * re-scan a segment of an offloaded table, for executions started before the rescan function). It reads only, and records what each range and segment
 * read under the job; the last step returns the verified run's manifest entry, and the commit
 * step (another function) makes it visible. What the run must hold comes from the job's
 * records: the scans' tallies (offload), the inputs less what the merges dropped
 * (compaction), what was parsed valid less the versions dropped in chunks and merges (import).
 */
import { importSpan, type CompactionJob, type ImportJob, type JobRanges, type OffloadJob } from '../core/jobs.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores, type Stores } from '../store/stores.ts';
import { parseTaskInput, VERIFY_INPUT, type TaskDone, type Verified } from '../task-contract.ts';
import type { Context } from 'aws-lambda';
import { lambdaEntry, remainingTimeOf, taskKeys, Telemetry } from '../telemetry.ts';
import { rescanTask } from '../segment-scan.ts';
import { verifiedRun, VerificationFailed, verifyRange } from './verify.ts';

/**
 * Adds a run up; when it fails verification, records when, first: an offload or a compaction
 * goes on from the work already recorded, and after this does all of it again (the failure
 * may lie anywhere).
 */
async function failureRecorded(s: Stores, runId: string, addUp: () => Promise<Verified>): Promise<Verified> {
  try {
    return await addUp();
  } catch (err) {
    if (err instanceof VerificationFailed) await s.jobs.putRecord(runId, 'failure', 0, { at: Date.now(), problems: err.problems });
    throw err;
  }
}

export function createVerifyHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('verify');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown, context?: Partial<Context>): Promise<Verified | TaskDone> => {
    const input = parseTaskInput('verify', VERIFY_INPUT, event);
    const s = stores();
    const { runId } = input;
    if ('action' in input && input.action === 'range') {
      const job = await s.jobs.spec<JobRanges>(runId);
      const record = await verifyRange(s, runId, await s.jobs.range(runId, job, input.range));
      await s.jobs.putRecord(runId, 'verify', input.range, record);
      return { index: input.range, count: record.count };
    }
    // Re-scans run in the rescan function; this serves the executions release 0.2.0's definitions started.
    if ('action' in input) return rescanTask(s, runId, input.segment, { remainingMs: remainingTimeOf(context) });
    if (input.mode === 'offload') {
      const job = await s.jobs.spec<OffloadJob>(runId);
      return failureRecorded(s, runId, async () => ({
        run: verifiedRun({
          runId,
          level: 0,
          periodStart: job.periodStart,
          periodEnd: job.periodEnd,
          plus: await s.jobs.allRecords(runId, 'scan', job.totalSegments),
          ranges: await s.jobs.allRecords(runId, 'verify', job.rangeCount),
          rescan: { table: job.table, segments: await s.jobs.allRecords(runId, 'rescan', job.totalSegments) },
        }),
      }));
    }
    if (input.mode === 'import') {
      const job = await s.jobs.spec<ImportJob>(runId);
      const parsed = await s.jobs.allRecords(runId, 'parse', job.chunkCount);
      const merged = await s.jobs.allRecords(runId, 'merge', job.rangeCount);
      const run = verifiedRun({
        runId,
        level: 0,
        ...importSpan(merged, s.settings.periodMs),
        plus: parsed,
        minus: [...parsed.map((p) => p.duplicates), ...merged.map((m) => m.dropped)],
        ranges: await s.jobs.allRecords(runId, 'verify', job.rangeCount),
        // Imported deletes enter the store now, whatever their seqs: their purge clocks start here.
        deleted: { from: now(), to: now() },
      });
      return { run };
    }
    const job = await s.jobs.spec<CompactionJob>(runId);
    const merged = await s.jobs.allRecords(runId, 'merge', job.rangeCount);
    return failureRecorded(s, runId, async () => ({
      run: verifiedRun({
        runId,
        level: job.level,
        periodStart: job.periodStart,
        periodEnd: job.periodEnd,
        plus: [job.inputTotal],
        minus: merged.map((m) => m.dropped),
        ranges: await s.jobs.allRecords(runId, 'verify', job.rangeCount),
        ...(job.deleted ? { deleted: job.deleted } : {}),
        ...(job.purgedAt !== undefined ? { purgedAt: job.purgedAt } : {}),
        ...(job.strategy !== undefined ? { madeBy: job.strategy } : {}),
      }),
    }));
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createVerifyHandler(() => process.env);

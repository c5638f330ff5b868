/**
 * Lambda entry of verification. It reads only: it returns the verified run's manifest entry,
 * and the commit step (another function) makes it visible. What the run must hold comes from
 * the job's records: the scans' tallies (offload), the inputs less what the merges dropped
 * (compaction), what was parsed valid less the versions dropped in chunks and merges (import).
 */
import { importSpan, type CompactionJob, type ImportJob, type OffloadJob } from '../core/jobs.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { parseTaskInput, VERIFY_INPUT, type Verified } from '../task-contract.ts';
import { lambdaEntry, taskKeys, Telemetry } from '../telemetry.ts';
import { verifyRun } from './verify.ts';

export function createVerifyHandler(env: () => Env) {
  const t = new Telemetry('verify');
  const stores = lazyStores(env, t.traceClient);
  const run = async (event: unknown): Promise<Verified> => {
    const input = parseTaskInput('verify', VERIFY_INPUT, event);
    const s = stores();
    const { runId } = input;
    if (input.mode === 'offload') {
      const job = await s.jobs.spec<OffloadJob>(runId);
      const scans = await s.jobs.allRecords(runId, 'scan', job.totalSegments);
      const run = await verifyRun(s, {
        runId,
        level: 0,
        periodStart: job.periodStart,
        periodEnd: job.periodEnd,
        plus: scans,
        ...(input.rescan === false ? {} : { rescanTable: job.table }),
      });
      return { run };
    }
    if (input.mode === 'import') {
      const job = await s.jobs.spec<ImportJob>(runId);
      const parsed = await s.jobs.allRecords(runId, 'parse', job.chunks.length);
      const merged = await s.jobs.allRecords(runId, 'merge', job.ranges.length);
      const run = await verifyRun(s, {
        runId,
        level: 0,
        ...importSpan(merged, s.settings.periodMs),
        plus: parsed,
        minus: [...parsed.map((p) => p.duplicates), ...merged.map((m) => m.dropped)],
      });
      return { run };
    }
    const job = await s.jobs.spec<CompactionJob>(runId);
    const merged = await s.jobs.allRecords(runId, 'merge', job.ranges.length);
    const run = await verifyRun(s, {
      runId,
      level: job.level,
      periodStart: job.periodStart,
      periodEnd: job.periodEnd,
      plus: [job.inputTotal],
      minus: merged.map((m) => m.dropped),
    });
    return { run };
  };
  return lambdaEntry(t, env, run, taskKeys);
}

export const handler = createVerifyHandler(() => process.env);

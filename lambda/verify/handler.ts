/**
 * Lambda entry of verification. It reads only: it returns the verified run's manifest entry,
 * and the commit step (another function) makes it visible.
 */
import type { CompactionMerged, CompactionPlan } from '../compact/compact.ts';
import type { RunMeta } from '../core/manifest.ts';
import { importSpan, type ChunkParsed, type ImportJob, type RangeMerged } from '../importer/importer.ts';
import type { OffloadJob, ScanResult } from '../offload/offload.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { lambdaEntry, taskKeys, Telemetry, type TaskInput } from '../telemetry.ts';
import { verifyRun } from './verify.ts';

export type VerifyInput = TaskInput & (
  | { mode: 'offload'; job: OffloadJob; scans: ScanResult[]; rescan?: boolean }
  | { mode: 'compact'; plan: CompactionPlan; merges: CompactionMerged[] }
  | { mode: 'import'; job: ImportJob; parsed: ChunkParsed[]; merged: RangeMerged[] }
);

export function createVerifyHandler(env: () => Env) {
  const t = new Telemetry('verify');
  const stores = lazyStores(env, t.traceClient);
  const run = async (input: VerifyInput): Promise<{ run: RunMeta }> => {
    const s = stores();
    if (input.mode === 'offload') {
      const { job } = input;
      const run = await verifyRun(s, {
        runId: job.runId,
        level: 0,
        periodStart: job.periodStart,
        periodEnd: job.periodEnd,
        plus: input.scans,
        ...(input.rescan === false ? {} : { rescanTable: job.table }),
      });
      return { run };
    }
    if (input.mode === 'import') {
      // What was parsed valid, less the older versions of a key dropped in chunks and merges.
      const run = await verifyRun(s, {
        runId: input.job.runId,
        level: 0,
        ...importSpan(input.merged, s.settings.periodMs),
        plus: input.parsed,
        minus: [...input.parsed.map((p) => p.duplicates), ...input.merged.map((m) => m.dropped)],
      });
      return { run };
    }
    const { plan } = input;
    const run = await verifyRun(s, {
      runId: plan.outputId,
      level: plan.level,
      periodStart: plan.periodStart,
      periodEnd: plan.periodEnd,
      plus: [plan.inputTotal],
      minus: input.merges.map((m) => m.dropped),
    });
    return { run };
  };
  return lambdaEntry(t, env, run, taskKeys);
}

export const handler = createVerifyHandler(() => process.env);

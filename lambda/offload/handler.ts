/** Lambda entry of offload: one Task per action (plan, prepare, scan, merge) of the lifecycle. */
import { ValidationError } from '../core/errors.ts';
import type { RangeSpec } from '../core/ranges.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { lambdaEntry, taskKeys, Telemetry, type TaskInput } from '../telemetry.ts';
import { mergeRange, planOffload, prepareOffload, scanSegment, type OffloadJob, type PeriodToOffload, type ScanResult } from './offload.ts';

export type OffloadInput = TaskInput &
  (
    | { action: 'plan' }
    | { action: 'prepare'; period: PeriodToOffload }
    | { action: 'scan'; job: OffloadJob; segment: number }
    | { action: 'merge'; job: OffloadJob; range: RangeSpec; scans: ScanResult[] }
  );

export function createOffloadHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('offload');
  const stores = lazyStores(env, t.traceClient);
  const run = async (input: OffloadInput): Promise<unknown> => {
    const s = stores();
    switch (input.action) {
      case 'plan':
        return planOffload(s, now());
      case 'prepare':
        return prepareOffload(s, input.period);
      case 'scan':
        return scanSegment(s, input.job, input.segment);
      case 'merge':
        return mergeRange(s, input.job, input.range, input.scans);
      default:
        throw new ValidationError('InvalidInput', `unknown offload action ${(input as { action: string }).action}`);
    }
  };
  return lambdaEntry(t, env, run, taskKeys);
}

export const handler = createOffloadHandler(() => process.env);

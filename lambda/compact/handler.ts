/** Lambda entry of compaction: plan, and merge one key range. */
import { ValidationError } from '../core/errors.ts';
import type { RangeSpec } from '../core/ranges.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { lambdaEntry, taskKeys, Telemetry, type TaskInput } from '../telemetry.ts';
import { mergeCompactionRange, planCompaction, type CompactionPlan } from './compact.ts';

export type CompactInput = TaskInput & ({ action: 'plan' } | { action: 'merge'; plan: CompactionPlan; range: RangeSpec });

export function createCompactHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('compact');
  const stores = lazyStores(env, t.traceClient);
  const run = async (input: CompactInput): Promise<unknown> => {
    switch (input.action) {
      case 'plan':
        return planCompaction(stores(), now());
      case 'merge':
        return mergeCompactionRange(stores(), input.plan, input.range);
      default:
        throw new ValidationError('InvalidInput', `unknown compact action ${(input as { action: string }).action}`);
    }
  };
  return lambdaEntry(t, env, run, taskKeys);
}

export const handler = createCompactHandler(() => process.env);

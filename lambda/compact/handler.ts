/** Lambda entry of compaction: plan, and merge one key range. */
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { COMPACT_INPUT, parseTaskInput } from '../task-contract.ts';
import { lambdaEntry, taskKeys, Telemetry } from '../telemetry.ts';
import { mergeCompactionRange, planCompaction } from './compact.ts';

export function createCompactHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('compact');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown): Promise<unknown> => {
    const input = parseTaskInput('compact', COMPACT_INPUT, event);
    switch (input.action) {
      case 'plan':
        return planCompaction(stores(), now());
      case 'merge':
        return mergeCompactionRange(stores(), input.runId, input.range);
    }
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createCompactHandler(() => process.env);

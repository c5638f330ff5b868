/** Lambda entry of offload: one Task per action (plan, prepare, scan, merge) of the lifecycle. */
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { OFFLOAD_INPUT, parseTaskInput } from '../task-contract.ts';
import type { Context } from 'aws-lambda';
import { lambdaEntry, remainingTimeOf, taskKeys, Telemetry } from '../telemetry.ts';
import { mergeRange, planOffload, prepareOffload, scanSegment } from './offload.ts';

export function createOffloadHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('offload');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown, context?: Partial<Context>): Promise<unknown> => {
    const input = parseTaskInput('offload', OFFLOAD_INPUT, event);
    const s = stores();
    switch (input.action) {
      case 'plan':
        return planOffload(s, now());
      case 'prepare':
        return prepareOffload(s, input.period);
      case 'scan':
        return scanSegment(s, input.runId, input.segment, { remainingMs: remainingTimeOf(context) });
      case 'merge':
        return mergeRange(s, input.runId, input.range);
    }
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createOffloadHandler(() => process.env);

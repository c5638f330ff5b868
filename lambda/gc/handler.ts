/** Lambda entry of GC and retention. */
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { GC_INPUT, parseTaskInput } from '../task-contract.ts';
import { lambdaEntry, taskKeys, Telemetry } from '../telemetry.ts';
import { applyRetention, collectGarbage } from './gc.ts';

export function createGcHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('gc');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown): Promise<unknown> => {
    const input = parseTaskInput('gc', GC_INPUT, event);
    if (input.action === 'collect') {
      const r = await collectGarbage(stores(), now());
      t.count('garbageCollected', r.collected.length);
      t.count('leftoversSwept', r.swept.length);
      return r;
    }
    const r = await applyRetention(stores(), now());
    t.count('runsExpired', r.dropped.length);
    return r;
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createGcHandler(() => process.env);

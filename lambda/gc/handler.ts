/** Lambda entry of GC and retention. */
import { ValidationError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { lambdaEntry, taskKeys, Telemetry, type TaskInput } from '../telemetry.ts';
import { applyRetention, collectGarbage } from './gc.ts';

export type GcInput = TaskInput & ({ action: 'collect' } | { action: 'retention' });

export function createGcHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('gc');
  const stores = lazyStores(env, t.traceClient);
  const run = async (input: GcInput): Promise<unknown> => {
    if (input.action === 'collect') {
      const r = await collectGarbage(stores(), now());
      t.count('garbageCollected', r.collected.length);
      t.count('leftoversSwept', r.swept.length);
      return r;
    }
    if (input.action === 'retention') {
      const r = await applyRetention(stores(), now());
      t.count('runsExpired', r.dropped.length);
      return r;
    }
    throw new ValidationError('InvalidInput', `unknown gc action ${(input as { action: string }).action}`);
  };
  return lambdaEntry(t, env, run, taskKeys);
}

export const handler = createGcHandler(() => process.env);

/** Lambda entry of GC and retention. */
import { ValidationError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { applyRetention, collectGarbage } from './gc.ts';

export type GcInput = { action: 'collect' } | { action: 'retention' };

export function createGcHandler(env: () => Env, now: Clock = systemClock) {
  const stores = lazyStores(env);
  return async (input: GcInput): Promise<unknown> => {
    if (input.action === 'collect') return collectGarbage(stores(), now());
    if (input.action === 'retention') return applyRetention(stores(), now());
    throw new ValidationError('InvalidInput', `unknown gc action ${(input as { action: string }).action}`);
  };
}

export const handler = createGcHandler(() => process.env);

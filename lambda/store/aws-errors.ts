/** Maps AWS SDK errors to the engine's typed errors, in one place. */
import { MissingDataError, ThrottledError } from '../core/errors.ts';

const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'TooManyRequestsException',
]);

export function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

/** Rethrows as ThrottledError or MissingDataError where it is one; otherwise as is. */
export function translate(err: unknown, what: string): never {
  const name = errorName(err);
  if (name && THROTTLING.has(name)) throw new ThrottledError(`${what}: throttled by AWS (${name})`);
  if (name === 'ResourceNotFoundException' || name === 'NoSuchKey' || name === 'NotFound') {
    throw new MissingDataError(`${what}: ${name}`);
  }
  throw err;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Exponential backoff with full jitter: attempt 0 waits up to base, then 2x, 4x... up to cap. */
export function backoffMs(attempt: number, baseMs = 25, capMs = 2000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

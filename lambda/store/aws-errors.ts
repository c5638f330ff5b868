/** Maps AWS SDK errors to the engine's typed errors, in one place. */
import { AccessDeniedError, CorruptionError, MissingDataError, ThrottledError } from '../core/errors.ts';

const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'TooManyRequestsException',
  // CreateTable/DeleteTable: too many table operations in flight at once.
  'LimitExceededException',
  // Application Auto Scaling: another update of the same scalable target is in progress.
  'ConcurrentUpdateException',
]);

/** A refusal for rate: worth asking again after a wait. */
export const isThrottling = (err: unknown): boolean => THROTTLING.has(errorName(err) ?? '');

/**
 * How long a background task keeps asking again, from where it was, when DynamoDB refuses a
 * page or a batch for rate after the SDK's own retries (without progress): a throttled task
 * waits rather than failing and starting its work over. Two minutes of a task's fifteen;
 * tests of the give-up path shorten it.
 */
export const throttlePatience = { ms: 120_000 };

/**
 * One request's waiting out throttling: backoff with jitter between attempts, and a budget of
 * throttlePatience.ms waited without progress, after which the caller gives up. Progress
 * (a page read, part of a batch written) starts the budget again.
 */
export class Patience {
  private waitedMs = 0;
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;

  constructor(baseMs = 100, capMs = 5000) {
    this.baseMs = baseMs;
    this.capMs = capMs;
  }

  /** Whether the budget of waiting without progress is spent. */
  get spent(): boolean {
    return this.waitedMs >= throttlePatience.ms;
  }

  /** Waits before asking again. */
  async wait(): Promise<void> {
    const ms = backoffMs(++this.attempt, this.baseMs, this.capMs);
    this.waitedMs += ms;
    await sleep(ms);
  }

  progressed(): void {
    this.waitedMs = 0;
  }
}

export function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

/**
 * Rethrows as the engine's typed errors: ThrottledError (retry later), MissingDataError (a
 * table or object is gone: re-read the manifest), AccessDeniedError (the role lacks a grant:
 * a deployment fault, not missing data; without s3:ListBucket S3 would say this for a missing
 * key, which is why every reader of objects may list), CorruptionError (a response failed its
 * checksum). Anything else as is.
 */
export function translate(err: unknown, what: string): never {
  const name = errorName(err);
  if (name && THROTTLING.has(name)) throw new ThrottledError(`${what}: throttled by AWS (${name})`);
  if (name === 'ResourceNotFoundException' || name === 'NoSuchKey' || name === 'NotFound') {
    throw new MissingDataError(`${what}: ${name}`);
  }
  if (name && ACCESS_DENIED.has(name)) throw new AccessDeniedError(`${what}: ${(err as Error).message}`);
  // The SDK's response checksum validation (flexible checksums).
  if (/checksum mismatch/i.test((err as Error | undefined)?.message ?? '')) throw new CorruptionError(what, undefined, (err as Error).message, '');
  throw err;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Exponential backoff with full jitter: attempt 0 waits up to base, then 2x, 4x... up to cap. */
export function backoffMs(attempt: number, baseMs = 25, capMs = 2000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

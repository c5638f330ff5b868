/**
 * When the client asks again: on 429 and 503 (nothing was done, or what was done is safe to
 * do again), after Retry-After when the API gave one, plus jittered exponential backoff so
 * that throttled callers do not come back together. What may have been applied and is not
 * safe to apply twice (a conditional write whose answer was lost, or sealed late) is never
 * retried: its error says `outcomeUnknown`.
 */

export interface RetryOptions {
  /** Attempts in all, the first included (default 5; 1 retries nothing). */
  readonly maxAttempts?: number;
  /** The first backoff's ceiling (default 100 ms); it doubles with each attempt. */
  readonly baseDelayMs?: number;
  /** No backoff is longer (default 20 s), Retry-After aside. */
  readonly maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 20_000 };

/**
 * How a call may be repeated. `idempotent`: reads, and unconditional writes (a repeated
 * write is a newer version of the same value). `conditional`: a write that holds only once;
 * repeated only when it surely did nothing. `create`: a POST that makes something
 * (a checkpoint, an import, an export); repeated on 429 and 503, not after a lost answer.
 */
export type Safety = 'idempotent' | 'conditional' | 'create';

/** 503 codes whose write may have been stored (after its period's seal): safe to repeat only if repeating is. */
const MAYBE_APPLIED_503 = new Set(['PeriodSealed']);

/** Whether a failed attempt may be repeated: `answer` is the status and code, or `lost` (sent, no answer), or `unsent`. */
export function retryable(safety: Safety, answer: { status: number; code: string } | 'lost' | 'unsent'): boolean {
  if (answer === 'unsent') return true;
  if (answer === 'lost') return safety === 'idempotent';
  if (answer.status === 429) return true;
  if (answer.status === 503) return safety !== 'conditional' || !MAYBE_APPLIED_503.has(answer.code);
  return false;
}

/** Whether a failure left the outcome unknown (the write may be stored). */
export function outcomeUnknown(safety: Safety, answer: { status: number; code: string } | 'lost' | 'unsent'): boolean {
  if (safety === 'idempotent' || answer === 'unsent') return false;
  return answer === 'lost' || (answer.status === 503 && MAYBE_APPLIED_503.has(answer.code));
}

/** The wait before attempt `attempt + 1` (attempt counts from 0): Retry-After, then full-jitter backoff on top. */
export function backoffMs(attempt: number, retryAfterSeconds: number | undefined, o: Required<RetryOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** attempt);
  return (retryAfterSeconds ?? 0) * 1000 + Math.floor(random() * ceiling);
}

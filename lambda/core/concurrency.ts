/**
 * Lambda concurrency: the data plane keeps its share. An account has 1,000 concurrent
 * executions per region by default, shared by every function in it; a lifecycle's
 * Distributed Maps (100 tasks at once each), imports and exports could take them all, and
 * API Gateway would then answer ingest and reads with errors. So the ingest and read
 * functions get reserved concurrency (theirs whatever else runs), and every background
 * function gets an equal share of one background budget as its reserved concurrency, which
 * also caps it. What is reserved must leave AWS's 100 unreserved for everything else.
 */
import { MAP_CONCURRENCY } from './fan-out.ts';
import { RATE_QUOTAS } from './limits.ts';

/** The functions Distributed Maps run: background work. */
export const BACKGROUND_UNITS = ['offload', 'verify', 'rescan', 'compact', 'importer', 'exporter'] as const;

/** Seconds an ingest or read invocation lasts on AWS (one or two DynamoDB calls): concurrency is requests a second times this. */
export const API_INVOCATION_SECONDS = 0.05;

export interface ConcurrencyBudget {
  /** The account's concurrent executions in the region (AWS's default 1,000; more after a quota increase). */
  readonly account: number;
  readonly ingest: number;
  readonly read: number;
  /** Shared equally by the background functions. */
  readonly background: number;
}

/** The budget for a store sized for `peakWritesPerSecond` (twice its invocations at the peak, at least 100 each), unless given. */
export function defaultBudget(peakWritesPerSecond: number | undefined, given: Partial<ConcurrencyBudget> = {}): ConcurrencyBudget {
  const forPeak = Math.max(100, Math.ceil((peakWritesPerSecond ?? 0) * API_INVOCATION_SECONDS * 2));
  return {
    account: given.account ?? RATE_QUOTAS.accountConcurrency,
    ingest: given.ingest ?? forPeak,
    read: given.read ?? 100,
    // Each background function as many at once as a Distributed Map runs.
    background: given.background ?? MAP_CONCURRENCY * BACKGROUND_UNITS.length,
  };
}

/** Reserved concurrency of each function that has some, or why the budget cannot be kept. */
export function reservedConcurrency(b: ConcurrencyBudget): { readonly reserved: Readonly<Record<string, number>>; readonly problems: readonly string[] } {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(b)) if (!Number.isInteger(v) || v < 1) problems.push(`${k} concurrency must be a positive integer, not ${v}`);
  const perBackground = Math.floor(b.background / BACKGROUND_UNITS.length);
  if (perBackground < 1)
    problems.push(`a background budget of ${b.background} leaves no concurrency to each of the ${BACKGROUND_UNITS.length} background functions`);
  const total = b.ingest + b.read + perBackground * BACKGROUND_UNITS.length;
  const room = b.account - RATE_QUOTAS.unreservedConcurrency;
  if (total > room) {
    problems.push(
      `reserved concurrency ${total} (ingest ${b.ingest}, read ${b.read}, background ${perBackground * BACKGROUND_UNITS.length}) does not fit an account of ${b.account} concurrent executions, which must keep ${RATE_QUOTAS.unreservedConcurrency} unreserved: ask AWS for more and set accountConcurrency, or lower the budgets`,
    );
  }
  const reserved: Record<string, number> = { ingest: b.ingest, read: b.read };
  for (const u of BACKGROUND_UNITS) reserved[u] = perBackground;
  return { reserved, problems };
}

/**
 * Compaction policies: pure functions of the manifest (mini-lsm's swappable controllers).
 * Each strategy lives in `strategies/`; `policyFor` puts together the one configured, with
 * purge deadlines first whenever they are set.
 *
 * A plan is a merge (several runs into one, `inputs` newest-version-wins) or a rewrite (one
 * run into its own place, without what newer runs shadow, what has expired and, when nothing
 * older holds their keys, its tombstones). Reads pick a key's version by seq, never by a run's
 * place, so any set of runs may be merged: what must hold is only that a tombstone is dropped
 * when no run outside the merge can hold an older version of its key (`nothingOlder`).
 */
import { createHash } from 'node:crypto';
import type { Manifest, RunMeta } from './manifest.ts';
import { ValidationError } from './errors.ts';

export interface CompactionPlan {
  readonly kind: 'merge' | 'rewrite';
  /** The strategy that chose it (charged for it, and named on the run it writes). */
  readonly strategy: string;
  /** Input runs, oldest first. A rewrite has one. */
  readonly inputs: readonly RunMeta[];
  /**
   * A rewrite: the cold runs that may hold newer versions of its keys, newest first, as of the
   * plan. Each of its merge tasks takes them afresh from the manifest it reads (any set of newer
   * runs is correct: it only decides what is shadowed, and runs merged since keep the newest
   * versions), so a rewrite spanning executions never reads a run GC has taken.
   */
  readonly shadows?: readonly RunMeta[];
  readonly outputLevel: number;
  /** True when no run outside the inputs can hold an older version of a key, so tombstones have nothing to shadow. */
  readonly dropTombstones: boolean;
  /** Deterministic: a re-planned compaction writes the same objects. */
  readonly outputId: string;
  /** The output's `purgedAt` (ms): what tombstones it has been checked against. */
  readonly purgedAt: number;
}

/** What a policy knows besides the manifest. */
export interface PlanContext {
  readonly nowMs: number;
  readonly periodMs: number;
  /** Seq below which records are expired (retention); undefined keeps everything. */
  readonly cutoff?: number;
  /** Deleted and expired records must be gone from every object this long after (ms). */
  readonly purgeWithinMs?: number;
}

/** The policies a store can run (core/strategies/index.ts makes them); here so settings can check a name without loading them. */
export const COMPACTION_POLICIES = ['logarithmic', 'multi'] as const;
export type CompactionPolicyName = (typeof COMPACTION_POLICIES)[number];

export interface CompactionPolicy {
  readonly name: string;
  plan(m: Manifest, ctx: PlanContext): CompactionPlan | undefined;
}

export interface LogarithmicOptions {
  readonly fanout: number;
  readonly maxLevel: number;
}

export const DEFAULT_POLICY_OPTIONS: LogarithmicOptions = { fanout: 2, maxLevel: 12 };

export function checkPolicyOptions(o: LogarithmicOptions): LogarithmicOptions {
  if (!Number.isInteger(o.fanout) || o.fanout < 2 || o.fanout > 64) {
    throw new ValidationError('InvalidConfig', `fanout must be an integer from 2 to 64, not ${o.fanout}`);
  }
  if (!Number.isInteger(o.maxLevel) || o.maxLevel < 1 || o.maxLevel > 64) {
    throw new ValidationError('InvalidConfig', `maxLevel must be an integer from 1 to 64, not ${o.maxLevel}`);
  }
  return o;
}

const hashOf = (ids: readonly string[]): string => createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 10);

/** Ids a rewrite or a packing wrote, or a merge of them: one span and level may name several such runs over time. */
const REWRITTEN = /^[wk]|-h[0-9a-f]{10}$/;

/**
 * The id of a merge's output: its level and the span of periods it covers, and (when an input
 * was itself rewritten or packed, so the span and level no longer name one set of inputs) a hash
 * of the inputs' ids.
 */
export function compactedRunId(level: number, inputs: readonly RunMeta[]): string {
  const first = Math.min(...inputs.map((r) => r.periodStart));
  const last = Math.max(...inputs.map((r) => r.periodEnd));
  const base = `c${level}-${first}-${last}`;
  return inputs.some((r) => REWRITTEN.test(r.id)) ? `${base}-h${hashOf(inputs.map((r) => r.id))}` : base;
}

/**
 * The id of a rewrite (`w`) or a packing (`k`): hashed over its inputs. Not over a rewrite's
 * newer runs: a new offload changes those every execution, and a rewrite that spans
 * executions must find its job again.
 */
export function rewrittenRunId(kind: 'w' | 'k', level: number, inputs: readonly RunMeta[]): string {
  const first = Math.min(...inputs.map((r) => r.periodStart));
  const last = Math.max(...inputs.map((r) => r.periodEnd));
  return `${kind}${level}-${first}-${last}-h${hashOf(inputs.map((r) => r.id))}`;
}

/** Whether `id` was written by a strategy other than the logarithmic merge's plain form (its job spec says what it reads). */
export const isRewrittenId = (id: string): boolean => REWRITTEN.test(id);

/** A run's `purgedAt`: when nothing says otherwise, no delete made before its oldest record can shadow it. */
export const purgedAtOf = (r: RunMeta): number => r.purgedAt ?? Math.floor(r.minSeq / 1000);

/**
 * Whether no run outside `inputs` can hold a version older than one in them: every other run
 * (hot runs by their period's seqs, cold runs by what they hold) starts after the inputs' newest
 * seq. Then a tombstone among the inputs shadows nothing left, and may go.
 */
export function nothingOlder(m: Manifest, inputs: readonly RunMeta[]): boolean {
  const ids = new Set(inputs.map((r) => r.id));
  const newest = Math.max(...inputs.map((r) => r.maxSeq));
  return m.runs.every((r) => ids.has(r.id) || (r.tier === 'cold' && r.count === 0) || r.minSeq > newest);
}

/** Whether two runs' key spans can overlap (a run without keys overlaps nothing; a hot run, everything). */
export function keysOverlap(a: RunMeta, b: RunMeta): boolean {
  if (a.tier === 'hot' || b.tier === 'hot') return true;
  if (a.minKey === undefined || b.minKey === undefined) return false;
  const cmp = (x: string, y: string): number => Buffer.compare(Buffer.from(x, 'base64'), Buffer.from(y, 'base64'));
  return cmp(a.minKey, b.maxKey!) <= 0 && cmp(b.minKey, a.maxKey!) <= 0;
}

/**
 * The cold runs a rewrite of `r` reads for newer versions: those holding a record newer than
 * `r`'s oldest, over an overlapping key span, newest first.
 */
export function shadowsOf(m: Manifest, r: RunMeta): RunMeta[] {
  return m.runs.filter((x) => x.tier === 'cold' && x.id !== r.id && x.count > 0 && x.maxSeq > r.minSeq && keysOverlap(x, r));
}

/**
 * The `purgedAt` a rewrite planned now gives its output: it reads every cold run, so every
 * tombstone already cold is applied; a tombstone still in a hot table is not (its clock started
 * no earlier than its table's first seq).
 */
export function purgedAtNow(m: Manifest, nowMs: number): number {
  const hot = m.runs.filter((r) => r.tier === 'hot').map((r) => Math.floor(r.minSeq / 1000) - 1);
  return Math.min(nowMs, ...hot);
}

/** A rewrite of one run in its own place (level and span), by `strategy`. */
export function rewritePlan(m: Manifest, r: RunMeta, strategy: string, nowMs: number): CompactionPlan {
  const shadows = shadowsOf(m, r);
  return {
    kind: 'rewrite',
    strategy,
    inputs: [r],
    shadows,
    outputLevel: r.level,
    dropTombstones: nothingOlder(m, [r]),
    outputId: rewrittenRunId('w', r.level, [r]),
    purgedAt: purgedAtNow(m, nowMs),
  };
}

/** A merge of `inputs` into one run at `level`, by `strategy`. */
export function mergePlan(m: Manifest, inputs: readonly RunMeta[], level: number, strategy: string): CompactionPlan {
  const sorted = [...inputs].sort((a, b) => a.periodStart - b.periodStart || a.periodEnd - b.periodEnd);
  return {
    kind: 'merge',
    strategy,
    inputs: sorted,
    outputLevel: level,
    dropTombstones: nothingOlder(m, sorted),
    outputId: strategy === 'packing' ? rewrittenRunId('k', level, sorted) : compactedRunId(level, sorted),
    purgedAt: Math.min(...sorted.map(purgedAtOf)),
  };
}

/** Cold runs whose every record is older than the retention cutoff: dropped whole. */
export function expiredRuns(m: Manifest, cutoffSeq: number): RunMeta[] {
  return m.runs.filter((r) => r.tier === 'cold' && r.maxSeq < cutoffSeq);
}

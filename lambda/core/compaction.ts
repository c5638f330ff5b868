/**
 * Compaction policies: pure functions of the manifest (mini-lsm's swappable controllers).
 *
 * Logarithmic policy: a run offloaded from one period is level 0; when `fanout` runs of one
 * level are adjacent in time, they merge into one run of the next level. With fanout 2 it
 * is a binary counter: N periods leave at most log2(N)+1 runs and each record is
 * rewritten about log2(N) times. Runs at `maxLevel` are never merged again, which caps
 * the largest merge.
 */
import { coldRunsOldestFirst, type Manifest, type RunMeta } from './manifest.ts';
import { ValidationError } from './errors.ts';

export interface CompactionPlan {
  /** Input runs, oldest first, adjacent in time. */
  readonly inputs: readonly RunMeta[];
  readonly outputLevel: number;
  /** True when nothing older than the inputs exists, so tombstones have nothing to shadow. */
  readonly dropTombstones: boolean;
  /** Deterministic: a re-planned compaction writes the same objects. */
  readonly outputId: string;
}

export interface CompactionPolicy {
  readonly name: string;
  plan(m: Manifest): CompactionPlan | undefined;
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

/** The id of a compaction's output: its level and the span of periods it covers. */
export function compactedRunId(level: number, inputs: readonly RunMeta[]): string {
  const first = Math.min(...inputs.map((r) => r.periodStart));
  const last = Math.max(...inputs.map((r) => r.periodEnd));
  return `c${level}-${first}-${last}`;
}

export class LogarithmicPolicy implements CompactionPolicy {
  readonly name = 'logarithmic';
  readonly opts: LogarithmicOptions;

  constructor(opts: LogarithmicOptions = DEFAULT_POLICY_OPTIONS) {
    this.opts = checkPolicyOptions(opts);
  }

  /** The lowest level with `fanout` adjacent runs wins (the counter's carry); oldest window first. */
  plan(m: Manifest): CompactionPlan | undefined {
    const cold = coldRunsOldestFirst(m);
    const { fanout, maxLevel } = this.opts;
    let best: { start: number; level: number } | undefined;
    for (let i = 0; i + fanout <= cold.length; i++) {
      const level = cold[i]!.level;
      if (level >= maxLevel) continue;
      if (best && level >= best.level) continue;
      let ok = true;
      for (let j = 1; j < fanout; j++) if (cold[i + j]!.level !== level) ok = false;
      if (ok) best = { start: i, level };
    }
    if (!best) return undefined;
    const inputs = cold.slice(best.start, best.start + fanout);
    const end = Math.max(...inputs.map((r) => r.periodEnd));
    // Oldest cold run included, and no hot run older than the inputs' end (offload is oldest first).
    const nothingOlder = best.start === 0 && m.runs.every((r) => r.tier === 'cold' || r.periodStart >= end);
    return {
      inputs,
      outputLevel: best.level + 1,
      dropTombstones: nothingOlder,
      outputId: compactedRunId(best.level + 1, inputs),
    };
  }
}

/** Cold runs whose every record is older than the retention cutoff: dropped whole. */
export function expiredRuns(m: Manifest, cutoffSeq: number): RunMeta[] {
  return m.runs.filter((r) => r.tier === 'cold' && r.maxSeq < cutoffSeq);
}

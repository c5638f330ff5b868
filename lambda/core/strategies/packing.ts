/**
 * Packing: several small or under-filled runs into one near-full run (Magic Pocket's packing
 * of volumes). A run of level L is nominally fanout^L periods of data; a run is under-filled
 * when its live bytes are below `below` of that. The runs packed are chosen by dynamic
 * programming over their live bytes, in steps of 1/`granularity` of the target, at most
 * `maxSources` of them: the set that comes closest to a full run of the highest level among
 * them without passing it, if it reaches `minFill`.
 */
import { mergePlan, type CompactionPlan, type PlanContext } from '../compaction.ts';
import { liveFraction, type Liveness } from '../liveness.ts';
import type { Manifest, RunMeta } from '../manifest.ts';

export interface PackingOptions {
  readonly below: number;
  readonly granularity: number;
  readonly maxSources: number;
  readonly minFill: number;
}

export const DEFAULT_PACKING: PackingOptions = { below: 0.9, granularity: 64, maxSources: 8, minFill: 0.5 };

/**
 * The subset of `weights` (at most `maxItems`, at least two) with the largest sum not above
 * `capacity`: indices, or undefined when no two fit. O(n * maxItems * capacity).
 */
export function bestSubset(weights: readonly number[], capacity: number, maxItems: number): number[] | undefined {
  const n = weights.length;
  const k = Math.min(maxItems, n);
  // best[j][c]: some subset of the items seen with j items and sum exactly c (-1: none); take[i][j][c] says whether item i was used.
  const reach: boolean[][] = Array.from({ length: k + 1 }, (_, j) => Array.from({ length: capacity + 1 }, (_, c) => j === 0 && c === 0));
  const took: Uint8Array[][] = [];
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    const t: Uint8Array[] = Array.from({ length: k + 1 }, () => new Uint8Array(capacity + 1));
    for (let j = k; j >= 1; j--) {
      for (let c = capacity; c >= w; c--) {
        if (!reach[j]![c] && reach[j - 1]![c - w]) {
          reach[j]![c] = true;
          t[j]![c] = 1;
        }
      }
    }
    took.push(t);
  }
  let best: { j: number; c: number } | undefined;
  for (let j = 2; j <= k; j++) for (let c = capacity; c >= 0; c--) if (reach[j]![c] && (!best || c > best.c || (c === best.c && j < best.j))) best = { j, c };
  if (!best) return undefined;
  const out: number[] = [];
  let { j, c } = best;
  for (let i = n - 1; i >= 0 && j > 0; i--) {
    if (took[i]![j]![c]) {
      out.push(i);
      c -= weights[i]!;
      j--;
    }
  }
  return out.reverse();
}

export class Packing {
  readonly name = 'packing';
  readonly opts: PackingOptions;

  constructor(opts: PackingOptions = DEFAULT_PACKING) {
    this.opts = opts;
  }

  /**
   * `periodBytes`: what one period stores when nothing is garbage (the nominal size of a level-0
   * run); `threshold`: runs sparser than this are the rewrite's, not packing's.
   */
  plan(
    m: Manifest,
    ctx: PlanContext,
    l: Liveness,
    o: { fanout: number; periodBytes: number; threshold: number; allowed: (bytes: number) => boolean },
  ): CompactionPlan | undefined {
    if (o.periodBytes <= 0) return undefined;
    const nominal = (level: number): number => o.periodBytes * o.fanout ** level;
    const live = (r: RunMeta): number => l.live.get(r.id) ?? r.bytes;
    const candidates = m.runs.filter(
      (r) => r.tier === 'cold' && r.count > 0 && liveFraction(l, r) >= o.threshold && live(r) < this.opts.below * nominal(r.level),
    );
    const levels = [...new Set(candidates.map((r) => r.level))].sort((a, b) => b - a);
    for (const level of levels) {
      const pool = candidates.filter((r) => r.level <= level).sort((a, b) => a.periodStart - b.periodStart);
      const step = nominal(level) / this.opts.granularity;
      const picked = bestSubset(
        pool.map((r) => Math.max(1, Math.ceil(live(r) / step))),
        this.opts.granularity,
        this.opts.maxSources,
      );
      if (!picked) continue;
      const inputs = picked.map((i) => pool[i]!);
      if (inputs.reduce((a, r) => a + live(r), 0) < this.opts.minFill * nominal(level)) continue;
      if (!o.allowed(inputs.reduce((a, r) => a + r.bytes, 0))) continue;
      return mergePlan(m, inputs, level, this.name);
    }
    return undefined;
  }
}

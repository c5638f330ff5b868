/**
 * The sparse rewrite: a run whose live fraction is below the threshold is rewritten alone, in
 * its own place, sparsest first (Magic Pocket's compaction of nearly empty volumes). It
 * reclaims what the logarithmic merge would reclaim only when the run's turn came, which for
 * the oldest runs may be years.
 */
import { rewritePlan, type CompactionPlan, type PlanContext } from '../compaction.ts';
import { liveFraction, type Liveness } from '../liveness.ts';
import type { Manifest } from '../manifest.ts';

export class SparseRewrite {
  readonly name = 'rewrite';

  /** Candidates are runs with a live fraction below `threshold`. */
  plan(m: Manifest, ctx: PlanContext, l: Liveness, threshold: number, allowed: (bytes: number) => boolean): CompactionPlan | undefined {
    const sparsest = m.runs
      .filter((r) => r.tier === 'cold' && r.count > 0 && liveFraction(l, r) < threshold)
      .sort((a, b) => liveFraction(l, a) - liveFraction(l, b) || (a.id < b.id ? -1 : 1));
    const r = sparsest.find((x) => allowed(x.bytes));
    return r ? rewritePlan(m, r, this.name, ctx.nowMs) : undefined;
  }
}

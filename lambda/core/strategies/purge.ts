/**
 * Purge deadlines: a run holding a record deleted or expired half a purge window ago is
 * rewritten without it, most urgent first, whatever the other strategies' rate limits (a
 * deadline is a promise to the user; the budget is ours).
 */
import { rewritePlan, type CompactionPlan, type CompactionPolicy, type PlanContext } from '../compaction.ts';
import { purgeDue } from '../liveness.ts';
import type { Manifest } from '../manifest.ts';

export class PurgePolicy implements CompactionPolicy {
  readonly name = 'purge';

  plan(m: Manifest, ctx: PlanContext): CompactionPlan | undefined {
    if (ctx.purgeWithinMs === undefined) return undefined;
    const [first] = purgeDue(m, ctx.nowMs, ctx.purgeWithinMs, ctx.cutoff);
    return first ? rewritePlan(m, first.run, this.name, ctx.nowMs) : undefined;
  }
}

/**
 * The compaction policy a store runs, from its settings: `logarithmic` (the steady state
 * alone) or `multi` (with the sparse rewrite and packing), and purge deadlines before either
 * when `purgeWithin` is set.
 */
import type { CompactionPlan, CompactionPolicy, CompactionPolicyName, LogarithmicOptions, PlanContext } from '../compaction.ts';
import type { Manifest } from '../manifest.ts';
import { LogarithmicPolicy } from './logarithmic.ts';
import { MultiPolicy } from './multi.ts';
import { PurgePolicy } from './purge.ts';

/** The first of `policies` with something to do. */
export class FirstOf implements CompactionPolicy {
  readonly name: string;
  private readonly policies: readonly CompactionPolicy[];

  constructor(policies: readonly CompactionPolicy[]) {
    this.policies = policies;
    this.name = policies.map((p) => p.name).join('+');
  }

  plan(m: Manifest, ctx: PlanContext): CompactionPlan | undefined {
    for (const p of this.policies) {
      const plan = p.plan(m, ctx);
      if (plan) return plan;
    }
    return undefined;
  }
}

export function policyFor(s: LogarithmicOptions & { readonly compaction: CompactionPolicyName; readonly purgeWithinMs: number | undefined }): CompactionPolicy {
  const main = s.compaction === 'multi' ? new MultiPolicy(s) : new LogarithmicPolicy(s);
  return s.purgeWithinMs === undefined ? main : new FirstOf([new PurgePolicy(), main]);
}

export { LogarithmicPolicy, MultiPolicy, PurgePolicy };

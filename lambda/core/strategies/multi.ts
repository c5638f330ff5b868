/**
 * Several strategies over disjoint ranges of a run's live fraction (Magic Pocket): the
 * logarithmic merge keeps the steady state; runs with a live fraction below the control
 * loop's threshold are rewritten alone, sparsest first; under-filled runs above it are packed
 * into near-full ones. Each garbage strategy has a rate limit (bytes it may read and rewrite
 * per period, in periods of data) and both share a budget of index items written per period;
 * what each spent is charged in the manifest by the commit that made it (`Manifest.spent`).
 * A strategy that spent nothing in the window may start one job larger than its limit, or a
 * run larger than the limit could never be compacted.
 */
import type { CompactionPlan, CompactionPolicy, LogarithmicOptions, PlanContext } from '../compaction.ts';
import { liveness, spaceOverhead } from '../liveness.ts';
import { FORMAT_DEFAULTS } from '../limits.ts';
import type { Manifest } from '../manifest.ts';
import { rewriteThreshold, DEFAULT_CONTROL, type ControlOptions } from './control.ts';
import { LogarithmicPolicy } from './logarithmic.ts';
import { DEFAULT_PACKING, Packing, type PackingOptions } from './packing.ts';
import { SparseRewrite } from './sparse-rewrite.ts';

export interface MultiOptions {
  readonly control: ControlOptions;
  readonly packing: PackingOptions;
  /** Bytes each garbage strategy may read and rewrite per period, in periods of data. */
  readonly rewriteRate: number;
  readonly packingRate: number;
  /** Index items the garbage strategies may write per period, in periods of data's worth. */
  readonly indexBudget: number;
}

export const DEFAULT_MULTI: MultiOptions = { control: DEFAULT_CONTROL, packing: DEFAULT_PACKING, rewriteRate: 2, packingRate: 2, indexBudget: 3 };

/** Bytes one period stores when nothing is garbage: the cold runs' bytes per period they span. */
export function periodBytes(m: Manifest, periodMs: number): number {
  const cold = m.runs.filter((r) => r.tier === 'cold' && r.count > 0);
  const periods = cold.reduce((a, r) => a + (r.periodEnd - r.periodStart), 0) / periodMs;
  return periods === 0 ? 0 : cold.reduce((a, r) => a + r.bytes, 0) / periods;
}

/** Index items a run of `bytes` writes, at the manifest's average record size. */
export function indexItemsOf(m: Manifest, bytes: number): number {
  const cold = m.runs.filter((r) => r.tier === 'cold');
  const count = cold.reduce((a, r) => a + r.count, 0);
  const stored = cold.reduce((a, r) => a + r.bytes, 0);
  return stored === 0 ? 0 : Math.ceil((bytes * count) / stored / FORMAT_DEFAULTS.indexEntryMaxRecords);
}

export class MultiPolicy implements CompactionPolicy {
  readonly name = 'multi';
  private readonly logarithmic: LogarithmicPolicy;
  private readonly rewrite = new SparseRewrite();
  private readonly packing: Packing;
  readonly opts: MultiOptions;

  constructor(log: LogarithmicOptions, opts: MultiOptions = DEFAULT_MULTI) {
    this.logarithmic = new LogarithmicPolicy(log);
    this.packing = new Packing(opts.packing);
    this.opts = opts;
  }

  plan(m: Manifest, ctx: PlanContext): CompactionPlan | undefined {
    const steady = this.logarithmic.plan(m);
    if (steady) return steady;
    const l = liveness(m, ctx.cutoff);
    const threshold = rewriteThreshold(spaceOverhead(l), this.opts.control);
    const unit = periodBytes(m, ctx.periodMs);
    const window = (m.spent ?? []).filter((s) => s.at > ctx.nowMs - ctx.periodMs);
    const garbage = new Set([this.rewrite.name, this.packing.name]);
    const indexSpent = window.filter((s) => garbage.has(s.strategy)).reduce((a, s) => a + s.indexItems, 0);
    const allowedBy =
      (strategy: string, rate: number) =>
      (bytes: number): boolean => {
        const spent = window.filter((s) => s.strategy === strategy).reduce((a, s) => a + s.bytes, 0);
        if (spent > 0 && spent + bytes > rate * unit) return false;
        return indexSpent === 0 || indexSpent + indexItemsOf(m, bytes) <= this.opts.indexBudget * indexItemsOf(m, unit);
      };
    return (
      this.rewrite.plan(m, ctx, l, threshold, allowedBy(this.rewrite.name, this.opts.rewriteRate)) ??
      this.packing.plan(m, ctx, l, {
        fanout: this.logarithmic.opts.fanout,
        periodBytes: unit,
        threshold,
        allowed: allowedBy(this.packing.name, this.opts.packingRate),
      })
    );
  }
}

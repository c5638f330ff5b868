/**
 * The logarithmic merge, the steady state: a run offloaded from one period is level 0; when
 * `fanout` runs of one level are adjacent in time, they merge into one run of the next level.
 * With fanout 2 it is a binary counter: N periods leave at most log2(N)+1 runs and each record
 * is rewritten about log2(N) times. Runs at `maxLevel` are never merged again, which caps the
 * largest merge.
 */
import { checkPolicyOptions, DEFAULT_POLICY_OPTIONS, mergePlan, type CompactionPlan, type CompactionPolicy, type LogarithmicOptions } from '../compaction.ts';
import { coldRunsOldestFirst, type Manifest } from '../manifest.ts';

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
    return mergePlan(m, cold.slice(best.start, best.start + fanout), best.level + 1, this.name);
  }
}

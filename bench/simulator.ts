/**
 * The compaction simulator (after mini-lsm's): drives the real policy and manifest model
 * over a history of periods, each offloading one unit of data, and counts runs and bytes
 * written. No data moves: it answers "how many runs, how much rewriting" for any setting.
 */
import { LogarithmicPolicy } from '../lambda/core/compaction.ts';
import { applyEdit, EMPTY_MANIFEST, type Manifest, type RunMeta } from '../lambda/core/manifest.ts';

export interface SimulationOptions {
  periods: number;
  fanout: number;
  maxLevel: number;
  /** Bytes offloaded per period (default 1: results are then in "periods of data"). */
  bytesPerPeriod?: number;
  /** Called after each period's offload and the compactions it triggered. */
  onStep?: (m: Manifest, period: number, stats: SimulationStep) => void;
}

export interface SimulationStep {
  readonly runs: number;
  readonly written: number;
  readonly ingested: number;
  readonly compactions: number;
}

export interface SimulationResult extends SimulationStep {
  readonly maxRuns: number;
  readonly writeAmplification: number;
  readonly largestMerge: number;
  readonly finalManifest: Manifest;
}

function run(id: string, level: number, start: number, end: number, bytes: number): RunMeta {
  return { id, tier: 'cold', level, periodStart: start, periodEnd: end, minSeq: start, maxSeq: end - 1, count: bytes, bytes, setsum: '0'.repeat(64), createdAt: '' };
}

export function simulate(o: SimulationOptions): SimulationResult {
  const policy = new LogarithmicPolicy({ fanout: o.fanout, maxLevel: o.maxLevel });
  const unit = o.bytesPerPeriod ?? 1;
  let m = EMPTY_MANIFEST;
  let written = 0;
  let ingested = 0;
  let compactions = 0;
  let maxRuns = 0;
  let largestMerge = 0;
  for (let p = 0; p < o.periods; p++) {
    m = applyEdit(m, { kind: 'offload', remove: [], add: [run(`p${p}`, 0, p, p + 1, unit)] }).manifest;
    written += unit;
    ingested += unit;
    for (let plan = policy.plan(m); plan; plan = policy.plan(m)) {
      const bytes = plan.inputs.reduce((s, r) => s + r.bytes, 0);
      const start = plan.inputs[0]!.periodStart;
      const end = plan.inputs[plan.inputs.length - 1]!.periodEnd;
      m = applyEdit(m, { kind: 'compact', remove: plan.inputs.map((r) => r.id), add: [run(plan.outputId, plan.outputLevel, start, end, bytes)] }).manifest;
      written += bytes;
      compactions++;
      largestMerge = Math.max(largestMerge, bytes);
    }
    maxRuns = Math.max(maxRuns, m.runs.length);
    o.onStep?.(m, p, { runs: m.runs.length, written, ingested, compactions });
  }
  return {
    runs: m.runs.length,
    written,
    ingested,
    compactions,
    maxRuns,
    largestMerge,
    writeAmplification: ingested === 0 ? 0 : written / ingested,
    finalManifest: m,
  };
}

/**
 * The compaction simulator (after mini-lsm's): drives the real policies and manifest model over
 * a history of daily periods and counts runs, bytes written and, with a workload of deletes or
 * a retention change, the garbage each run truly holds. No data moves: records are counted by
 * cohort (the period they were written in), deletes by batch (the period whose tombstones
 * shadow them), so a merge or rewrite drops exactly what the real one would: a deleted record
 * when its batch's tombstones are among what it reads, an expired one always.
 *
 * The policies see only what the real manifest holds (bytes, counts, seqs, tombstone counts
 * and clocks, purgedAt); the simulator's truth measures them. Jobs take no time here: purge
 * lags are the policies' latency, before the rewrite, GC's grace and version deletion.
 */
import { type CompactionPolicy, type PlanContext } from '../lambda/core/compaction.ts';
import { applyEdit, EMPTY_MANIFEST, spendOf, type Manifest, type RunMeta } from '../lambda/core/manifest.ts';
import { LogarithmicPolicy } from '../lambda/core/strategies/logarithmic.ts';

export const DAY_MS = 86_400_000;

export interface Workload {
  readonly name: string;
  /** Fraction of the live records deleted in period `p` (0: none). */
  deletes(p: number): number;
  /** Retention in force at period `p`, in periods (undefined: forever). */
  retention(p: number): number | undefined;
}

export const WORKLOADS: Record<'steady' | 'deleteStorm' | 'retentionChange', (periods: number) => Workload> = {
  steady: () => ({ name: 'steady appends', deletes: () => 0, retention: () => undefined }),
  deleteStorm: (periods) => {
    const at = Math.floor(periods / 2);
    return {
      name: `a storm of deletes (half the store on day ${at}, then 0.1% a day)`,
      deletes: (p) => (p === at ? 0.5 : p > at ? 0.001 : 0),
      retention: () => undefined,
    };
  },
  retentionChange: (periods) => {
    const at = Math.floor((periods * 2) / 3);
    const keep = Math.max(2, Math.floor(periods / 3));
    return { name: `a retention change (kept forever, then ${keep} days from day ${at})`, deletes: () => 0, retention: (p) => (p >= at ? keep : undefined) };
  },
};

export interface SimulationOptions {
  periods: number;
  fanout: number;
  maxLevel: number;
  /** The policy (default: logarithmic with fanout and maxLevel). */
  policy?: CompactionPolicy;
  workload?: Workload;
  /** Purge deadline in periods, passed to the policy. */
  purgeWithin?: number;
  /** Bytes offloaded per period (default 1: results are then in "periods of data"). */
  bytesPerPeriod?: number;
  /** Records per period (default: one per byte). */
  recordsPerPeriod?: number;
  /** Called after each period's offload and the compactions it triggered. */
  onStep?: (m: Manifest, period: number, stats: SimulationStep) => void;
}

export interface SimulationStep {
  readonly runs: number;
  readonly written: number;
  readonly ingested: number;
  readonly compactions: number;
  /** Bytes the cold runs store, and how many of them are live (not deleted, expired or a tombstone). */
  readonly stored: number;
  readonly live: number;
}

export interface SimulationResult extends SimulationStep {
  readonly maxRuns: number;
  readonly writeAmplification: number;
  readonly largestMerge: number;
  readonly finalManifest: Manifest;
  /** Compactions by strategy. */
  readonly byStrategy: Readonly<Record<string, number>>;
  /** The longest a deleted or expired record stayed in a run, in periods (including those still there at the end). */
  readonly maxPurgeLag: number;
  /** Space overhead (stored / live) after each period. */
  readonly overhead: readonly number[];
}

/** Records of one period in one run; `dead` are those deleted, by the period of the batch that deleted them. */
interface Cohort {
  readonly period: number;
  n: number;
  readonly dead: Map<number, number>;
}

interface Truth {
  readonly cohorts: Cohort[];
  /** Tombstone batches: period deleted -> tombstones. */
  readonly tombstones: Map<number, number>;
}

const ALL_KEYS = { minKey: Buffer.from([0]).toString('base64'), maxKey: Buffer.from([0xff]).toString('base64') };

export function simulate(o: SimulationOptions): SimulationResult {
  const policy = o.policy ?? new LogarithmicPolicy({ fanout: o.fanout, maxLevel: o.maxLevel });
  const unit = o.bytesPerPeriod ?? 1;
  const perPeriod = o.recordsPerPeriod ?? unit;
  const recordBytes = unit / perPeriod;
  const tombBytes = recordBytes / 4;
  const truth = new Map<string, Truth>();
  /** Where each tombstone batch is now. */
  const batchIn = new Map<number, string>();
  let m = EMPTY_MANIFEST;
  let written = 0;
  let ingested = 0;
  let compactions = 0;
  let maxRuns = 0;
  let largestMerge = 0;
  let maxPurgeLag = 0;
  const byStrategy: Record<string, number> = {};
  const overhead: number[] = [];
  let lastLive = 0;
  /** The first period a retention was in force: a record cannot have expired before it. */
  let retentionSince: number | undefined;

  const meta = (id: string, level: number, start: number, end: number, t: Truth, extra: Partial<RunMeta>): RunMeta => {
    const records = t.cohorts.reduce((a, c) => a + c.n, 0);
    const tombs = [...t.tombstones.values()].reduce((a, b) => a + b, 0);
    const periods = [...t.cohorts.map((c) => c.period), ...t.tombstones.keys()];
    const deleted = [...t.tombstones.keys()];
    return {
      id,
      tier: 'cold',
      level,
      periodStart: start * DAY_MS,
      periodEnd: end * DAY_MS,
      minSeq: periods.length ? Math.min(...periods) * DAY_MS * 1000 : 0,
      maxSeq: periods.length ? (Math.max(...periods) + 1) * DAY_MS * 1000 - 1 : 0,
      ...(records + tombs > 0 ? ALL_KEYS : {}),
      count: records + tombs,
      bytes: records * recordBytes + tombs * tombBytes,
      setsum: '',
      createdAt: '',
      ...(tombs > 0 ? { tombstones: tombs, deletedFrom: Math.min(...deleted) * DAY_MS, deletedTo: Math.max(...deleted) * DAY_MS } : {}),
      ...extra,
    };
  };
  const stored = (): number => m.runs.reduce((a, r) => a + r.bytes, 0);
  const liveBytes = (cutoffPeriod: number): number => {
    let live = 0;
    for (const t of truth.values())
      for (const c of t.cohorts) if (c.period >= cutoffPeriod) live += (c.n - [...c.dead.values()].reduce((a, b) => a + b, 0)) * recordBytes;
    return live;
  };

  for (let p = 0; p < o.periods; p++) {
    const retention = o.workload?.retention(p);
    if (retention !== undefined) retentionSince ??= p + 1;
    const expiredSince = (period: number): number => Math.max(period + retention!, retentionSince!);
    // Decisions at the end of period p, records of periods before the cutoff expired.
    const now = (p + 1) * DAY_MS;
    const cutoffPeriod = retention === undefined ? -Infinity : p + 1 - retention;
    const lag = (since: number): void => {
      maxPurgeLag = Math.max(maxPurgeLag, p + 1 - since);
    };

    // Deletes: a fraction of every live record, shadowed by this period's tombstones.
    const fraction = o.workload?.deletes(p) ?? 0;
    let deleted = 0;
    if (fraction > 0) {
      for (const t of truth.values()) {
        for (const c of t.cohorts) {
          const alive = c.n - [...c.dead.values()].reduce((a, b) => a + b, 0);
          const k = alive * fraction;
          if (k > 0) c.dead.set(p, (c.dead.get(p) ?? 0) + k);
          deleted += k;
        }
      }
    }
    const fresh: Truth = { cohorts: [{ period: p, n: perPeriod, dead: new Map() }], tombstones: deleted > 0 ? new Map([[p, deleted]]) : new Map() };
    truth.set(`p${p}`, fresh);
    if (deleted > 0) batchIn.set(p, `p${p}`);
    m = applyEdit(m, { kind: 'offload', remove: [], add: [meta(`p${p}`, 0, p, p + 1, fresh, {})] }).manifest;
    written += unit + deleted * tombBytes;
    ingested += unit;

    // Runs expired whole are dropped (GC's retention step).
    const expired = m.runs.filter(
      (r) => truth.get(r.id)!.cohorts.every((c) => c.period < cutoffPeriod) && [...truth.get(r.id)!.tombstones.keys()].every((b) => b < cutoffPeriod),
    );
    if (expired.length > 0) {
      for (const r of expired) {
        for (const c of truth.get(r.id)!.cohorts) if (c.n > 0) lag(expiredSince(c.period));
        truth.delete(r.id);
      }
      m = applyEdit(m, { kind: 'retention', remove: expired.map((r) => r.id), add: [] }).manifest;
    }

    const ctx: PlanContext = {
      nowMs: now,
      periodMs: DAY_MS,
      ...(retention !== undefined ? { cutoff: cutoffPeriod * DAY_MS * 1000 } : {}),
      ...(o.purgeWithin !== undefined ? { purgeWithinMs: o.purgeWithin * DAY_MS } : {}),
    };
    const seen = new Set<string>();
    for (let plan = policy.plan(m, ctx); plan && !seen.has(plan.outputId); plan = policy.plan(m, ctx)) {
      seen.add(plan.outputId);
      const inputs = plan.inputs.map((r) => truth.get(r.id)!);
      const reads = new Set(plan.kind === 'rewrite' ? m.runs.filter((r) => r.tier === 'cold').map((r) => r.id) : plan.inputs.map((r) => r.id));
      const out: Truth = { cohorts: [], tombstones: new Map() };
      for (const t of inputs) {
        for (const c of t.cohorts) {
          if (c.period < cutoffPeriod) {
            if (c.n > 0) lag(expiredSince(c.period));
            continue;
          }
          const next: Cohort = { period: c.period, n: c.n, dead: new Map() };
          for (const [batch, k] of c.dead) {
            if (reads.has(batchIn.get(batch) ?? '')) {
              next.n -= k;
              lag(batch);
            } else next.dead.set(batch, k);
          }
          if (next.n > 1e-9) out.cohorts.push(next);
        }
        for (const [batch, k] of t.tombstones)
          if (!plan.dropTombstones && batch >= cutoffPeriod) out.tombstones.set(batch, (out.tombstones.get(batch) ?? 0) + k);
      }
      const start = Math.min(...plan.inputs.map((r) => r.periodStart)) / DAY_MS;
      const end = Math.max(...plan.inputs.map((r) => r.periodEnd)) / DAY_MS;
      const run = meta(plan.outputId, plan.outputLevel, start, end, out, {
        purgedAt: plan.purgedAt,
        ...(plan.strategy !== 'logarithmic' ? { madeBy: plan.strategy } : {}),
      });
      for (const r of plan.inputs) truth.delete(r.id);
      truth.set(run.id, out);
      for (const batch of out.tombstones.keys()) batchIn.set(batch, run.id);
      const bytes = plan.inputs.reduce((a, r) => a + r.bytes, 0);
      m = applyEdit(m, {
        kind: 'compact',
        remove: plan.inputs.map((r) => r.id),
        add: [run],
        spend: spendOf(plan.strategy, now, bytes, run.count),
      }).manifest;
      written += run.bytes;
      compactions++;
      byStrategy[plan.strategy] = (byStrategy[plan.strategy] ?? 0) + 1;
      largestMerge = Math.max(largestMerge, bytes);
    }
    // Garbage still held counts toward the lag too.
    for (const t of truth.values()) {
      for (const c of t.cohorts) {
        for (const batch of c.dead.keys()) lag(batch);
        if (c.period < cutoffPeriod && c.n > 0) lag(expiredSince(c.period));
      }
    }
    const live = liveBytes(cutoffPeriod);
    lastLive = live;
    overhead.push(live === 0 ? 1 : stored() / live);
    maxRuns = Math.max(maxRuns, m.runs.length);
    o.onStep?.(m, p, { runs: m.runs.length, written, ingested, compactions, stored: stored(), live });
  }
  return {
    runs: m.runs.length,
    written,
    ingested,
    compactions,
    stored: stored(),
    live: lastLive,
    maxRuns,
    largestMerge,
    writeAmplification: ingested === 0 ? 0 : written / ingested,
    finalManifest: m,
    byStrategy,
    maxPurgeLag,
    overhead,
  };
}

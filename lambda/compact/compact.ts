/**
 * Compaction (DESIGN §5.3): the policy picks runs; the merge is range-partitioned at the
 * inputs' index boundaries so each range is one bounded task; verification then checks
 * setsum(inputs) = setsum(output) + setsum(dropped).
 */
import { coldScan } from '../core/cold-run.ts';
import { LogarithmicPolicy } from '../core/compaction.ts';
import { compareKeys } from '../core/keys.ts';
import { MergeIterator } from '../core/merge.ts';
import { keyRangeOfSpec, rangesFrom, type RangeSpec } from '../core/ranges.ts';
import { Setsum } from '../core/setsum.ts';
import type { Stores } from '../store/stores.ts';

/** Compressed bytes are about a quarter of raw for audit logs: size ranges by raw bytes. */
const RAW_PER_STORED = 4;

export interface CompactionPlan {
  readonly outputId: string;
  readonly level: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly dropTombstones: boolean;
  /** Input run ids, newest first (the merge's tie-break order). */
  readonly inputs: string[];
  /** Their total, from the manifest: what verification checks against. */
  readonly inputTotal: { count: number; setsum: string };
  readonly retentionCutoff?: number;
  readonly ranges: RangeSpec[];
}

export interface CompactionMerged {
  readonly range: number;
  readonly count: number;
  readonly setsum: string;
  readonly dropped: { count: number; setsum: string };
}

export async function planCompaction(s: Stores, nowMs: number): Promise<{ found: boolean; plan?: CompactionPlan }> {
  const m = await s.manifests.read();
  const p = new LogarithmicPolicy({ fanout: s.settings.fanout, maxLevel: s.settings.maxLevel }).plan(m);
  if (!p) return { found: false };
  const plan = await s.jobs.getOrCreate<CompactionPlan>(p.outputId, async () => {
    // Split at index-entry boundaries of the inputs, every rangeBytes of (estimated raw) data.
    const bounds: { key: Buffer; bytes: number }[] = [];
    for (const r of p.inputs) for await (const e of s.cold.allEntries(r.id)) bounds.push({ key: e.firstKey, bytes: e.bytes * RAW_PER_STORED });
    bounds.sort((a, b) => compareKeys(a.key, b.key));
    const splitters: Buffer[] = [];
    let acc = 0;
    for (const b of bounds) {
      if (acc >= s.settings.rangeBytes && (splitters.length === 0 || compareKeys(b.key, splitters[splitters.length - 1]!) > 0)) {
        splitters.push(b.key);
        acc = 0;
      }
      acc += b.bytes;
    }
    const total = new Setsum();
    for (const r of p.inputs) total.add(Setsum.fromHex(r.setsum));
    const retention = s.settings.retentionMs;
    return {
      outputId: p.outputId,
      level: p.outputLevel,
      periodStart: Math.min(...p.inputs.map((r) => r.periodStart)),
      periodEnd: Math.max(...p.inputs.map((r) => r.periodEnd)),
      dropTombstones: p.dropTombstones,
      inputs: [...p.inputs].reverse().map((r) => r.id),
      inputTotal: { count: p.inputs.reduce((a, r) => a + r.count, 0), setsum: total.hexdigest() },
      ...(retention !== undefined ? { retentionCutoff: Math.floor((nowMs - retention) * 1000) } : {}),
      ranges: rangesFrom(splitters),
    };
  });
  return { found: true, plan };
}

export async function mergeCompactionRange(s: Stores, plan: CompactionPlan, range: RangeSpec): Promise<CompactionMerged> {
  const kr = keyRangeOfSpec(range);
  const merge = new MergeIterator(
    plan.inputs.map((id) => coldScan(s.cold, id, kr, 'asc')),
    { dropTombstones: plan.dropTombstones, trackSetsums: 'dropped', ...(plan.retentionCutoff !== undefined ? { retentionCutoff: plan.retentionCutoff } : {}) },
  );
  const w = await s.cold.writeRun(plan.outputId, merge, { blockBytes: s.settings.blockBytes, blobBytes: s.settings.blobBytes }, range);
  const d = merge.stats.dropped;
  return { range: range.index, count: w.count, setsum: w.setsum.hexdigest(), dropped: { count: d.count, setsum: d.setsum.hexdigest() } };
}

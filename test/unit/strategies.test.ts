import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { compactedRunId, isRewrittenId, nothingOlder, rewritePlan, type PlanContext } from '../../lambda/core/compaction.ts';
import { expiredFraction, liveFraction, liveness, purgeDue, spaceOverhead } from '../../lambda/core/liveness.ts';
import { applyEdit, EMPTY_MANIFEST, type Manifest, type RunMeta } from '../../lambda/core/manifest.ts';
import { mergeAll } from '../../lambda/core/merge.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { ShadowFilter } from '../../lambda/core/rewrite.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import { DEFAULT_CONTROL, rewriteThreshold } from '../../lambda/core/strategies/control.ts';
import { policyFor } from '../../lambda/core/strategies/index.ts';
import { LogarithmicPolicy } from '../../lambda/core/strategies/logarithmic.ts';
import { DEFAULT_MULTI, MultiPolicy } from '../../lambda/core/strategies/multi.ts';
import { bestSubset } from '../../lambda/core/strategies/packing.ts';
import { DAY_MS, simulate, WORKLOADS } from '../../bench/simulator.ts';
import { coldRun, hotRun } from '../support/runs.ts';
import { DEFAULT_SETTINGS, hotBoundMs, settingsFromEnv, settingsToEnv } from '../../lambda/core/settings.ts';

const ALL = { minKey: Buffer.from([0]).toString('base64'), maxKey: Buffer.from([0xff]).toString('base64') };
/** A cold run over days [start, end) holding `bytes` in as many records. */
const day = (id: string, level: number, start: number, end: number, bytes = 100, extra: Partial<RunMeta> = {}): RunMeta => ({
  ...coldRun(id, level, start * DAY_MS, end * DAY_MS, bytes),
  ...ALL,
  ...extra,
});
const manifest = (...runs: RunMeta[]): Manifest => applyEdit(EMPTY_MANIFEST, { kind: 'import', remove: [], add: runs }).manifest;
const ctx = (nowDay: number, extra: Partial<PlanContext> = {}): PlanContext => ({ nowMs: nowDay * DAY_MS, periodMs: DAY_MS, ...extra });

describe('settings', () => {
  it('reads the policy and the purge window from the environment, and refuses what cannot work with a clear error', () => {
    const s = settingsFromEnv({ ALKI_COMPACTION: 'multi', ALKI_PURGE_WITHIN: '30d' });
    assert.equal(s.compaction, 'multi');
    assert.equal(s.purgeWithinMs, 30 * DAY_MS);
    assert.deepEqual(settingsFromEnv(settingsToEnv(s)), s);
    assert.equal(settingsFromEnv({}).purgeWithinMs, undefined);
    assert.equal(settingsFromEnv({ ALKI_PURGE_WITHIN: 'off' }).purgeWithinMs, undefined);
    assert.throws(() => settingsFromEnv({ ALKI_COMPACTION: 'tiered' }), {
      code: 'InvalidConfig',
      message: /compaction must be logarithmic or multi, not "tiered"/,
    });
    // A daily period's hot table outlives a delete by about 1.2 days: the window must be twice that.
    assert.ok(hotBoundMs(DEFAULT_SETTINGS) > DAY_MS);
    assert.throws(() => settingsFromEnv({ ALKI_PURGE_WITHIN: '2d' }), {
      code: 'InvalidConfig',
      message: /purge within 2d is too short: a hot table is dropped up to .* after a delete/,
    });
    assert.equal(settingsFromEnv({ ALKI_PURGE_WITHIN: '3d' }).purgeWithinMs, 3 * DAY_MS);
  });
});

describe('packing by dynamic programming', () => {
  it('finds the largest sum of two to maxItems weights within the capacity (brute force agrees)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 2, max: 5 }),
        (weights, capacity, maxItems) => {
          let best = -1;
          for (let mask = 0; mask < 1 << weights.length; mask++) {
            const picked = weights.filter((_, i) => mask & (1 << i));
            const sum = picked.reduce((a, b) => a + b, 0);
            if (picked.length >= 2 && picked.length <= maxItems && sum <= capacity) best = Math.max(best, sum);
          }
          const got = bestSubset(weights, capacity, maxItems);
          if (best < 0) return assert.equal(got, undefined);
          assert.ok(got);
          assert.equal(new Set(got).size, got.length);
          assert.ok(got.length >= 2 && got.length <= maxItems);
          assert.equal(
            got.reduce((a, i) => a + weights[i]!, 0),
            best,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the control loop', () => {
  it('raises the rewrite threshold with the space overhead, within its bounds', () => {
    assert.equal(rewriteThreshold(DEFAULT_CONTROL.targetOverhead), DEFAULT_CONTROL.base);
    assert.equal(rewriteThreshold(1), Math.max(DEFAULT_CONTROL.min, DEFAULT_CONTROL.base - 0.25));
    assert.equal(rewriteThreshold(5), DEFAULT_CONTROL.max);
    assert.equal(rewriteThreshold(Infinity), DEFAULT_CONTROL.max);
    fc.assert(
      fc.property(fc.double({ min: 1, max: 10, noNaN: true }), fc.double({ min: 1, max: 10, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        assert.ok(rewriteThreshold(lo) <= rewriteThreshold(hi));
      }),
    );
  });
});

describe('liveness estimates', () => {
  it('counts the part of a run past the retention cutoff as expired', () => {
    const r = day('a', 1, 0, 4);
    assert.equal(expiredFraction(r, undefined), 0);
    assert.equal(expiredFraction(r, 0), 0);
    assert.equal(expiredFraction(r, 2 * DAY_MS * 1000), 0.5);
    assert.equal(expiredFraction(r, 9 * DAY_MS * 1000), 1);
  });

  it("charges a tombstone run's deletes to the older runs it can reach, by their share, until they are rewritten after it", () => {
    const old = day('a', 1, 0, 2, 300);
    const mid = day('b', 0, 2, 3, 100);
    const deletes = day('c', 0, 3, 4, 100, { tombstones: 40, deletedFrom: 3 * DAY_MS, deletedTo: 4 * DAY_MS - 1 });
    const l = liveness(manifest(old, mid, deletes));
    assert.equal(l.live.get('a'), 300 - 30);
    assert.equal(l.live.get('b'), 100 - 10);
    assert.equal(l.live.get('c'), 100, 'its own tombstones count live: a rewrite cannot drop them');
    assert.ok(Math.abs(spaceOverhead(l) - 500 / 460) < 1e-12);
    // Rewritten after the deletes: nothing of them left to charge.
    const again = liveness(manifest({ ...old, purgedAt: 4 * DAY_MS }, mid, deletes));
    assert.equal(again.live.get('a'), 300);
    // b keeps its share of the charge (a's share is not moved onto it).
    assert.equal(liveFraction(again, mid), 0.9);
  });
});

describe('purge deadlines', () => {
  const within = 30 * DAY_MS;

  it('makes a run holding a deleted record due half a window after the delete, and not again once rewritten after it', () => {
    const old = day('a', 2, 0, 4);
    const deletes = day('c', 0, 10, 11, 100, { tombstones: 1, deletedFrom: 10 * DAY_MS, deletedTo: 10 * DAY_MS });
    const m = manifest(old, deletes);
    assert.deepEqual(purgeDue(m, 24 * DAY_MS, within), []);
    const due = purgeDue(m, 25 * DAY_MS, within);
    assert.deepEqual(
      due.map((d) => [d.run.id, d.reason, d.deadline]),
      [['a', 'deleted', 40 * DAY_MS]],
    );
    assert.deepEqual(purgeDue(manifest({ ...old, purgedAt: 10 * DAY_MS }, deletes), 39 * DAY_MS, within), []);
    // A run newer than every delete cannot hold what they shadow.
    assert.deepEqual(purgeDue(manifest(deletes, day('d', 0, 11, 12)), 39 * DAY_MS, within), []);
  });

  it('makes a run holding an expired record due half a window after it expired, unless retention drops it whole', () => {
    const r = day('a', 5, 0, 40);
    const retention = 100 * DAY_MS;
    const cutoffAt = (d: number): number => (d * DAY_MS - retention) * 1000;
    assert.deepEqual(purgeDue(manifest(r), 114 * DAY_MS, within, cutoffAt(114)), []);
    assert.deepEqual(
      purgeDue(manifest(r), 115 * DAY_MS, within, cutoffAt(115)).map((d) => [d.run.id, d.reason, d.deadline]),
      [['a', 'expired', 130 * DAY_MS]],
    );
    assert.deepEqual(
      purgeDue(manifest(r), 145 * DAY_MS, within, cutoffAt(145)).map((d) => d.run.id),
      [],
      'expired whole by then: retention drops it',
    );
  });

  it('is planned before anything else, as a rewrite of the run in its own place, reading the newer runs', () => {
    const old = day('a', 2, 0, 4);
    const deletes = day('c', 0, 10, 11, 100, { tombstones: 1, deletedFrom: 10 * DAY_MS, deletedTo: 10 * DAY_MS });
    const sibling = day('d', 0, 11, 12);
    const policy = policyFor({ fanout: 2, maxLevel: 8, compaction: 'logarithmic', purgeWithinMs: within });
    const plan = policy.plan(manifest(old, deletes, sibling), ctx(26, { purgeWithinMs: within }))!;
    assert.equal(plan.kind, 'rewrite');
    assert.equal(plan.strategy, 'purge');
    assert.deepEqual(
      plan.inputs.map((r) => r.id),
      ['a'],
    );
    assert.deepEqual(
      plan.shadows!.map((r) => r.id),
      ['d', 'c'],
    );
    assert.equal(plan.outputLevel, 2);
    assert.equal(plan.dropTombstones, true);
    assert.equal(plan.purgedAt, 26 * DAY_MS);
    assert.ok(isRewrittenId(plan.outputId));
    // Without a deadline, the logarithmic merge of the two level-0 runs comes first.
    assert.equal(
      policyFor({ fanout: 2, maxLevel: 8, compaction: 'logarithmic', purgeWithinMs: undefined }).plan(manifest(old, deletes, sibling), ctx(26))!.strategy,
      'logarithmic',
    );
  });

  it('names a rewrite by its input alone, so one that spans executions finds its job again after new offloads', () => {
    const old = day('a', 2, 0, 4);
    const m = manifest(old, day('c', 0, 10, 11));
    const later = manifest(old, day('c', 0, 10, 11), day('d', 0, 11, 12));
    assert.equal(rewritePlan(m, old, 'purge', 20 * DAY_MS).outputId, rewritePlan(later, old, 'purge', 21 * DAY_MS).outputId);
    assert.notEqual(rewritePlan(m, old, 'purge', 20 * DAY_MS).outputId, rewritePlan(m, { ...old, id: 'a2' }, 'purge', 20 * DAY_MS).outputId);
  });

  it("gives a rewrite a purgedAt before the oldest hot table's first seq (its tombstones are not read)", () => {
    const m = applyEdit(manifest(day('a', 1, 0, 2)), { kind: 'rotate', remove: [], add: [hotRun(5 * DAY_MS, 6 * DAY_MS)] }).manifest;
    assert.equal(
      rewritePlan(
        m,
        m.runs.find((r) => r.id === 'a')!,
        'purge',
        9 * DAY_MS,
      ).purgedAt,
      5 * DAY_MS - 1,
    );
  });
});

describe('tombstones and ids', () => {
  it('drops tombstones only when no other run holds an older seq', () => {
    const a = day('a', 0, 0, 1);
    const b = day('b', 0, 1, 2);
    assert.equal(nothingOlder(manifest(a, b), [a, b]), true);
    assert.equal(nothingOlder(manifest(a, b), [b]), false);
    assert.equal(nothingOlder(manifest(a, b), [a]), true);
    assert.equal(nothingOlder(manifest(a, b, { ...day('e', 0, 0, 0, 0), count: 0, minSeq: 0, maxSeq: 0 }), [b, a]), true, 'an empty run holds nothing');
  });

  it('names a merge of rewritten runs by its inputs, so a span and level never name two jobs', () => {
    const a = day('a', 0, 0, 1);
    const b = day('b', 0, 1, 2);
    assert.equal(compactedRunId(1, [a, b]), `c1-0-${2 * DAY_MS}`);
    const w = { ...a, id: 'w0-0-86400000-h0123456789' };
    assert.match(compactedRunId(1, [w, b]), /^c1-0-172800000-h[0-9a-f]{10}$/);
    assert.notEqual(compactedRunId(1, [w, b]), compactedRunId(1, [{ ...w, id: 'w0-0-86400000-h9876543210' }, b]));
  });
});

describe('the multi-strategy policy', () => {
  const multi = new MultiPolicy({ fanout: 2, maxLevel: 8 });

  it('plans what the logarithmic merge plans while it has work', () => {
    const m = manifest(day('a', 1, 0, 2), day('b', 0, 2, 3), day('c', 0, 3, 4));
    assert.deepEqual(multi.plan(m, ctx(5)), new LogarithmicPolicy({ fanout: 2, maxLevel: 8 }).plan(m));
  });

  it('rewrites the sparsest run below the threshold, and packs under-filled runs above it', () => {
    const retention = 10 * DAY_MS;
    // a is half expired; b and c are small runs of level 1 (a quarter of two periods' worth each).
    const m = manifest(day('a', 2, 0, 4, 400), day('b', 1, 4, 6, 50), day('c', 0, 6, 7, 100), day('d', 1, 7, 9, 50));
    const cut = ctx(12, { cutoff: 2 * DAY_MS * 1000 });
    assert.ok(retention > 0);
    const plan = multi.plan(m, cut)!;
    assert.equal(plan.strategy, 'rewrite');
    assert.deepEqual(
      plan.inputs.map((r) => r.id),
      ['a'],
    );
    // With a rewritten, b and d (under-filled level-1 runs) are packed into one.
    const after = manifest(
      day('a', 2, 2, 4, 200, { id: 'w2-x', minSeq: 2 * DAY_MS * 1000 }),
      day('b', 1, 4, 6, 50),
      day('c', 0, 6, 7, 100),
      day('d', 1, 7, 9, 50),
    );
    const pack = multi.plan(after, cut)!;
    assert.equal(pack.strategy, 'packing');
    assert.deepEqual(pack.inputs.map((r) => r.id).sort(), ['b', 'd']);
    assert.equal(pack.kind, 'merge');
  });

  it('holds each garbage strategy to its rate limit within a period', () => {
    const multi = new MultiPolicy({ fanout: 2, maxLevel: 2 });
    const m = manifest(day('a', 2, 0, 4, 400), day('b', 2, 4, 8, 400));
    const cut = ctx(12, { cutoff: 6 * DAY_MS * 1000 });
    assert.equal(multi.plan(m, cut)!.strategy, 'rewrite');
    const spent = { ...m, spent: [{ strategy: 'rewrite', at: 12 * DAY_MS - 1, bytes: 400, indexItems: 1 }] };
    // One period's data is 100 bytes: 400 spent plus another 400 passes 2 periods' worth.
    assert.equal(DEFAULT_MULTI.rewriteRate, 2);
    assert.equal(multi.plan(spent, cut), undefined);
    assert.equal(multi.plan({ ...spent, spent: [{ ...spent.spent[0]!, at: 11 * DAY_MS - 1 }] }, cut)!.strategy, 'rewrite', 'the spend has left the window');
  });
});

describe('the rewrite filter', () => {
  const key = (k: number): Buffer => Buffer.from([0x61, 0, 0x62, k]);
  const entries = fc.uniqueArray(fc.record({ k: fc.integer({ min: 0, max: 30 }), seq: fc.integer({ min: 1, max: 1000 }), del: fc.boolean() }), {
    selector: (e) => e.k,
    maxLength: 30,
  });
  const toEntries = (xs: { k: number; seq: number; del: boolean }[]): Entry[] =>
    [...xs].sort((a, b) => a.k - b.k).map((x) => ({ key: key(x.k), seq: x.seq, value: x.del ? null : Buffer.from(`v${x.k}.${x.seq}`) }));

  it("keeps exactly the target's records no newer version shadows, not expired, tombstones as told; the dropped add up", async () => {
    await fc.assert(
      fc.asyncProperty(
        entries,
        fc.array(entries, { maxLength: 3 }),
        fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
        fc.boolean(),
        async (target, newer, cutoff, dropTombstones) => {
          const t = toEntries(target);
          const runs = newer.map(toEntries);
          const newest = new Map<string, number>();
          for (const r of runs) for (const e of r) newest.set(e.key.toString('hex'), Math.max(newest.get(e.key.toString('hex')) ?? 0, e.seq));
          const expected = t.filter(
            (e) => !((newest.get(e.key.toString('hex')) ?? 0) > e.seq) && !(cutoff !== undefined && e.seq < cutoff) && !(e.value === null && dropTombstones),
          );
          const f = new ShadowFilter(t, (await mergeAll(runs)).entries, { dropTombstones, ...(cutoff !== undefined ? { retentionCutoff: cutoff } : {}) });
          const out: Entry[] = [];
          for await (const b of f.batches()) out.push(...b);
          assert.deepEqual(out, expected);
          assert.equal(f.stats.dropped.count, t.length - out.length);
          assert.ok(Setsum.ofEntries(t).equals(Setsum.ofEntries(out).add(f.stats.dropped.setsum)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the simulator with strategies', () => {
  it('keeps every deleted or expired record within the purge deadline, on every workload', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('deleteStorm', 'retentionChange', 'steady') as fc.Arbitrary<'deleteStorm' | 'retentionChange' | 'steady'>,
        fc.constantFrom('logarithmic', 'multi') as fc.Arbitrary<'logarithmic' | 'multi'>,
        fc.integer({ min: 4, max: 40 }),
        fc.integer({ min: 60, max: 240 }),
        (w, compaction, purge, periods) => {
          const r = simulate({
            periods,
            fanout: 2,
            maxLevel: 6,
            workload: WORKLOADS[w](periods),
            purgeWithin: purge,
            recordsPerPeriod: 100,
            policy: policyFor({ fanout: 2, maxLevel: 6, compaction, purgeWithinMs: purge * DAY_MS }),
          });
          assert.ok(r.maxPurgeLag <= purge, `lag ${r.maxPurgeLag} > ${purge}`);
          assert.ok(r.overhead.every((o) => o >= 1 - 1e-9));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reclaims a storm of deletes sooner with the multi policy than with the logarithmic merge alone, and writes the same on steady appends', () => {
    const periods = 400;
    const run = (compaction: 'logarithmic' | 'multi', w: 'deleteStorm' | 'steady') =>
      simulate({
        periods,
        fanout: 2,
        maxLevel: 12,
        workload: WORKLOADS[w](periods),
        recordsPerPeriod: 100,
        policy: policyFor({ fanout: 2, maxLevel: 12, compaction, purgeWithinMs: undefined }),
      });
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(run('multi', 'deleteStorm').overhead) < mean(run('logarithmic', 'deleteStorm').overhead));
    assert.equal(run('multi', 'steady').written, run('logarithmic', 'steady').written);
  });
});

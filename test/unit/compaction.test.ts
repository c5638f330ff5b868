import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { expiredRuns } from '../../lambda/core/compaction.ts';
import { LogarithmicPolicy } from '../../lambda/core/strategies/logarithmic.ts';
import { applyEdit, coldRunsOldestFirst, EMPTY_MANIFEST, type Manifest } from '../../lambda/core/manifest.ts';
import { simulate } from '../../bench/simulator.ts';
import { coldRun, hotRun } from '../support/runs.ts';
import { rangesToDo, type VerifyRecord } from '../../lambda/core/jobs.ts';
import { compactionSlice, MAP_CONCURRENCY, WORKER_RATES } from '../../lambda/core/fan-out.ts';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lambda/core/limits.ts';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';

function withRuns(...runs: Parameters<typeof coldRun>[]): Manifest {
  return applyEdit(EMPTY_MANIFEST, { kind: 'import', remove: [], add: runs.map((r) => coldRun(...r)) }).manifest;
}

describe('logarithmic policy', () => {
  it('merges fanout adjacent runs of the lowest level, oldest window first', () => {
    const p = new LogarithmicPolicy({ fanout: 2, maxLevel: 8 });
    const m = withRuns(['a', 2, 0, 4], ['b', 1, 4, 6], ['c', 0, 6, 7], ['d', 0, 7, 8]);
    const plan = p.plan(m)!;
    assert.deepEqual(
      plan.inputs.map((r) => r.id),
      ['c', 'd'],
    );
    assert.equal(plan.outputLevel, 1);
    assert.equal(plan.dropTombstones, false);
    assert.equal(plan.outputId, 'c1-6-8');
  });

  it('drops tombstones only when the oldest run is an input and no hot run is older', () => {
    const p = new LogarithmicPolicy({ fanout: 2, maxLevel: 8 });
    assert.equal(p.plan(withRuns(['a', 0, 0, 1], ['b', 0, 1, 2]))!.dropTombstones, true);
    const withOldHot = applyEdit(withRuns(['a', 0, 1, 2], ['b', 0, 2, 3]), { kind: 'rotate', remove: [], add: [hotRun(0, 1)] }).manifest;
    assert.equal(p.plan(withOldHot)!.dropTombstones, false);
  });

  it('never merges runs at maxLevel, nor non-adjacent runs', () => {
    const p = new LogarithmicPolicy({ fanout: 2, maxLevel: 1 });
    assert.equal(p.plan(withRuns(['a', 1, 0, 2], ['b', 1, 2, 4])), undefined);
    const q = new LogarithmicPolicy({ fanout: 2, maxLevel: 8 });
    assert.equal(q.plan(withRuns(['a', 0, 0, 1], ['b', 1, 1, 3], ['c', 0, 3, 4])), undefined);
  });

  it('rejects bad options', () => {
    assert.throws(() => new LogarithmicPolicy({ fanout: 1, maxLevel: 3 }), { code: 'InvalidConfig' });
    assert.throws(() => new LogarithmicPolicy({ fanout: 2, maxLevel: 0 }), { code: 'InvalidConfig' });
  });

  it('keeps runs bounded by (fanout-1) per level and loses no period, over any history', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 300 }), (fanout, maxLevel, periods) => {
        const result = simulate({
          periods,
          fanout,
          maxLevel,
          onStep: (m) => {
            const cold = coldRunsOldestFirst(m);
            // Every period offloaded so far is covered by exactly one run: none lost, none doubled.
            let expectStart = 0;
            for (const r of cold) {
              assert.equal(r.periodStart, expectStart);
              expectStart = r.periodEnd;
            }
            // Levels never increase with time: a binary counter, most significant first.
            for (let i = 1; i < cold.length; i++) assert.ok(cold[i]!.level <= cold[i - 1]!.level);
            const below = cold.filter((r) => r.level < maxLevel);
            const perLevel = new Map<number, number>();
            for (const r of below) perLevel.set(r.level, (perLevel.get(r.level) ?? 0) + 1);
            for (const n of perLevel.values()) assert.ok(n <= fanout - 1);
          },
        });
        assert.equal(
          result.finalManifest.runs.reduce((s, r) => s + r.bytes, 0),
          periods,
        );
        assert.ok(result.maxRuns <= (fanout - 1) * maxLevel + Math.ceil(periods / fanout ** maxLevel) + 1);
      }),
      { numRuns: 150 },
    );
  });

  it('with fanout 2, leaves at most log2(N)+1 runs and rewrites each byte about log2(N) times', () => {
    const r = simulate({ periods: 1024, fanout: 2, maxLevel: 20 });
    assert.ok(r.maxRuns <= 11);
    assert.equal(r.finalManifest.runs.length, 1);
    // Offload writes each byte once; each of 10 levels rewrites it once more.
    assert.equal(r.writeAmplification, 11);
  });
});

describe('retention', () => {
  it('finds cold runs entirely older than the cutoff', () => {
    const m = withRuns(['a', 1, 0, 2], ['b', 0, 2, 3]);
    assert.deepEqual(
      expiredRuns(m, 2000).map((r) => r.id),
      ['a'],
    );
    assert.deepEqual(expiredRuns(m, 1999), []);
  });
});

describe('a compaction over several executions', () => {
  const record = (at: number, problems: string[] = []): VerifyRecord => ({ count: 1, setsum: '', bytes: 1, blobs: 1, minSeq: 0, maxSeq: 0, problems, at });

  it('does the ranges not yet verified, those verified with problems, and all of them again after the run failed as a whole', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.tuple(fc.nat(39), fc.nat(100), fc.boolean()), { maxLength: 60 }),
        fc.option(fc.nat(100), { nil: undefined }),
        (n, recs, failedAt) => {
          const verified = new Map(recs.filter(([i]) => i < n).map(([i, at, bad]) => [i, record(at, bad ? ['bad'] : [])] as const));
          const failure = failedAt === undefined ? undefined : { at: failedAt, problems: ['sum'] };
          const todo = rangesToDo(n, verified, failure);
          // The model: a range is done when read back after the last failure, with nothing wrong.
          const done = (i: number): boolean => {
            const v = verified.get(i);
            return v !== undefined && v.problems.length === 0 && (failure === undefined || v.at > failure.at);
          };
          assert.deepEqual(
            todo,
            Array.from({ length: n }, (_, i) => i).filter((i) => !done(i)),
          );
        },
      ),
    );
  });

  it('cuts a compaction into slices that finish in half an execution, MAP_CONCURRENCY tasks at a time', () => {
    const slice = compactionSlice(DEFAULT_SETTINGS);
    const perRange = DEFAULT_SETTINGS.rangeBytes / WORKER_RATES.merge + DEFAULT_SETTINGS.rangeBytes / WORKER_RATES.verify;
    assert.ok(slice % MAP_CONCURRENCY === 0 && slice > 0);
    assert.ok((slice / MAP_CONCURRENCY) * perRange <= EXECUTION_TIMEOUT_SECONDS.lifecycle / 2);
    assert.ok((slice / MAP_CONCURRENCY + 1) * perRange > EXECUTION_TIMEOUT_SECONDS.lifecycle / 2);
    assert.equal(compactionSlice({ ...DEFAULT_SETTINGS, compactionSlice: 3 }), 3);
  });
});

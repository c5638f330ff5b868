import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { MergeIterator, mergeAll } from '../../lambda/core/merge.ts';
import { BatchStream, type Batched } from '../../lambda/core/source.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import { asRun, del, entryOf, opArb, put, type Op } from '../support/arbitraries.ts';

/** The model: a plain Map from key to its newest version. */
function model(runs: readonly Op[][], opts: { dropTombstones: boolean; cutoff: number }): Map<string, Entry> {
  const m = new Map<string, Entry>();
  for (const run of runs) {
    for (const op of run) {
      const e = entryOf(op);
      const k = e.key.toString('hex');
      const cur = m.get(k);
      if (!cur || e.seq > cur.seq) m.set(k, e);
    }
  }
  for (const [k, e] of m) {
    if (e.seq < opts.cutoff || (opts.dropTombstones && e.value === null)) m.delete(k);
  }
  return m;
}

// Distinct seqs per key keep the model free of ties; ties are tested on their own below.
const runsArb = fc.array(fc.array(opArb, { maxLength: 40 }), { minLength: 1, maxLength: 6 }).map((runs) => {
  let seq = 0;
  return runs.map((r) => r.map((op) => ({ ...op, seq: op.seq * 1000 + seq++ })));
});

describe('k-way merge', () => {
  it('equals a Map model over random puts, deletes and seqs across runs, in both directions', async () => {
    await fc.assert(
      fc.asyncProperty(
        runsArb,
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 1_000_000_000 }), { nil: undefined }),
        fc.boolean(),
        async (runs, dropTombstones, cutoff, desc) => {
          const sources = runs.map((r) => {
            const sorted = asRun(r.map(entryOf));
            return desc ? sorted.reverse() : sorted;
          });
          const { entries, stats } = await mergeAll(sources, {
            direction: desc ? 'desc' : 'asc',
            dropTombstones,
            ...(cutoff === undefined ? {} : { retentionCutoff: cutoff }),
            trackSetsums: true,
          });
          const expected = [...model(runs, { dropTombstones, cutoff: cutoff ?? -Infinity }).values()].sort((a, b) => Buffer.compare(a.key, b.key));
          if (desc) expected.reverse();
          assert.deepEqual(entries, expected);
          // Conservation: out + dropped = in, by count and by setsum.
          const all = sources.flat();
          assert.equal(stats.input.count, all.length);
          assert.ok(stats.input.setsum.equals(Setsum.ofEntries(all)));
          assert.equal(stats.output.count + stats.dropped.count, stats.input.count);
          assert.ok(stats.output.setsum.equals(Setsum.ofEntries(entries)));
          assert.ok(stats.output.setsum.clone().add(stats.dropped.setsum).equals(stats.input.setsum));
          assert.ok(stats.dropped.setsum.equals(stats.input.setsum.clone().subtract(Setsum.ofEntries(entries))));
          assert.equal(stats.dropped.shadowed + stats.dropped.tombstones + stats.dropped.expired, stats.dropped.count);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lets a newer tombstone shadow an older put, and a newer put revive a key', async () => {
    const older = [put('p', 'a', 1, 'old'), put('p', 'b', 1, 'old')];
    const newer = [del('p', 'a', 2), put('p', 'b', 3, 'new')];
    const kept = await mergeAll([newer, older]);
    assert.deepEqual(kept.entries, [del('p', 'a', 2), put('p', 'b', 3, 'new')]);
    const dropped = await mergeAll([newer, older], { dropTombstones: true });
    assert.deepEqual(dropped.entries, [put('p', 'b', 3, 'new')]);
    assert.deepEqual({ ...dropped.stats.dropped, setsum: undefined }, { count: 3, shadowed: 2, tombstones: 1, expired: 0, setsum: undefined });
  });

  it('breaks seq ties in favour of the earlier source', async () => {
    const { entries } = await mergeAll([[put('p', 'a', 5, 'first')], [put('p', 'a', 5, 'second')]]);
    assert.deepEqual(entries, [put('p', 'a', 5, 'first')]);
  });

  it('expires a key whose newest version is older than the cutoff, with all its versions', async () => {
    const { entries, stats } = await mergeAll([[put('p', 'a', 10, 2), put('p', 'b', 50, 1)], [put('p', 'a', 5, 1)]], { retentionCutoff: 20 });
    assert.deepEqual(entries, [put('p', 'b', 50, 1)]);
    assert.equal(stats.dropped.expired, 1);
    assert.equal(stats.dropped.shadowed, 1);
  });

  it('accepts async sources and rejects a source out of order', async () => {
    async function* gen(es: Entry[]) {
      yield* es;
    }
    const ok = await mergeAll([gen([put('p', 'a', 1, 1), put('p', 'c', 1, 1)]), [put('p', 'b', 1, 1)]]);
    assert.equal(ok.entries.length, 3);
    await assert.rejects(mergeAll([[put('p', 'b', 1, 1), put('p', 'a', 1, 1)]]), { code: 'Corruption', name: 'CorruptionError' });
    await assert.rejects(mergeAll([[put('p', 'a', 2, 1), put('p', 'a', 1, 1)]]), { code: 'Corruption', name: 'CorruptionError' });
  });

  it('gives the same output and tallies from batched sources cut anywhere, as records or in batches', async () => {
    // Sources cut into batches at random points (a block at a time, as blobs and cold runs
    // hand them over): the merge steps through a batch and awaits only between them.
    const cutArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 });
    await fc.assert(
      fc.asyncProperty(runsArb, cutArb, fc.boolean(), async (runs, cuts, asBatches) => {
        const sorted = runs.map((r) => asRun(r.map(entryOf)));
        const batched = sorted.map(
          (run, i) =>
            new BatchStream(async function* () {
              for (let o = 0, k = i; o < run.length; k++) {
                const n = cuts[k % cuts.length]!;
                yield run.slice(o, o + n);
                o += n;
              }
            }),
        );
        const expected = await mergeAll(sorted, { trackSetsums: true });
        const m = new MergeIterator(batched, { trackSetsums: true });
        const entries: Entry[] = [];
        if (asBatches) {
          for await (const b of m.batches()) {
            assert.ok(b.length > 0);
            entries.push(...b);
          }
        } else {
          for await (const e of m) entries.push(e);
        }
        assert.deepEqual(entries, expected.entries);
        assert.equal(m.stats.input.count, expected.stats.input.count);
        assert.ok(m.stats.dropped.setsum.equals(expected.stats.dropped.setsum));
        assert.ok(m.stats.output.setsum.equals(expected.stats.output.setsum));
      }),
      { numRuns: 200 },
    );
  });

  it('reads a source that gives a bound only when its turn comes, and merges it as any other', async () => {
    /** A source standing at a bound (its first key or one before it) that tells whether it was read. */
    class Lazy implements Batched {
      opened = false;
      private readonly run: Entry[];
      private readonly lower: Buffer | undefined;
      constructor(run: Entry[], lower: Buffer | undefined) {
        this.run = run;
        this.lower = lower;
      }
      async bound() {
        return this.lower;
      }
      async *batches() {
        this.opened = true;
        if (this.run.length > 0) yield this.run;
      }
    }
    await fc.assert(
      fc.asyncProperty(runsArb, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.boolean(), async (runs, lowered, desc) => {
        const sorted = runs.map((r) => {
          const run = asRun(r.map(entryOf));
          return desc ? run.reverse() : run;
        });
        // The bound: the first key, or one before it (a looser bound, as an index entry's first key is).
        const sources = sorted.map(
          (run, i) =>
            new Lazy(
              run,
              run.length === 0
                ? undefined
                : lowered[i]
                  ? desc
                    ? Buffer.concat([run[0]!.key, Buffer.of(0)])
                    : run[0]!.key.subarray(0, run[0]!.key.length - 1)
                  : run[0]!.key,
            ),
        );
        const opts = { direction: desc ? 'desc' : 'asc', trackSetsums: true } as const;
        const expected = await mergeAll(sorted, opts);
        const got = await mergeAll(sources, opts);
        assert.deepEqual(got.entries, expected.entries);
        assert.ok(got.stats.dropped.setsum.equals(expected.stats.dropped.setsum));
      }),
      { numRuns: 200 },
    );
    // A reader that takes one record opens the sources it needs, not the one further on.
    const first = new Lazy([put('p', 'a', 1, 1), put('p', 'b', 1, 1)], put('p', 'a', 1, 1).key);
    const later = new Lazy([put('p', 'x', 1, 1)], put('p', 'x', 1, 1).key);
    const none = new Lazy([], undefined);
    for await (const e of new MergeIterator([later, first, none])) {
      assert.deepEqual(e, put('p', 'a', 1, 1));
      break;
    }
    assert.deepEqual([first.opened, later.opened, none.opened], [true, false, false]);
    // A source whose records come before the bound it gave is corrupt.
    await assert.rejects(mergeAll([new Lazy([put('p', 'a', 1, 1)], put('p', 'b', 1, 1).key)]), { code: 'Corruption' });
  });

  it('rejects a batched source out of order, within a batch or across two', async () => {
    const stream = (...batches: Entry[][]) =>
      new BatchStream(async function* () {
        yield* batches;
      });
    await assert.rejects(mergeAll([stream([put('p', 'b', 1, 1), put('p', 'a', 1, 1)])]), { code: 'Corruption' });
    await assert.rejects(mergeAll([stream([put('p', 'b', 1, 1)], [put('p', 'a', 1, 1)])]), { code: 'Corruption' });
    await assert.rejects(mergeAll([stream([put('p', 'a', 1, 1)], [put('p', 'a', 2, 1)])]), { code: 'Corruption' });
    const ok = await mergeAll([stream([put('p', 'a', 1, 1)], [], [put('p', 'b', 1, 1)])]);
    assert.equal(ok.entries.length, 2);
  });

  it('can be consumed only once', async () => {
    const m = new MergeIterator([[put('p', 'a', 1, 1)]]);
    for await (const _ of m) void _;
    await assert.rejects(async () => {
      for await (const _ of m) void _;
    });
  });
});

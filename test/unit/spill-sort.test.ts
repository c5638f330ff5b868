import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { MemorySpillStore, SpillSorter } from '../../lambda/core/spill-sort.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import { entrySize } from '../../lambda/core/record.ts';
import { asRun, collect, entryOf, opArb, put, rng } from '../support/arbitraries.ts';
import { mergeSpills } from '../../lambda/run-writer.ts';
import { OBJECTS } from '../../lambda/core/schema.ts';

describe('spill sort', () => {
  it('sorts any stream and keeps the newest version of each key, spilling or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 400 }), fc.integer({ min: 64, max: 8192 }), async (ops, memoryBytes) => {
        const entries = ops.map((op, i) => entryOf({ ...op, seq: op.seq * 1000 + i }));
        const store = new MemorySpillStore();
        const s = new SpillSorter(store, { prefix: 'spills/t', memoryBytes, trackSetsums: true });
        for (const e of entries) await s.add(e);
        const out = await s.finish();
        const sorted = await collect(out);
        assert.deepEqual(sorted, asRun(entries));
        const st = out.stats;
        assert.equal(st.input.count, entries.length);
        assert.ok(st.input.setsum.equals(Setsum.ofEntries(entries)));
        assert.ok(st.output.setsum.equals(Setsum.ofEntries(sorted)));
        assert.ok(st.output.setsum.clone().add(st.dropped.setsum).equals(st.input.setsum));
        assert.equal(st.output.count + st.dropped.count, st.input.count);
      }),
      { numRuns: 80 },
    );
  });

  it('holds at most its memory budget: large inputs go to many spills', async () => {
    const store = new MemorySpillStore();
    const s = new SpillSorter(store, { prefix: 'spills/big', memoryBytes: 64 * 1024 });
    const r = rng(5);
    const n = 20_000;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const e = put(`t${Math.floor(r() * 50)}`, `k${Math.floor(r() * 1e9)}`, i + 1, { i });
      total += entrySize(e);
      await s.add(e);
    }
    const out = await collect(await s.finish());
    // Each spill holds one budget's worth: no more than the budget is ever buffered.
    assert.equal(s.spills.length, Math.ceil(total / (64 * 1024)));
    assert.equal(out.length, n);
    assert.ok([...store.objects.keys()].every((k) => k.startsWith('spills/big/')));
    for (let i = 1; i < out.length; i++) assert.ok(Buffer.compare(out[i - 1]!.key, out[i]!.key) < 0);
  });
});

describe("merging a range's spills", () => {
  it('in two passes when there are more than it merges at once: the same records, and the same tally of what was dropped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { maxLength: 12 }), { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 2, max: 5 }),
        async (tasks, maxSources) => {
          // Each task's records, sorted and deduplicated, as one spill of range 0.
          const store = new MemorySpillStore();
          const spills: { spills: number[] }[] = [];
          for (const [t, ops] of tasks.entries()) {
            const sorter = new SpillSorter(store, { prefix: OBJECTS.spill('job', 0, t), memoryBytes: 1 << 30 });
            for (const op of ops) await sorter.add(entryOf(op));
            spills.push({ spills: [(await sorter.flush()).length] });
          }
          const merged = async (max: number) => {
            const { merge, earlier } = await mergeSpills({ spills: store } as never, 'job', 0, spills, { trackSetsums: 'dropped' }, max);
            const out = await collect(merge);
            const dropped = earlier.setsum.clone().add(merge.stats.dropped.setsum);
            return { out, count: earlier.count + merge.stats.dropped.count, dropped: dropped.hexdigest() };
          };
          const once = await merged(1000);
          const twice = await merged(maxSources);
          assert.deepEqual(twice.out, once.out);
          assert.equal(twice.count, once.count);
          assert.equal(twice.dropped, once.dropped);
          // The model: the newest version of each key, in key order (equal seqs of one key: either).
          assert.deepEqual(
            once.out.map((e) => [e.key.toString('hex'), e.seq]),
            asRun(tasks.flat().map(entryOf)).map((e) => [e.key.toString('hex'), e.seq]),
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

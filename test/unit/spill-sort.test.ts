import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { MemorySpillStore, SpillSorter } from '../../lambda/core/spill-sort.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import { entrySize } from '../../lambda/core/record.ts';
import { asRun, collect, entryOf, opArb, put, rng } from '../support/arbitraries.ts';

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

import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { memoryBlob } from '../../lambda/core/blob-reader.ts';
import { writeBlobs } from '../../lambda/core/blob-writer.ts';
import { coldGet, coldScan, type ColdRunIO } from '../../lambda/core/cold-run.ts';
import { compareKeys } from '../../lambda/core/keys.ts';
import { inRange, type KeyRange } from '../../lambda/core/partition-query.ts';
import type { Entry } from '../../lambda/core/record.ts';
import type { IndexEntry } from '../../lambda/core/sparse-index.ts';
import { asRun, collect, entryOf, opArb } from '../support/arbitraries.ts';

/** A run held in memory: tiny blocks and index entries, so that a range crosses many of each. */
function memoryRun(entries: readonly Entry[]): ColdRunIO {
  const blobs = writeBlobs((i) => `b${i}`, entries, { blockBytes: 40, blobBytes: 200, indexEntryMaxBlocks: 2 });
  const index: IndexEntry[] = blobs.flatMap((b) => [...b.index]);
  const bytes = new Map(blobs.map((b) => [b.name, b.bytes]));
  return {
    floorEntry: async (_run, key) => [...index].reverse().find((e) => compareKeys(e.firstKey, key) <= 0),
    entries: async function* (_run, range, direction) {
      const within = index.filter((e) => compareKeys(e.lastKey, range.lo) >= 0 && compareKeys(e.firstKey, range.hi) < 0);
      yield* direction === 'asc' ? within : within.reverse();
    },
    blob: (_run, name) => memoryBlob(name, bytes.get(name)!),
  };
}

const rangeArb = fc.tuple(opArb, opArb).map(([a, b]): KeyRange => {
  const [lo, hi] = [entryOf(a).key, entryOf(b).key].sort(compareKeys);
  return { lo: lo!, hi: hi! };
});

describe('cold run reads', () => {
  it('scan a range in either direction as the run filtered to it, as records or a block at a time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80 }), rangeArb, fc.boolean(), fc.boolean(), async (ops, range, desc, asBatches) => {
        const run = asRun(ops.map(entryOf));
        const io = memoryRun(run);
        const expected = run.filter((e) => inRange(e.key, range));
        if (desc) expected.reverse();
        const scan = coldScan(io, 'r', range, desc ? 'desc' : 'asc');
        const got = asBatches ? (await collect(scan.batches())).flat() : await collect(scan);
        assert.deepEqual(got, expected);
      }),
      { numRuns: 300 },
    );
  });

  it('find each key of the run and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), opArb, async (ops, probe) => {
        const run = asRun(ops.map(entryOf));
        const io = memoryRun(run);
        for (const e of run) assert.deepEqual(await coldGet(io, 'r', e.key), e);
        const key = entryOf(probe).key;
        assert.deepEqual(await coldGet(io, 'r', key), run.find((e) => e.key.equals(key)));
      }),
      { numRuns: 100 },
    );
  });
});

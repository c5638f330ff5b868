import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { memoryBlob } from '../../lambda/core/blob-reader.ts';
import { writeBlobs } from '../../lambda/core/blob-writer.ts';
import { coldGet, coldScan, type ColdRunIO } from '../../lambda/core/cold-run.ts';
import { compareKeys, partitionPrefix } from '../../lambda/core/keys.ts';
import { inRange, keyRangeOf, type KeyRange } from '../../lambda/core/partition-query.ts';
import type { Direction } from '../../lambda/core/blob-reader.ts';
import type { Entry } from '../../lambda/core/record.ts';
import type { IndexEntry } from '../../lambda/core/sparse-index.ts';
import { asRun, collect, entryOf, opArb, pkArb } from '../support/arbitraries.ts';

/** A run held in memory: tiny blocks and index entries, so that a range crosses many of each; `reads` counts ranged reads (S3 GETs). */
function memoryRun(entries: readonly Entry[]): ColdRunIO & { reads: number } {
  const blobs = writeBlobs((i) => `b${i}`, entries, { blockBytes: 40, blobBytes: 200, indexEntryMaxBlocks: 2 });
  const index: IndexEntry[] = blobs.flatMap((b) => [...b.index]);
  const bytes = new Map(blobs.map((b) => [b.name, b.bytes]));
  const io: ColdRunIO & { reads: number } = {
    reads: 0,
    floorEntry: async (_run: string, key: Buffer) => [...index].reverse().find((e) => compareKeys(e.firstKey, key) <= 0),
    entries: async function* (_run: string, range: KeyRange, direction: Direction) {
      const within = index.filter((e) => compareKeys(e.lastKey, range.lo) >= 0 && compareKeys(e.firstKey, range.hi) < 0);
      yield* direction === 'asc' ? within : within.reverse();
    },
    blob: (_run: string, name: string) => {
      const b = memoryBlob(name, bytes.get(name)!);
      return {
        name,
        read: (offset: number, length: number) => {
          io.reads++;
          return b.read(offset, length);
        },
      };
    },
  };
  return io;
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

  it('skip, without a read, what holds no record of the partition asked for', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80 }), pkArb, fc.boolean(), async (ops, pk, desc) => {
        const run = asRun(ops.map(entryOf));
        const io = memoryRun(run);
        const range = keyRangeOf({ pk, direction: desc ? 'desc' : 'asc', limit: 10 });
        const expected = run.filter((e) => inRange(e.key, range));
        if (desc) expected.reverse();
        const got = await collect(coldScan(io, 'r', range, desc ? 'desc' : 'asc', { partition: partitionPrefix(pk) }));
        assert.deepEqual(got, expected);
        if (expected.length === 0) assert.equal(io.reads, 0);
      }),
      { numRuns: 300 },
    );
    // Partitions interleaved with the one asked for, in every index entry's key range: the
    // filters, not the key bounds, rule them out.
    const run = asRun(['a', 'c'].flatMap((pk) => Array.from({ length: 50 }, (_, i) => entryOf({ pk, sk: `s${i}`, seq: 1, value: i }))));
    const io = memoryRun(run);
    const scan = coldScan(io, 'r', keyRangeOf({ pk: 'b', direction: 'asc', limit: 10 }), 'asc', { partition: partitionPrefix('b') });
    assert.equal(await scan.bound(), undefined);
    assert.deepEqual(await collect(scan), []);
    assert.equal(io.reads, 0);
  });

  it('give a bound before reading, which no record of the scan precedes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80 }), rangeArb, fc.boolean(), async (ops, range, desc) => {
        const io = memoryRun(asRun(ops.map(entryOf)));
        const scan = coldScan(io, 'r', range, desc ? 'desc' : 'asc');
        const bound = await scan.bound();
        assert.equal(io.reads, 0);
        const got = await collect(scan);
        if (bound === undefined) assert.deepEqual(got, []);
        for (const e of got) assert.ok(desc ? compareKeys(e.key, bound!) <= 0 : compareKeys(e.key, bound!) >= 0);
      }),
      { numRuns: 200 },
    );
  });

  it('find each key of the run and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), opArb, async (ops, probe) => {
        const run = asRun(ops.map(entryOf));
        const io = memoryRun(run);
        for (const e of run) assert.deepEqual(await coldGet(io, 'r', e.key), e);
        const key = entryOf(probe).key;
        assert.deepEqual(
          await coldGet(io, 'r', key),
          run.find((e) => e.key.equals(key)),
        );
      }),
      { numRuns: 100 },
    );
  });
});

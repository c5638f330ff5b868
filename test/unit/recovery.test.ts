/**
 * What recovery from the bucket stands on: index entries made again from a blob's bytes are
 * the entries its writer made (any records, any block and entry sizes), manifest snapshots
 * read back as written and are refused when torn, their names list newest first, and hot
 * table names parse back to their periods.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { readFooter, scanBlocks } from '../../lambda/core/blob-reader.ts';
import { writeBlobs } from '../../lambda/core/blob-writer.ts';
import { CorruptionError } from '../../lambda/core/errors.ts';
import { IndexEntryBuilder } from '../../lambda/core/index-entry-builder.ts';
import { decodeSnapshot, encodeSnapshot } from '../../lambda/core/manifest-snapshot.ts';
import { hotTableName, OBJECTS, periodOfHotTable, snapshotVersion } from '../../lambda/core/schema.ts';
import { serializeIndexEntry } from '../../lambda/core/sparse-index.ts';
import { batchesOf } from '../../lambda/core/source.ts';
import { memoryBlob } from '../../lambda/core/blob-reader.ts';
import { hotRunMeta } from '../../lambda/rotate/rotate.ts';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';
import { asRun, entryOf, opArb } from '../support/arbitraries.ts';

describe('index entries rebuilt from a blob', () => {
  it('are byte for byte the entries the blob writer made', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 300 }),
        fc.record({
          blockBytes: fc.integer({ min: 40, max: 600 }),
          indexEntryMaxBlocks: fc.integer({ min: 1, max: 5 }),
          indexEntryMaxRecords: fc.integer({ min: 1, max: 40 }),
        }),
        async (ops, o) => {
          const opts = { ...o, blobBytes: 1500, bloomBitsPerKey: 10 };
          for (const blob of writeBlobs((i) => `b${i}`, asRun(ops.map(entryOf)), opts)) {
            const src = memoryBlob(blob.name, blob.bytes);
            const footer = await readFooter(src);
            const builder = new IndexEntryBuilder(opts);
            let block = 0;
            for await (const batch of batchesOf(scanBlocks(src, footer.blocks))) {
              for (const e of batch) builder.addKey(e.key);
              builder.addBlock(footer.blocks[block++]!, blob.name);
            }
            assert.deepEqual(builder.finishBlob(blob.name).map(serializeIndexEntry), blob.index.map(serializeIndexEntry));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('manifest snapshots', () => {
  const s = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
  const m = { version: 42, runs: [hotRunMeta(s, 0)], garbage: [{ id: 'g', kind: 'run' as const, target: 'x', releasedAt: 5 }] };

  it('read back as written', () => {
    const back = decodeSnapshot('n', encodeSnapshot(m, '2026-12-05T00:00:00.000Z'));
    assert.deepEqual(back, { ...m, committedAt: '2026-12-05T00:00:00.000Z' });
  });

  it('are refused when torn, foreign or of another format', () => {
    const good = encodeSnapshot(m, 'now');
    for (const bad of [
      good.subarray(0, good.length - 3),
      Buffer.from('{"format":2,"version":1,"runs":[],"garbage":[],"spent":[],"committedAt":"x"}'),
      Buffer.from('{"format":1,"version":0,"runs":[],"garbage":[],"spent":[],"committedAt":"x"}'),
      Buffer.from('{"format":1,"version":3,"runs":[{"id":1}],"garbage":[],"spent":[],"committedAt":"x"}'),
      Buffer.from('[]'),
    ]) {
      assert.throws(() => decodeSnapshot('manifest/x.json', bad), CorruptionError, bad.toString());
    }
  });

  it('are named so that a listing starts at the newest, and the name gives the version back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e14 }), fc.integer({ min: 1, max: 1e14 }), (a, b) => {
        fc.pre(a !== b);
        const [na, nb] = [OBJECTS.manifestSnapshot(a), OBJECTS.manifestSnapshot(b)];
        assert.equal(na < nb, a > b);
        assert.equal(snapshotVersion(na), a);
      }),
    );
    assert.equal(snapshotVersion('manifest/12.json'), undefined);
  });
});

describe('hot table names', () => {
  it('give back their period, and nothing for another name', () => {
    for (const periodMs of [1000, 60_000, 3_600_000, 86_400_000, 1500]) {
      const start = Math.floor(Date.UTC(2026, 11, 5, 13, 7, 9) / periodMs) * periodMs;
      assert.deepEqual(periodOfHotTable('alki', hotTableName('alki', start, periodMs)), { start, periodMs });
      assert.equal(periodOfHotTable('other', hotTableName('alki', start, periodMs)), undefined);
    }
    assert.equal(periodOfHotTable('alki', 'alki-hot-20261305T000000Z-1d'), undefined);
    assert.equal(periodOfHotTable('alki', 'alki-index'), undefined);
  });
});

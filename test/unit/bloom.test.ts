import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { BloomFilter, theoreticalFpr } from '../../lambda/core/bloom.ts';
import { writeBlobs } from '../../lambda/core/blob-writer.ts';
import { compareKeys, encodeKey, partitionPrefix, prefixEnd } from '../../lambda/core/keys.ts';
import { asRun, put } from '../support/arbitraries.ts';

describe('bloom filter', () => {
  it('has no false negatives', () => {
    const f = BloomFilter.create(5000, 10);
    const keys = Array.from({ length: 5000 }, (_, i) => encodeKey('team', `2026-01-01T00:00:${i}#e`));
    keys.forEach((k) => f.add(k));
    assert.ok(keys.every((k) => f.mayContain(k)));
  });

  it('measures a false-positive rate within 1.5x of theory at 10 bits per key (100,000 absent keys)', () => {
    const n = 20_000;
    const f = BloomFilter.create(n, 10);
    for (let i = 0; i < n; i++) f.add(encodeKey(`t${i % 7}`, `present-${i}`));
    let fp = 0;
    const absent = 100_000;
    for (let i = 0; i < absent; i++) if (f.mayContain(encodeKey(`t${i % 7}`, `absent-${i}`))) fp++;
    const rate = fp / absent;
    const theory = theoreticalFpr(n, f.bitCount, f.k);
    assert.ok(rate > 0, 'some false positives are expected at this size');
    assert.ok(rate <= theory * 1.5, `measured ${rate}, theory ${theory}`);
  });

  it('serializes and deserializes to the same answers', () => {
    const f = BloomFilter.create(100, 10);
    for (let i = 0; i < 100; i++) f.add(Buffer.from(`k${i}`));
    const g = BloomFilter.deserialize(f.serialize());
    for (let i = 0; i < 1000; i++) assert.equal(g.mayContain(Buffer.from(`k${i}`)), f.mayContain(Buffer.from(`k${i}`)));
    assert.equal(f.serialize().length, 6 + f.bitCount / 8);
  });

  it('answers for partitions when its index entry added their prefixes, and cannot tell when it did not', () => {
    const blobs = writeBlobs((i) => `b${i}`, asRun(Array.from({ length: 600 }, (_, i) => put(`team-${i % 30}`, `sk-${i}`, 1, i))), {
      blockBytes: 1024,
      indexEntryMaxRecords: 100,
    });
    const entries = blobs.flatMap((b) => b.index);
    assert.ok(entries.length >= 6);
    for (const e of entries) {
      // Keys are sorted, so an entry covers a stretch of partitions.
      for (let t = 0; t < 30; t++) {
        const prefix = partitionPrefix(`team-${t}`);
        const holds = compareKeys(e.lastKey, prefix) >= 0 && compareKeys(e.firstKey, prefixEnd(prefix)!) < 0;
        if (holds) assert.ok(e.bloom.mayContainPrefix(prefix), `entry ${e.firstKey.toString()} holds team-${t}`);
      }
      const again = BloomFilter.deserialize(e.bloom.serialize());
      assert.equal(again.prefixes, true);
      let fp = 0;
      for (let t = 100; t < 1100; t++) if (again.mayContainPrefix(partitionPrefix(`team-${t}`))) fp++;
      assert.ok(fp < 20, `${fp} of 1000 absent partitions pass`);
    }
    // A filter of keys only (version 1, as runs written before prefixes have) always may hold.
    const old = BloomFilter.deserialize(BloomFilter.create(10, 10).serialize());
    assert.equal(old.prefixes, false);
    assert.equal(old.mayContainPrefix(partitionPrefix('anything')), true);
  });

  it('rejects damaged serializations', () => {
    const bytes = BloomFilter.create(10, 10).serialize();
    assert.throws(() => BloomFilter.deserialize(bytes.subarray(0, bytes.length - 1)), { code: 'Corruption', name: 'CorruptionError' });
    assert.throws(() => BloomFilter.deserialize(Buffer.concat([Buffer.of(9), bytes.subarray(1)])), { code: 'Corruption', name: 'CorruptionError' });
    assert.throws(() => BloomFilter.deserialize(bytes.subarray(0, 3)), { code: 'Corruption', name: 'CorruptionError' });
  });
});

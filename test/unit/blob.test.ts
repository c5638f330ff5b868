import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { readFooter, readBlock, scanBlob, memoryBlob } from '../../lambda/core/blob-reader.ts';
import { BlobWriter, writeBlobs, type BlobWriterOptions, type FinishedBlob } from '../../lambda/core/blob-writer.ts';
import { CorruptionError } from '../../lambda/core/errors.ts';
import { encodeKey, partitionPrefix } from '../../lambda/core/keys.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import {
  deserializeIndexEntry,
  entryMayContain,
  findBlock,
  MAX_PARTITION_FENCES,
  partitionFence,
  serializeIndexEntry,
  type IndexEntry,
} from '../../lambda/core/sparse-index.ts';
import { BloomFilter } from '../../lambda/core/bloom.ts';
import { ByteWriter } from '../../lambda/core/bytes.ts';
import { FORMAT_DEFAULTS } from '../../lambda/core/limits.ts';
import { asRun, collect, entryOf, opArb, put, rng } from '../support/arbitraries.ts';

const small = { blockBytes: 512, blobBytes: 4096, indexEntryMaxBlocks: 3, indexEntryMaxRecords: 40 };

function writeAll(entries: readonly Entry[], opts: Partial<BlobWriterOptions> = small): FinishedBlob[] {
  return writeBlobs((i) => `b${i}`, entries, opts);
}

/** The fence list as serializeIndexEntry appends it (what a version 1 entry lacks). */
function serializeFences(e: IndexEntry): Buffer {
  const w = new ByteWriter().varint(e.partitions?.length ?? 0);
  for (const f of e.partitions ?? []) w.bytes(f.first).bytes(f.last);
  return w.finish();
}

function sample(n: number, seed = 1): Entry[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) =>
    put('team-' + (i % 3), `2026-11-22T10:${String(i).padStart(6, '0')}#${Math.floor(r() * 1e6)}`, 1000 + i, { i, msg: 'login ok', r: r() }),
  ).sort((a, b) => Buffer.compare(a.key, b.key));
}

describe('blob writer and reader', () => {
  it('round-trips any sorted run, cutting blocks and blobs, with matching footers and index entries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 300 }), async (ops) => {
        const run = asRun(ops.map(entryOf));
        const blobs = writeAll(run);
        const back: Entry[] = [];
        for (const b of blobs) {
          const src = memoryBlob(b.name, b.bytes);
          const footer = await readFooter(src);
          assert.equal(footer.count, b.count);
          assert.ok(footer.setsum.equals(b.setsum));
          assert.equal(
            b.index.reduce((s, e) => s + e.count, 0),
            b.count,
          );
          back.push(...(await collect(scanBlob(src))));
          const desc = await collect(scanBlob(src, { direction: 'desc', chunkBytes: 700 }));
          assert.deepEqual(desc.reverse(), await collect(scanBlob(src)));
        }
        assert.deepEqual(back, run);
        assert.ok(Setsum.ofEntries(run).equals(blobs.reduce((s, b) => s.add(b.setsum), new Setsum())));
      }),
      { numRuns: 60 },
    );
  });

  it('cuts blobs near the target size and blocks near the block size', async () => {
    const run = sample(3000);
    const blobs = writeAll(run, { ...small, blockBytes: 4096, blobBytes: 16 * 1024 });
    assert.ok(blobs.length > 3);
    for (const b of blobs.slice(0, -1)) assert.ok(b.bytes.length >= 16 * 1024 && b.bytes.length < 16 * 1024 + 8192, `${b.bytes.length}`);
    const footer = await readFooter(memoryBlob('x', blobs[0]!.bytes));
    assert.ok(footer.blocks.length > 1);
  });

  it('finds any present key with one block read from its index entry alone', async () => {
    const run = sample(2000);
    const blobs = writeAll(run, { ...small, blockBytes: 1024, blobBytes: 64 * 1024 });
    for (const e of run.filter((_, i) => i % 37 === 0)) {
      const b = blobs.find((x) => Buffer.compare(x.firstKey, e.key) <= 0 && Buffer.compare(e.key, x.lastKey) <= 0)!;
      const ie = deserializeIndexEntry(serializeIndexEntry(b.index.filter((x) => Buffer.compare(x.firstKey, e.key) <= 0).at(-1)!));
      assert.ok(entryMayContain(ie, e.key));
      const bi = findBlock(ie.blocks, e.key);
      let reads = 0;
      const src = memoryBlob(b.name, b.bytes);
      const counted = { name: src.name, read: (o: number, l: number) => (reads++, src.read(o, l)) };
      const entries = await readBlock(counted, bi, ie.blocks[bi]!);
      assert.equal(reads, 1);
      assert.deepEqual(
        entries.find((x) => x.key.equals(e.key)),
        e,
      );
    }
  });

  it('keeps index entries under 8 KB with the default format, small records or large', () => {
    for (const valueBytes of [10, 300, 2000]) {
      const run = sample(20000).map((e) => ({ ...e, value: Buffer.alloc(valueBytes, 'x') }));
      const blobs = writeAll(run, FORMAT_DEFAULTS);
      for (const b of blobs)
        for (const e of b.index) assert.ok(serializeIndexEntry(e).length < 8000, `${serializeIndexEntry(e).length} bytes with ${valueBytes}-byte values`);
    }
  });

  it('keeps the first and last key of each partition an index entry holds, up to a limit, and reads entries written before that', () => {
    const pks = (n: number) => asRun(Array.from({ length: 400 }, (_, i) => put(`p${String(i % n).padStart(3, '0')}`, `s${String(i).padStart(4, '0')}`, 1, i)));
    for (const n of [1, 5, MAX_PARTITION_FENCES, MAX_PARTITION_FENCES + 1]) {
      const run = pks(n);
      const [blob] = writeAll(run, { ...small, blobBytes: 1 << 20, indexEntryMaxBlocks: 1000, indexEntryMaxRecords: 10_000 });
      assert.equal(blob!.index.length, 1);
      const ie = deserializeIndexEntry(serializeIndexEntry(blob!.index[0]!));
      if (n > MAX_PARTITION_FENCES) {
        assert.equal(ie.partitions, undefined);
        assert.equal(partitionFence(ie, partitionPrefix('p000')), undefined);
        continue;
      }
      assert.equal(ie.partitions!.length, n);
      for (let p = 0; p < n; p++) {
        const prefix = partitionPrefix(`p${String(p).padStart(3, '0')}`);
        const mine = run.filter((e) => e.key.subarray(0, prefix.length).equals(prefix));
        assert.deepEqual(partitionFence(ie, prefix), { first: mine[0]!.key, last: mine.at(-1)!.key });
      }
      assert.equal(partitionFence(ie, partitionPrefix('absent')), null);
      assert.equal(partitionFence(ie, partitionPrefix('p00')), null);
    }
    // Version 1 (before fences): the same fields, no partition list.
    const e = { ...writeAll(pks(3))[0]!.index[0]!, bloom: BloomFilter.deserialize(BloomFilter.create(10, 10).serialize()) };
    const v2 = serializeIndexEntry(e);
    const v1 = Buffer.concat([Buffer.of(1), v2.subarray(1, v2.length - serializeFences(e).length)]);
    const old = deserializeIndexEntry(v1);
    assert.equal(old.partitions, undefined);
    assert.deepEqual(old.blocks, e.blocks);
    assert.equal(partitionFence(old, partitionPrefix('p000')), undefined);
  });

  it('rejects keys out of order', () => {
    const w = new BlobWriter(() => 'b');
    w.add(put('p', 'b', 1, 1));
    assert.throws(() => w.add(put('p', 'a', 1, 1)), { code: 'OutOfOrder' });
    assert.throws(() => w.add(put('p', 'b', 2, 1)), { code: 'OutOfOrder' });
  });
});

describe('blob corruption', () => {
  const run = sample(600, 7);
  const blob = writeAll(run, { ...small, blockBytes: 2048, blobBytes: 1 << 20 })[0]!;

  async function readEverything(bytes: Buffer): Promise<Entry[]> {
    return collect(scanBlob(memoryBlob('runs/r1/000000.blob', bytes)));
  }

  it('reads the intact blob', async () => {
    assert.deepEqual(await readEverything(blob.bytes), run);
  });

  it('detects every single flipped byte, naming blob and block, never yielding wrong records', async () => {
    const r = rng(3);
    for (let t = 0; t < 300; t++) {
      const pos = Math.floor(r() * blob.bytes.length);
      const bad = Buffer.from(blob.bytes);
      bad[pos]! ^= 1 << Math.floor(r() * 8);
      await assert.rejects(readEverything(bad), (err: unknown) => {
        assert.ok(err instanceof CorruptionError, `flip at ${pos}: ${String(err)}`);
        assert.equal(err.blob, 'runs/r1/000000.blob');
        assert.match(err.message, /^runs\/r1\/000000\.blob (block \d+|\(footer\)): /);
        return true;
      });
    }
  });

  it('detects truncation and a wrong footer', async () => {
    for (const cut of [1, 10, 17, 100, blob.bytes.length - 1]) {
      await assert.rejects(readEverything(blob.bytes.subarray(0, blob.bytes.length - cut)), CorruptionError);
    }
    const other = writeAll(sample(600, 8), { ...small, blockBytes: 2048, blobBytes: 1 << 20 })[0]!;
    const footerOfOther = other.bytes.subarray(other.bytes.length - 200);
    await assert.rejects(readEverything(Buffer.concat([blob.bytes.subarray(0, blob.bytes.length - 200), footerOfOther])), CorruptionError);
  });

  it('names the block when a block read alone fails its checksum', async () => {
    const footer = await readFooter(memoryBlob('x', blob.bytes));
    const h = footer.blocks[2]!;
    const bad = Buffer.from(blob.bytes);
    bad[h.offset + 5]! ^= 0xff;
    await assert.rejects(readBlock(memoryBlob('x', bad), 2, h), { name: 'CorruptionError', message: /^x block 2: checksum mismatch/ });
  });

  it('rejects index entries that are damaged', () => {
    const bytes = serializeIndexEntry(blob.index[0]!);
    assert.throws(() => deserializeIndexEntry(bytes.subarray(0, bytes.length - 3)));
    assert.throws(() => deserializeIndexEntry(Buffer.concat([bytes, Buffer.of(0)])));
  });
});

describe('sparse index lookups', () => {
  it('findBlock returns the last block whose first key is <= the key', () => {
    const h = (k: string) => ({ firstKey: encodeKey('p', k), offset: 0, length: 1, count: 1, crc: 0 });
    const blocks = [h('b'), h('d'), h('f')];
    assert.equal(findBlock(blocks, encodeKey('p', 'a')), -1);
    assert.equal(findBlock(blocks, encodeKey('p', 'b')), 0);
    assert.equal(findBlock(blocks, encodeKey('p', 'c')), 0);
    assert.equal(findBlock(blocks, encodeKey('p', 'e')), 1);
    assert.equal(findBlock(blocks, encodeKey('p', 'z')), 2);
  });
});

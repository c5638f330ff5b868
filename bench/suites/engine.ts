/**
 * Engine benchmarks: blob encode/decode against raw zstd on the same bytes, merge and
 * setsum throughput, and the bloom filter's measured false-positive rate.
 */
import { hash } from 'node:crypto';
import { constants as zc, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { BloomFilter, theoreticalFpr } from '../../lambda/core/bloom.ts';
import { memoryBlob, readFooter, scanBlob } from '../../lambda/core/blob-reader.ts';
import { BlobWriter, writeBlobs, type FinishedBlob } from '../../lambda/core/blob-writer.ts';
import { encodeKey } from '../../lambda/core/keys.ts';
import { FORMAT_DEFAULTS } from '../../lambda/core/limits.ts';
import { MergeIterator, type MergeOptions } from '../../lambda/core/merge.ts';
import { entrySize, setsumItem, type Entry } from '../../lambda/core/record.ts';
import { SPILL_FORMAT } from '../../lambda/core/spill-sort.ts';
import { BatchStream } from '../../lambda/core/source.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import { rng } from '../rng.ts';
import { medianSeconds, type Figure } from '../harness.ts';

/** Audit-log-like records: team partitions, timestamped sort keys, ~300-byte JSON values. */
export function auditRecords(n: number, seed: number, seqBase = 1_700_000_000_000_000): Entry[] {
  const r = rng(seed);
  const actions = ['login', 'logout', 'read', 'write', 'delete', 'grant', 'revoke'];
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const team = `team-${String(Math.floor(r() * 200)).padStart(4, '0')}`;
    const ts = new Date(1_763_769_600_000 + Math.floor(r() * 86_400_000)).toISOString();
    const value = {
      actor: `user-${Math.floor(r() * 5000)}@example.com`,
      action: actions[Math.floor(r() * actions.length)],
      resource: `arn:aws:s3:::bucket-${Math.floor(r() * 100)}/path/${Math.floor(r() * 1e6)}`,
      ip: `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
      ok: r() > 0.05,
      requestId: Math.floor(r() * 2 ** 48).toString(16),
      userAgent: 'aws-cli/2.17.0 Python/3.11.8 Linux/6.1 exe/x86_64',
    };
    out.push({ key: encodeKey(team, `${ts}#${i}`), seq: seqBase + i, value: Buffer.from(JSON.stringify(value)) });
  }
  return out.sort((a, b) => Buffer.compare(a.key, b.key));
}

function encode(entries: readonly Entry[], setsum = true): FinishedBlob[] {
  return writeBlobs((i) => `b${i}`, entries, { setsum });
}

export async function engineSuite(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const fig = (name: string, value: number, unit: string, baseline?: string): void => {
    figures.push({ suite: 'engine', name, value, unit, ...(baseline ? { baseline } : {}) });
  };

  const n = 100_000;
  const entries = auditRecords(n, 42);
  const blobs = encode(entries);
  const rawBytes = blobs.reduce((s, b) => s + b.rawBytes, 0);
  const storedBytes = blobs.reduce((s, b) => s + b.bytes.length, 0);
  const MB = rawBytes / 1e6;

  // Baseline: raw zstd over the same raw bytes, in the same 64 KiB pieces.
  const rawBlocks: Buffer[] = [];
  {
    const all = Buffer.concat(entries.map((e) => Buffer.concat([e.key, e.value ?? Buffer.alloc(0), Buffer.alloc(16)])));
    for (let o = 0; o < all.length; o += 64 * 1024) rawBlocks.push(all.subarray(o, o + 64 * 1024));
  }
  const lvl = { params: { [zc.ZSTD_c_compressionLevel]: 3 } };
  const compressed = rawBlocks.map((b) => zstdCompressSync(b, lvl));
  const tZstdC = await medianSeconds(5, () => rawBlocks.forEach((b) => zstdCompressSync(b, lvl)));
  const tZstdD = await medianSeconds(5, () => compressed.forEach((b) => zstdDecompressSync(b)));
  const tEncode = await medianSeconds(5, () => encode(entries));
  const tDecode = await medianSeconds(5, async () => {
    for (const b of blobs) for await (const _ of scanBlob(memoryBlob(b.name, b.bytes))) void _;
  });
  const tEncodeNoHash = await medianSeconds(5, () => encode(entries, false));
  fig('blob encode', MB / tEncode, 'MB/s raw');
  fig('blob encode without setsum', MB / tEncodeNoHash, 'MB/s raw');
  fig('blob encode without setsum / raw zstd compress', tZstdC / tEncodeNoHash, 'ratio', 'raw zstd level 3');
  fig('raw zstd compress', MB / tZstdC, 'MB/s raw');
  fig('blob encode / raw zstd compress', tZstdC / tEncode, 'ratio', 'raw zstd level 3');
  fig('blob decode', MB / tDecode, 'MB/s raw');
  fig('raw zstd decompress', MB / tZstdD, 'MB/s raw');
  fig('blob decode / raw zstd decompress', tZstdD / tDecode, 'ratio', 'raw zstd');
  fig('compression (raw / stored)', rawBytes / storedBytes, 'ratio');

  // Merge: 8 overlapping runs, newest wins.
  const runs = Array.from({ length: 8 }, (_, i) => auditRecords(n / 8, 100 + i, 1_700_000_000_000_000 + i * n));
  const tMerge = await medianSeconds(5, async () => {
    for await (const _ of new MergeIterator(runs)) void _;
  });
  fig('merge 8 runs', n / tMerge / 1e6, 'M records/s');
  const tMergeHash = await medianSeconds(3, async () => {
    for await (const _ of new MergeIterator(runs, { trackSetsums: true })) void _;
  });
  fig('merge 8 runs with setsums', n / tMergeHash / 1e6, 'M records/s');

  const tSetsum = await medianSeconds(5, () => {
    const s = new Setsum();
    for (const e of entries) s.insertEntry(e);
  });
  fig('setsum insert (framed records)', n / tSetsum / 1e6, 'M items/s');

  // Bloom: measured false-positive rate at the format's bits per key.
  const keys = entries.slice(0, 20_000).map((e) => e.key);
  const bits = FORMAT_DEFAULTS.bloomBitsPerKey;
  const bloom = BloomFilter.create(keys.length, bits);
  keys.forEach((k) => bloom.add(k));
  let fp = 0;
  const probes = 400_000;
  for (let i = 0; i < probes; i++) if (bloom.mayContain(encodeKey('absent', String(i)))) fp++;
  fig(`bloom false positives (${bits} bits/key)`, (fp / probes) * 100, '%');
  fig('bloom false positives / theory', fp / probes / theoreticalFpr(keys.length, bloom.bitCount, bloom.k), 'ratio', 'theory');

  // Per worker: a compaction's merge (two stored runs, half the keys overwritten) and an
  // offload's (sorted spills) against the raw pipeline a merge cannot beat on the same
  // records: zstd decompress of the inputs' blocks, zstd compress of the output's, SHA3-256 of
  // each framed output record once (issue 11: goal 0.7).
  const older = auditRecords(n / 2, 61, 1_700_000_000_000_000);
  const newer = [
    ...auditRecords(n / 4, 62, 1_700_000_100_000_000),
    ...older.filter((_, i) => i % 2 === 0).map((e, i) => ({ ...e, seq: 1_700_000_200_000_000 + i })),
  ].sort((a, b) => Buffer.compare(a.key, b.key));
  const inputs = [writeBlobs((i) => `new${i}`, newer, {}), writeBlobs((i) => `old${i}`, older, {})];
  const spills = [newer, older].map((run, i) => writeBlobs((j) => `spill${i}-${j}`, run, SPILL_FORMAT));
  const mergedOut: Entry[] = [];
  for await (const e of new MergeIterator([newer, older])) mergedOut.push(e);
  const outBlocks: Buffer[] = [];
  {
    const all = Buffer.concat(mergedOut.map((e) => Buffer.concat([e.key, e.value ?? Buffer.alloc(0), Buffer.alloc(16)])));
    for (let o = 0; o < all.length; o += 64 * 1024) outBlocks.push(all.subarray(o, o + 64 * 1024));
  }
  const blocksOf = async (blobs: readonly FinishedBlob[]): Promise<Buffer[]> =>
    (
      await Promise.all(
        blobs.map(async (b) => (await readFooter(memoryBlob(b.name, b.bytes))).blocks.map((h) => b.bytes.subarray(h.offset, h.offset + h.length))),
      )
    ).flat();
  const rawPipeline = async (blobs: readonly FinishedBlob[][]): Promise<number> => {
    const blocks = (await Promise.all(blobs.map(blocksOf))).flat();
    return medianSeconds(3, () => {
      for (const b of blocks) zstdDecompressSync(b);
      for (const b of outBlocks) zstdCompressSync(b, lvl);
      for (const e of mergedOut) hash('sha3-256', setsumItem(e));
    });
  };
  // As a range task runs it: each input a stream of blocks across its blobs, the output
  // written as it is merged.
  const mergeOf = (blobs: readonly FinishedBlob[][], opts: MergeOptions) => async (): Promise<void> => {
    const sources = blobs.map(
      (run) =>
        new BatchStream(async function* () {
          for (const b of run) yield* scanBlob(memoryBlob(b.name, b.bytes)).batches();
        }),
    );
    const merge = new MergeIterator(sources, opts);
    const w = new BlobWriter((i) => `out${i}`);
    for await (const batch of merge.batches()) for (const e of batch) w.add(e);
    w.finish();
  };
  const tRawCompaction = await rawPipeline(inputs);
  const tCompaction = await medianSeconds(3, mergeOf(inputs, { trackSetsums: 'dropped' }));
  fig('compaction merge per worker / raw pipeline', tRawCompaction / tCompaction, 'ratio', 'zstd decompress + zstd compress + SHA3-256 of each framed record');
  fig('compaction merge per worker', mergedOut.reduce((a, e) => a + entrySize(e), 0) / 1e6 / tCompaction, 'MB/s raw out');
  const tRawOffload = await rawPipeline(spills);
  const tOffload = await medianSeconds(3, mergeOf(spills, {}));
  fig('offload merge per worker / raw pipeline', tRawOffload / tOffload, 'ratio', 'zstd decompress + zstd compress + SHA3-256 of each framed record');
  return figures;
}

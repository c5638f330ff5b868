/**
 * A run's index in two levels (core/schema.ts): a run written by key range keeps each range's
 * entries under a partition key of its own, paced to half of DynamoDB's 1,000 write units a
 * second per key, with pointers to them in `run#<id>`; a run written whole (as every run was
 * before) keeps its entries in `run#<id>`. Both read alike: point reads, scans both ways
 * across range boundaries, verification's walks; an attempt with other splitters leaves
 * nothing a read can see, and deleting the run leaves nothing at all.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { coldGet, coldScan } from '../../lambda/core/cold-run.ts';
import { chooseSplitters, keyRangeOfSpec, rangesFrom, type RangeSpec } from '../../lambda/core/key-ranges.ts';
import { compareKeys } from '../../lambda/core/keys.ts';
import { RATE_QUOTAS } from '../../lambda/core/limits.ts';
import type { KeyRange } from '../../lambda/core/partition-query.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { INDEX_TABLE, rangesPartition, runOfPartition, runPartition } from '../../lambda/core/schema.ts';
import { ColdBucket } from '../../lambda/store/cold-bucket.ts';
import { ColdReader } from '../../lambda/store/cold-reader.ts';
import { ColdWriter } from '../../lambda/store/cold-writer.ts';
import { pagedItems } from '../../lambda/store/paging.ts';
import { POINTER, RunIndex } from '../../lambda/store/run-index.ts';
import type { LocalSystem } from '../../local/system.ts';
import { collect, put } from '../support/arbitraries.ts';
import { prng } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SCALE = 0.01;
const OPTS = { blockBytes: 1024, blobBytes: 16384 };

function records(rng: () => number, n: number): Entry[] {
  const byKey = new Map<string, Entry>();
  for (let i = 0; i < n; i++) {
    const e = put(`team-${Math.floor(rng() * 6)}`, `2026-12-04T10:${String(Math.floor(rng() * 60)).padStart(2, '0')}:${String(i).padStart(6, '0')}`, i + 1, {
      i,
      pad: Math.floor(rng() * 2 ** 52)
        .toString(36)
        .repeat(1 + Math.floor(rng() * 12)),
    });
    byKey.set(e.key.toString('hex'), e);
  }
  return [...byKey.values()].sort((a, b) => compareKeys(a.key, b.key));
}

const inRange = (rs: readonly Entry[], r: RangeSpec): Entry[] => {
  const { lo, hi } = keyRangeOfSpec(r);
  return rs.filter((e) => compareKeys(e.key, lo) >= 0 && compareKeys(e.key, hi) < 0);
};

/** Every item of the index table under one of the run's partition keys, by partition key. */
async function itemsOf(sys: LocalSystem, runId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const items = pagedItems('scan', (start) => sys.store.ddb.send(new ScanCommand({ TableName: sys.store.indexTable, ExclusiveStartKey: start })));
  for await (const it of items) {
    const pk = it[INDEX_TABLE.partitionKey]!.S!;
    if ((pk.startsWith('run#') && runOfPartition(pk) === runId) || pk === rangesPartition(runId)) out.set(pk, (out.get(pk) ?? 0) + 1);
  }
  return out;
}

describe("a run's index in two levels", () => {
  let sys: LocalSystem;
  let writer: ColdWriter;
  let reader: ColdReader;
  let refusedRanged = 0;
  const rng = prng(24);
  const all = records(rng, 3000);
  const ranges = rangesFrom(
    chooseSplitters(
      all.filter((_, i) => i % 7 === 0).map((e) => e.key),
      5,
    ),
  );

  beforeAll(async () => {
    // 10 write units a second per partition key here: a range writer paces to half of it.
    sys = await startTestSystem({ prefix: 'runidx' }, { throughputScale: SCALE });
    const index = new RunIndex(sys.store.ddb, sys.store.indexTable);
    const bucket = new ColdBucket(sys.store.s3, sys.store.bucket);
    writer = new ColdWriter(index, bucket, (RATE_QUOTAS.partitionWriteUnits * SCALE) / 2);
    reader = new ColdReader(index, bucket);
    const refusals = (): number =>
      Object.entries(sys.throughput!.dynamodb.counts.byTarget).reduce((n, [k, v]) => n + (k.startsWith(`${sys.store.indexTable} `) ? v : 0), 0);
    const before = refusals();
    await Promise.all(ranges.map((r) => writer.writeRun('c-ranged', inRange(all, r), OPTS, r)));
    refusedRanged = refusals() - before;
    // The rest reads and writes at AWS's own rates: what it checks is not pacing.
    sys.throughput!.dynamodb.rescale(1);
    writer = new ColdWriter(index, bucket);
    // Written whole: every entry under one key, unpaced (a run this small is never written so on AWS).
    await writer.writeRun('c-whole', all, OPTS);
  }, 120_000);
  afterAll(() => sys?.stop());

  it("keeps each range's entries under its own partition key, written within the key's share, and pointers in the top level", async () => {
    const items = await itemsOf(sys, 'c-ranged');
    assert.equal(items.get(runPartition('c-ranged')), ranges.length, 'one pointer per range');
    for (const r of ranges) assert.ok((items.get(`run#c-ranged#${r.index}`) ?? 0) > 1, `range ${r.index} has entries of its own`);
    const top = await collect(new RunIndex(sys.store.ddb, sys.store.indexTable).partition('c-ranged'));
    assert.ok(top.every((it) => it[POINTER] !== undefined));
    assert.equal(refusedRanged, 0, 'five ranges written at once, none throttled');
    assert.equal((await itemsOf(sys, 'c-whole')).get(runPartition('c-whole'))! > ranges.length, true, 'a run written whole keeps its entries in the top level');
  });

  it('reads like the same run written whole, and like the records: point reads and scans both ways across ranges', async () => {
    const keys = [...all.filter((_, i) => i % 97 === 0).map((e) => e.key), Buffer.from('team-3\0zzz'), Buffer.from('team-0\0'), Buffer.from('aaa')];
    for (const run of ['c-ranged', 'c-whole']) {
      for (const k of keys) {
        const want = all.find((e) => e.key.equals(k));
        const got = await coldGet(reader, run, k);
        assert.equal(got?.seq, want?.seq, `${run} ${k.toString()}`);
      }
      for (let t = 0; t < 8; t++) {
        const [a, b] = [all[Math.floor(rng() * all.length)]!.key, all[Math.floor(rng() * all.length)]!.key].sort(compareKeys);
        const range: KeyRange = t === 0 ? { lo: Buffer.alloc(0), hi: Buffer.of(0xff) } : { lo: a!, hi: b! };
        const want = all.filter((e) => compareKeys(e.key, range.lo) >= 0 && compareKeys(e.key, range.hi) < 0).map((e) => e.seq);
        assert.deepEqual(
          (await collect(coldScan(reader, run, range, 'asc'))).map((e) => e.seq),
          want,
        );
        assert.deepEqual(
          (await collect(coldScan(reader, run, range, 'desc'))).map((e) => e.seq),
          [...want].reverse(),
        );
      }
    }
  });

  it("walks for verification: every entry once in key order, and a key range's from inside a range", async () => {
    const entries = await collect(reader.allEntries('c-ranged'));
    assert.equal(
      entries.reduce((n, e) => n + e.count, 0),
      all.length,
    );
    for (let i = 1; i < entries.length; i++) assert.ok(compareKeys(entries[i - 1]!.firstKey, entries[i]!.firstKey) < 0);
    const mid = entries[Math.floor(entries.length / 2)]!.firstKey;
    const end = entries[entries.length - 3]!.firstKey;
    const within = await collect(reader.entriesWithin('c-ranged', mid, end));
    assert.deepEqual(
      within.map((e) => e.firstKey.toString('hex')),
      entries.filter((e) => compareKeys(e.firstKey, mid) >= 0 && compareKeys(e.firstKey, end) < 0).map((e) => e.firstKey.toString('hex')),
    );
  });

  it('an attempt with other splitters leaves nothing a read sees; deleting the run leaves nothing', async () => {
    const id = 'c-retried';
    const first = rangesFrom(
      chooseSplitters(
        all.map((e) => e.key),
        4,
      ),
    );
    await Promise.all(first.map((r) => writer.writeRun(id, inRange(all, r), OPTS, r)));
    // Another attempt (other settings): two ranges, other bounds; and one record fewer.
    const fewer = all.filter((_, i) => i !== 100);
    const second = rangesFrom(
      chooseSplitters(
        all.map((e) => e.key),
        2,
      ),
    );
    await Promise.all(second.map((r) => writer.writeRun(id, inRange(fewer, r), OPTS, r)));
    const top = await collect(new RunIndex(sys.store.ddb, sys.store.indexTable).partition(id));
    assert.deepEqual(
      top.map((it) => Number(it[POINTER]!.N)),
      [0, 1],
      "only the second attempt's pointers",
    );
    assert.deepEqual(
      (await collect(coldScan(reader, id, { lo: Buffer.alloc(0), hi: Buffer.of(0xff) }, 'asc'))).map((e) => e.seq),
      fewer.map((e) => e.seq),
    );
    await writer.deleteRun(id);
    assert.deepEqual([...(await itemsOf(sys, id))], []);
    assert.deepEqual(await sys.cold.bucket.list(`runs/${id}/`), []);
  });
});

/**
 * Rates on the embedded system, with AWS's limits scaled down (ALKI_LOCAL_THROUGHPUT_SCALE
 * 0.01: 10 write units a second per partition key, 40 for a new on-demand table, 35 PUTs a
 * second per S3 prefix) so that a test reaches them: one pk written at 4 times its partition
 * key's limit is accepted through sharding and refused without it, a throttled API call is a
 * 429 with Retry-After (never a 5xx), a warmed table takes a period's first writes at once,
 * and the lifecycle offloads and compacts within the limits.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { LocalSystem } from '../../local/system.ts';
import { ManualClock, tinyStore } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

const SCALE = 0.01;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `count` PUTs to one pk at `perSecond`, `inFlight` at a time; their statuses and Retry-After headers. */
async function paced(sys: LocalSystem, pk: string, count: number, perSecond: number, inFlight = 8): Promise<{ status: number; retryAfter: string | null; code?: string }[]> {
  const api = client(sys.url);
  const out: { status: number; retryAfter: string | null; code?: string }[] = [];
  const start = Date.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const due = start + (i * 1000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const r = await api.call<{ error?: { code: string } }>('PUT', api.item(pk, `2026-11-23T10:00:00.${String(i).padStart(6, '0')}Z`), { i });
      out.push({ status: r.status, retryAfter: r.headers.get('retry-after'), ...(r.body?.error ? { code: r.body.error.code } : {}) });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return out;
}

/** Writes the hot tables refused for a partition key's rate. */
const keyRangeRefusals = (sys: LocalSystem): number =>
  Object.entries(sys.throughput!.dynamodb.counts.byTarget)
    .filter(([k]) => k.startsWith(`${sys.store.indexTable.replace(/-index$/, '')}-hot-`) && k.endsWith(' TableWriteKeyRangeThroughputExceeded'))
    .reduce((s, [, n]) => s + n, 0);

describe('rates, scaled to 1% of AWS\'s', () => {
  describe('one team writing at 4 times a partition key\'s limit', () => {
    let sharded: LocalSystem;
    let single: LocalSystem;
    beforeAll(async () => {
      // Warmed for 8,000 writes a second: the table takes 120 a second here, the key 10.
      sharded = await startTestSystem({ prefix: 'ratesh', hotShards: 8, peakWritesPerSecond: 8000 }, { throughputScale: SCALE });
      single = await startTestSystem({ prefix: 'rates1', hotShards: 1, peakWritesPerSecond: 8000 }, { throughputScale: SCALE });
    });
    afterAll(async () => {
      await sharded?.stop();
      await single?.stop();
    });

    it('is accepted through sharding: every write acknowledged, no partition key refused', async () => {
      const results = await paced(sharded, 'big-team', 120, 40);
      assert.deepEqual(results.filter((r) => r.status !== 200), []);
      assert.equal(keyRangeRefusals(sharded), 0);
      const page = await client(sharded.url).query('big-team', { limit: 1000 });
      assert.equal(page.body.items.length, 120);
    });

    it('is refused without it, as 429 with Retry-After, never a 5xx, and a refused write is not stored', async () => {
      const results = await paced(single, 'big-team', 120, 40);
      const refused = results.filter((r) => r.status !== 200);
      assert.ok(keyRangeRefusals(single) > 0, 'the partition key was throttled');
      assert.ok(refused.length > 0, 'some writes were refused after the SDK\'s retries');
      for (const r of refused) {
        assert.equal(r.status, 429, JSON.stringify(r));
        assert.equal(r.code, 'Throttled');
        assert.match(r.retryAfter ?? '', /^[1-9]\d*$/);
      }
      await sleep(1500);
      const page = await client(single.url).query('big-team', { limit: 1000 });
      assert.equal(page.body.items.length, results.length - refused.length, 'what was acknowledged is there, and nothing else');
    });
  });

  describe('a period boundary', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 0) + 500);
    let sys: LocalSystem;
    beforeAll(async () => {
      sys = await startTestSystem(tinyStore('ratesb', { periodMs: 60_000, sealGraceMs: 2_000, gcGraceMs: 4_000, peakWritesPerSecond: 8000 }), { clock: clock.now, retryIntervalMs: 0, throughputScale: SCALE });
      await sys.rotateNow();
    });
    afterAll(() => sys?.stop());

    it('is crossed at 60 writes a second (over a new table\'s 40) with nothing refused: tables are warmed ahead', async () => {
      const api = client(sys.url);
      const statuses: number[] = [];
      for (let i = 0; i < 120; i++) {
        if (i === 60) clock.advance(60_000);
        const t = Date.now();
        statuses.push((await api.put(`team-${i % 3}`, `e${i}`, { i })).status);
        await sleep(Math.max(0, 1000 / 60 - (Date.now() - t)));
      }
      assert.deepEqual(statuses.filter((s) => s !== 200), []);
      const counts = sys.throughput!.dynamodb.counts;
      assert.equal(counts.byReason.TableWriteAccountLimitExceeded ?? 0, 0, JSON.stringify(counts));
      assert.equal(keyRangeRefusals(sys), 0, JSON.stringify(counts));
      const runs = (await sys.dataPlane.manifests.read()).runs.filter((r) => r.tier === 'hot');
      assert.ok(runs.length >= 2);
      for (const r of runs) assert.equal(sys.throughput!.dynamodb.warmOf(r.table!)?.write, 12_000, `${r.table} is warmed`);
    });

    it('offloads and compacts at these rates: every execution succeeds and reads are whole', async () => {
      const api = client(sys.url);
      const written = new Map<string, number>();
      for (let period = 0; period < 3; period++) {
        const items = Array.from({ length: 50 }, (_, i) => ({ pk: `team-${i % 2}`, sk: `p${period}-${String(i).padStart(3, '0')}`, value: period * 100 + i }));
        const r = await api.call('POST', '/v1/batch/write', { items });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        for (const it of items) written.set(`${it.pk}/${it.sk}`, it.value);
        clock.advance(60_000);
        const exec = await sys.runLifecycle();
        assert.equal(exec.status, 'SUCCEEDED');
      }
      clock.advance(60_000);
      await sys.runLifecycle();
      const cold = (await sys.dataPlane.manifests.read()).runs.filter((r) => r.tier === 'cold');
      assert.ok(cold.some((r) => r.level >= 1), 'a compaction ran');
      sys.refreshManifests();
      for (const pk of ['team-0', 'team-1']) {
        const page = await api.query(pk, { limit: 1000 });
        const want = [...written].filter(([k]) => k.startsWith(`${pk}/`)).map(([k, v]) => [k.slice(pk.length + 1), v]);
        assert.deepEqual(page.body.items.filter((x) => x.sk.startsWith('p')).map((x) => [x.sk, x.value]), want.sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)));
      }
      // What the buckets did, for the record: how much was asked of them and what they refused.
      const { dynamodb, s3 } = sys.throughput!;
      console.log(`rates at scale ${SCALE}: DynamoDB ${dynamodb.counts.admitted} admitted, ${dynamodb.counts.refused} refused ${JSON.stringify(dynamodb.counts.byTarget)}; S3 ${s3.counts.admitted} admitted, ${s3.counts.refused} refused ${JSON.stringify(s3.counts.byTarget)}`);
    });
  });
});

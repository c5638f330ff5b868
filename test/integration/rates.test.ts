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
import { JobStore } from '../../lambda/store/job-store.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import { ManualClock, stepOf, tinyStore } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

const SCALE = 0.01;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `count` PUTs to one pk at `perSecond`, `inFlight` at a time; their statuses and Retry-After headers. */
async function paced(
  sys: LocalSystem,
  pk: string,
  count: number,
  perSecond: number,
  inFlight = 8,
): Promise<{ status: number; retryAfter: string | null; code?: string }[]> {
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

/** Tasks that count how often each task of a job's segments and ranges was started (`<step> <run> <index>`). */
function countStarts(starts: Map<string, number>): (tasks: Readonly<Record<string, TaskHandler>>) => Record<string, TaskHandler> {
  return (tasks) =>
    Object.fromEntries(
      Object.entries(tasks).map(([p, h]): [string, TaskHandler] => [
        p,
        (input) => {
          const i = input as { runId?: string; segment?: number; range?: number };
          const index = i.segment ?? i.range;
          const key = `${stepOf(p, input)} ${i.runId} ${index}`;
          if (index !== undefined) starts.set(key, (starts.get(key) ?? 0) + 1);
          return h(input);
        },
      ]),
    );
}

describe("rates, scaled to 1% of AWS's", () => {
  describe("one team writing at 4 times a partition key's limit", () => {
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
      assert.deepEqual(
        results.filter((r) => r.status !== 200),
        [],
      );
      assert.equal(keyRangeRefusals(sharded), 0);
      const page = await client(sharded.url).query('big-team', { limit: 1000 });
      assert.equal(page.body.items.length, 120);
    });

    it('is refused without it, as 429 with Retry-After, never a 5xx, and a refused write is not stored', async () => {
      // Throttled requests spend their SDK retries in flight: enough slots that the offered rate stays 40 a second on a slow machine.
      const results = await paced(single, 'big-team', 120, 40, 32);
      const refused = results.filter((r) => r.status !== 200);
      assert.ok(keyRangeRefusals(single) > 0, 'the partition key was throttled');
      assert.ok(refused.length > 0, "some writes were refused after the SDK's retries");
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
    const starts = new Map<string, number>();
    const counted = countStarts(starts);
    beforeAll(async () => {
      sys = await startTestSystem(tinyStore('ratesb', { periodMs: 60_000, sealGraceMs: 2_000, gcGraceMs: 4_000, peakWritesPerSecond: 8000 }), {
        clock: clock.now,
        retryIntervalMs: 0,
        throughputScale: SCALE,
        wrapTasks: counted,
      });
      await sys.runLifecycle();
    });
    afterAll(() => sys?.stop());

    it("is crossed at 60 writes a second (over a new table's 40) with nothing refused: tables are warmed ahead", async () => {
      const api = client(sys.url);
      const statuses: number[] = [];
      for (let i = 0; i < 120; i++) {
        if (i === 60) clock.advance(60_000);
        const t = Date.now();
        statuses.push((await api.put(`team-${i % 3}`, `e${i}`, { i })).status);
        await sleep(Math.max(0, 1000 / 60 - (Date.now() - t)));
      }
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
      );
      const counts = sys.throughput!.dynamodb.counts;
      assert.equal(counts.byReason.TableWriteAccountLimitExceeded ?? 0, 0, JSON.stringify(counts));
      assert.equal(keyRangeRefusals(sys), 0, JSON.stringify(counts));
      const runs = (await sys.dataPlane.manifests.read()).runs.filter((r) => r.tier === 'hot');
      assert.ok(runs.length >= 2);
      for (const r of runs) assert.equal(sys.throughput!.dynamodb.warmOf(r.table!)?.write, 12_000, `${r.table} is warmed`);
    });

    it('offloads and compacts at these rates: every execution succeeds, no task is started over, and reads are whole', async () => {
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
      assert.ok(
        cold.some((r) => r.level >= 1),
        'a compaction ran',
      );
      sys.refreshManifests();
      for (const pk of ['team-0', 'team-1']) {
        const page = await api.query(pk, { limit: 1000 });
        const want = [...written].filter(([k]) => k.startsWith(`${pk}/`)).map(([k, v]) => [k.slice(pk.length + 1), v]);
        assert.deepEqual(
          page.body.items.filter((x) => x.sk.startsWith('p')).map((x) => [x.sk, x.value]),
          want.sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
        );
      }
      // Scans wait out throttling where they were; merges write patiently: each task ran once.
      const scans = [...starts].filter(([k]) => k.startsWith('offload:scan '));
      assert.ok(scans.length >= 6, JSON.stringify([...starts]));
      assert.deepEqual(
        [...starts].filter(([, n]) => n !== 1),
        [],
        'a task started over',
      );
      const throttled = await Promise.all(
        scans.map(async ([k]) => {
          const [, runId, segment] = k.split(' ');
          // Jobs GC has collected since say nothing.
          return (await new JobStore(sys.store.ddb, sys.store.indexTable).records(runId!, 'scan')).get(Number(segment))?.throttled ?? 0;
        }),
      );
      console.log(
        `rates at scale ${SCALE}: ${scans.length} scan segments, ${throttled.reduce((a, b) => a + b, 0)} pages asked for again after throttling, ${starts.size} segment and range tasks, each started once`,
      );
      // What the buckets did, for the record: how much was asked of them and what they refused.
      const { dynamodb, s3 } = sys.throughput!;
      console.log(
        `rates at scale ${SCALE}: DynamoDB ${dynamodb.counts.admitted} admitted, ${dynamodb.counts.refused} refused ${JSON.stringify(dynamodb.counts.byTarget)}; S3 ${s3.counts.admitted} admitted, ${s3.counts.refused} refused ${JSON.stringify(s3.counts.byTarget)}`,
      );
    });
  });
  describe('an offload of a table whose reads are throttled', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 11, 0, 0) + 500);
    const starts = new Map<string, number>();
    let sys: LocalSystem;
    beforeAll(async () => {
      // Loaded at AWS's rates; offloaded at half a percent of them: the sealed table serves 60 read units a second.
      const settings = tinyStore('ratesr', {
        periodMs: 60_000,
        sealGraceMs: 2_000,
        gcGraceMs: 4_000,
        blockBytes: 16_384,
        blobBytes: 65_536,
        segmentBytes: 512 * 1024,
        rangeBytes: 512 * 1024,
      });
      sys = await startTestSystem(settings, { clock: clock.now, retryIntervalMs: 0, throughputScale: 1, wrapTasks: countStarts(starts) });
      await sys.runLifecycle();
    });
    afterAll(() => sys?.stop());

    it('waits out the throttling where each scan is: every execution succeeds, each task runs once, and the run holds every record', async () => {
      const api = client(sys.url);
      const pad = 'x'.repeat(900);
      for (let b = 0; b < 60; b++) {
        const items = Array.from({ length: 25 }, (_, i) => ({ pk: `team-${i % 5}`, sk: `e${String(b * 25 + i).padStart(5, '0')}`, value: { pad } }));
        assert.equal((await api.call('POST', '/v1/batch/write', { items })).status, 200);
      }
      clock.advance(63_000);
      sys.throughput!.dynamodb.rescale(0.005);
      const before = sys.throughput!.dynamodb.counts.refused;
      const exec = await sys.runLifecycle();
      assert.equal(exec.status, 'SUCCEEDED');
      const hotRefusals = Object.entries(sys.throughput!.dynamodb.counts.byTarget)
        .filter(([k]) => k.startsWith('ratesr-hot-'))
        .reduce((n, [, v]) => n + v, 0);
      assert.ok(hotRefusals > 0, `the scans were throttled: ${JSON.stringify(sys.throughput!.dynamodb.counts.byTarget)}`);
      assert.ok([...starts.keys()].filter((k) => k.startsWith('offload:scan ')).length >= 2);
      assert.deepEqual(
        [...starts].filter(([, n]) => n !== 1),
        [],
        'a task started over',
      );
      assert.ok(
        (await sys.dataPlane.manifests.read()).runs.some((r) => r.tier === 'cold' && r.count === 1500),
        'the period is offloaded',
      );
      sys.throughput!.dynamodb.rescale(1);
      sys.refreshManifests();
      let n = 0;
      for (let t = 0; t < 5; t++) n += (await api.query(`team-${t}`, { limit: 1000 })).body.items.length;
      assert.equal(n, 1500);
      console.log(
        `an offload throttled at scale 0.005: ${sys.throughput!.dynamodb.counts.refused - before} DynamoDB requests refused (${hotRefusals} of them the hot table's scans), ${starts.size} segment and range tasks, each started once`,
      );
    });
  });
});

/**
 * Sorted export on the embedded system, through the HTTP API, the real export state machine
 * and presigned downloads: every live record as of the checkpoint once, in key order across
 * objects of bounded size, gzip NDJSON; an export whose checkpoint still names a sealed hot
 * table waits for its offload; bounds export a slice; a damaged object fails verification.
 */
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, it } from '@jest/globals';
import { compareKeys, encodeKey } from '../../lambda/core/keys.ts';
import { finishExport, prepareExport, verifyExportRange, writeExportRange } from '../../lambda/exporter/exporter.ts';
import { storesFrom } from '../../lambda/store/stores.ts';
import { clockedSystem } from '../support/clocked.ts';
import { httpWriter, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';

const SETTINGS = tinyStore('xport', { periodMs: 60_000, sealGraceMs: 2_000, gcGraceMs: 4_000, rangeBytes: 4096 });
const PKS = ['a', 'b', 'c', 'd'];

interface Report {
  id: string;
  state: 'running' | 'succeeded' | 'failed';
  checkpoint: string;
  records: number;
  bytes: number;
  objects: { key: string; url: string; records: number; bytes: number; firstKey: { pk: string; sk: string }; lastKey: { pk: string; sk: string } }[];
  cause?: string;
}

describe('sorted export', () => {
  const h = clockedSystem(SETTINGS, Date.UTC(2026, 10, 23, 14, 0, 0) + 500);
  const { clock } = h;
  const model = new Model();
  const rng = prng(11);

  const nextPeriod = () => h.nextPeriod();
  const report = (id: string) => h.api.call<Report>('GET', `/v1/exports/${id}`);
  async function settled(id: string): Promise<Report> {
    for (let i = 0; i < 600; i++) {
      const r = await report(id);
      assert.equal(r.status, 200);
      if (r.body.state !== 'running') return r.body;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`export ${id} still running`);
  }
  /** Every line of every object, downloaded through its URL, in object order. */
  async function download(r: Report): Promise<{ pk: string; sk: string; seq: number; value: unknown }[]> {
    const lines: { pk: string; sk: string; seq: number; value: unknown }[] = [];
    for (const o of r.objects) {
      const res = await fetch(o.url);
      assert.equal(res.status, 200, o.key);
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(body.length, o.bytes);
      const text = gunzipSync(body).toString('utf8');
      const mine = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { pk: string; sk: string; seq: number; value: unknown });
      assert.equal(mine.length, o.records);
      assert.deepEqual([mine[0]!.pk, mine[0]!.sk, mine.at(-1)!.pk, mine.at(-1)!.sk], [o.firstKey.pk, o.firstKey.sk, o.lastKey.pk, o.lastKey.sk]);
      lines.push(...mine);
    }
    return lines;
  }
  const frozen = () => PKS.flatMap((pk) => model.live(pk).map((x) => ({ pk, sk: x.sk, value: x.value })));

  it("exports every live record as of its checkpoint, once, sorted across objects, after waiting for a sealed table's offload", async () => {
    const writer = httpWriter(h.sys.url, model);
    for (let p = 0; p < 2; p++) {
      await randomWrites(writer, rng, PKS, 120, `p${p}`);
      await nextPeriod();
      clock.advance(SETTINGS.sealGraceMs + SETTINGS.gcGraceMs + 10);
      await h.sys.runLifecycle();
    }
    await randomWrites(writer, rng, PKS, 120, 'p2');
    // Sealed, and no lifecycle since (rotation made the next tables ahead): the export's checkpoint names this period's hot table.
    clock.advance(SETTINGS.periodMs + SETTINGS.sealGraceMs + 10);
    const m = await h.sys.dataPlane.manifests.read();
    assert.ok(
      m.runs.some(
        (r) => r.tier === 'hot' && r.periodEnd <= clock.now() - SETTINGS.sealGraceMs && r.count >= 0 && r.periodEnd > clock.now() - 2 * SETTINGS.periodMs,
      ),
    );
    const want = frozen();
    const started = await h.api.call<{ id: string; checkpoint: string }>('POST', '/v1/exports', { format: 'ndjson' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await randomWrites(writer, rng, PKS, 60, 'after');
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await report(started.body.id)).body.state, 'running', 'it waits for the offload');
    await h.sys.runLifecycle();
    const r = await settled(started.body.id);
    assert.equal(r.state, 'succeeded', r.cause);
    assert.ok(r.objects.length > 3, `${r.objects.length} objects`);
    const lines = await download(r);
    assert.deepEqual(
      lines.map((l) => ({ pk: l.pk, sk: l.sk, value: l.value })),
      want,
    );
    assert.equal(r.records, want.length);
    for (let i = 1; i < lines.length; i++) assert.ok(compareKeys(encodeKey(lines[i - 1]!.pk, lines[i - 1]!.sk), encodeKey(lines[i]!.pk, lines[i]!.sk)) < 0);
    assert.equal(
      r.bytes,
      r.objects.reduce((a, o) => a + o.bytes, 0),
    );
    // A page at a time: the pages, in order, are the whole list; a page's cursor is no other's.
    const paged: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = await h.api.call<Report & { cursor?: string }>(
        'GET',
        `/v1/exports/${started.body.id}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      assert.equal(p.status, 200);
      assert.ok(p.body.objects.length <= 2);
      paged.push(...p.body.objects.map((o) => o.key));
      cursor = p.body.cursor;
      pages++;
    } while (cursor);
    assert.deepEqual(
      paged,
      r.objects.map((o) => o.key),
    );
    assert.equal(pages, Math.ceil(r.objects.length / 2));
    for (const [q, code] of [
      ['limit=0', 'InvalidLimit'],
      ['limit=1001', 'InvalidLimit'],
      ['cursor=bm9wZQ', 'InvalidCursor'],
      ['cursor=', 'InvalidCursor'],
    ] as const) {
      const bad = await h.api.call<{ error: { code: string } }>('GET', `/v1/exports/${started.body.id}?${q}`);
      assert.equal(bad.status, 400, q);
      assert.equal(bad.body.error.code, code, q);
    }
  });

  it('exports a slice between bounds, at a given checkpoint, which it keeps alive while it may run', async () => {
    const ck = await h.api.call<{ id: string; expiresAt: string }>('POST', '/v1/checkpoints', { ttl: '2m' });
    const started = await h.api.call<{ id: string; checkpoint: string }>('POST', '/v1/exports', {
      format: 'ndjson',
      checkpoint: ck.body.id,
      from: { pk: 'b' },
      to: { pk: 'c', sk: 'k060' },
    });
    assert.equal(started.status, 202);
    assert.equal(started.body.checkpoint, ck.body.id);
    await nextPeriod();
    clock.advance(SETTINGS.sealGraceMs + 10);
    await h.sys.runLifecycle();
    const r = await settled(started.body.id);
    assert.equal(r.state, 'succeeded', r.cause);
    const kept = (await h.api.call<{ checkpoints: { id: string; expiresAt: string }[] }>('GET', '/v1/checkpoints')).body.checkpoints.find(
      (c) => c.id === ck.body.id,
    )!;
    assert.ok(Date.parse(kept.expiresAt) >= Date.parse(ck.body.expiresAt) + 23 * 3_600_000, `extended to ${kept.expiresAt}`);
    const lines = await download(r);
    const lo = encodeKey('b', '\u0000').subarray(0, 2);
    const hi = encodeKey('c', 'k060');
    const all = (await Promise.all(PKS.map(async (pk) => (await h.api.query(pk, { limit: 1000, checkpoint: ck.body.id })).body.items))).flat();
    const want = all.filter((x) => {
      const k = encodeKey(x.pk, x.sk);
      return compareKeys(k, lo) >= 0 && compareKeys(k, hi) < 0;
    });
    assert.ok(want.length > 0);
    assert.deepEqual(
      lines.map((l) => [l.pk, l.sk, l.seq]),
      want.map((x) => [x.pk, x.sk, x.seq]),
    );
  });

  it('refuses bad requests with 400 and unknown exports with 404', async () => {
    for (const body of [
      { format: 'csv' },
      { format: 'ndjson', from: { pk: 'c' }, to: { pk: 'b' } },
      { format: 'ndjson', checkpoint: 'nope' },
      { format: 'ndjson', extra: 1 },
    ]) {
      const r = await h.api.call<{ error: { code: string } }>('POST', '/v1/exports', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.equal((await h.api.call('POST', '/v1/exports', { format: 'ndjson', checkpoint: 'ck-00000000-0000-4000-8000-000000000000' })).status, 404);
    assert.equal((await report('x-00000000000000000000')).status, 404);
    assert.equal((await report('bad')).status, 400);
  });

  it('fails verification when an object does not read back as written, and says why', async () => {
    const started = await h.api.call<{ id: string }>('POST', '/v1/exports', { format: 'ndjson', from: { pk: 'a' }, to: { pk: 'b' } });
    const done = await settled(started.body.id);
    assert.equal(done.state, 'succeeded');
    // As the exporter sees it: damage its first object, then read back and add up again.
    const s = storesFrom(h.sys.envOf('exporter'));
    await s.exportObjects.put(done.objects[0]!.key, gzipSync('{"pk":"a","sk":"zz","seq":1,"value":1}\n'));
    await s.exports.put({ ...(await s.exports.get(done.id))!, state: 'running' });
    // The job's records were deleted with success: prepare, write and verify it again, then damage before verifying.
    const prepared = await prepareExport(s, done.id, clock.now());
    assert.ok(prepared.ready);
    for (let r = 0; r < prepared.ranges; r++) await writeExportRange(s, done.id, r);
    await s.exportObjects.put(done.objects[0]!.key, gzipSync('{"pk":"a","sk":"zz","seq":1,"value":1}\n'));
    for (let r = 0; r < prepared.ranges; r++) await verifyExportRange(s, done.id, r);
    assert.deepEqual(await finishExport(s, done.id, clock.now()), { state: 'failed' });
    const r = await report(done.id);
    assert.equal(r.body.state, 'failed');
    assert.match(r.body.cause!, /verification failed/);
    assert.deepEqual(r.body.objects, [], 'a failed export offers nothing to download');
  });
});

/**
 * Checkpoints on the embedded system, through the HTTP API and the real lifecycle: reads at a
 * checkpoint answer as of the end of the last sealed period when it was made, however much
 * is written, deleted, offloaded, compacted and collected afterwards; GC keeps what a live
 * checkpoint pins (moving a pinned hot table's pin to its offloaded run, so no table is kept)
 * and lets it go once the checkpoint is deleted or expires.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { clockedSystem } from '../support/clocked.ts';
import { httpWriter, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';

const SETTINGS = tinyStore('ckpt', { periodMs: 60_000, sealGraceMs: 2_000, gcGraceMs: 4_000 });
const PKS = ['a', 'b', 'c'];

interface Summary {
  id: string;
  manifestVersion: number;
  asOf: string;
  expiresAt: string;
  runs: number;
}

describe('checkpoints', () => {
  const h = clockedSystem(SETTINGS, Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const { clock } = h;
  const model = new Model();
  const rng = prng(7);

  /** What the model holds now, frozen. */
  const freeze = () => new Map(PKS.map((pk) => [pk, model.live(pk)] as const));
  const nextPeriod = () => h.nextPeriod();

  /** Every read at the checkpoint equals the frozen model: gets, a batch get, queries both ways and in pages. */
  async function assertReadsAt(id: string, frozen: ReturnType<typeof freeze>): Promise<void> {
    for (const pk of PKS) {
      const live = frozen.get(pk)!;
      for (const dir of ['asc', 'desc'] as const) {
        const got: { sk: string; value: unknown }[] = [];
        let cursor: string | undefined;
        do {
          const r = await h.api.query(pk, { order: dir, limit: 7, checkpoint: id, ...(cursor ? { cursor } : {}) });
          assert.equal(r.status, 200, JSON.stringify(r.body));
          got.push(...r.body.items.map((x) => ({ sk: x.sk, value: x.value })));
          cursor = r.body.cursor;
        } while (cursor);
        assert.deepEqual(got, dir === 'asc' ? live : [...live].reverse(), `${pk} ${dir}`);
      }
      for (const sk of model.keys(pk).filter((_, i) => i % 5 === 0)) {
        const want = live.find((x) => x.sk === sk);
        const r = await h.api.call<{ value: unknown }>('GET', `${h.api.item(pk, sk)}?checkpoint=${id}`);
        assert.equal(r.status, want ? 200 : 404, `${pk}/${sk}`);
        if (want) assert.deepEqual(r.body.value, want.value);
      }
      const keys = model
        .keys(pk)
        .slice(0, 20)
        .map((sk) => ({ pk, sk }));
      const b = await h.api.call<{ items: { sk: string; value: unknown }[] }>('POST', `/v1/batch/get?checkpoint=${id}`, { keys });
      assert.equal(b.status, 200);
      assert.deepEqual(
        b.body.items.map((x) => ({ sk: x.sk, value: x.value })),
        live.filter((x) => keys.some((k) => k.sk === x.sk)),
      );
    }
  }

  let first: Summary;
  let frozen: ReturnType<typeof freeze>;

  it('pins the store as of the end of the last sealed period', async () => {
    const writer = httpWriter(h.sys.url, model);
    await randomWrites(writer, rng, PKS, 150, 'p0');
    await nextPeriod();
    clock.advance(SETTINGS.sealGraceMs + 10);
    frozen = freeze();
    // Written after the seal: in the next period, not in the checkpoint.
    const r = await h.api.call<Summary>('POST', '/v1/checkpoints', { ttl: '1h' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    first = r.body;
    const end = Math.floor(clock.now() / SETTINGS.periodMs) * SETTINGS.periodMs;
    assert.equal(first.asOf, new Date(end).toISOString());
    assert.equal(Date.parse(first.expiresAt), Math.floor(clock.now()) + 3_600_000);
    await randomWrites(writer, rng, PKS, 150, 'p1');
    const list = await h.api.call<{ checkpoints: Summary[] }>('GET', '/v1/checkpoints');
    assert.deepEqual(
      list.body.checkpoints.map((c) => c.id),
      [first.id],
    );
    await assertReadsAt(first.id, frozen);
  });

  it('answers as of then through offloads, compactions and GC, which keeps what it pins and drops no table it does not need', async () => {
    const writer = httpWriter(h.sys.url, model);
    for (let p = 2; p < 7; p++) {
      await randomWrites(writer, rng, PKS, 80, `p${p}`);
      await nextPeriod();
      clock.advance(SETTINGS.sealGraceMs + SETTINGS.gcGraceMs + 10);
      await h.sys.runLifecycle();
      await assertReadsAt(first.id, frozen);
    }
    const m = await h.sys.dataPlane.manifests.read();
    assert.ok(
      m.runs.some((r) => r.level >= 1),
      'compactions ran',
    );
    // The checkpoint's runs that compaction replaced are kept (garbage, waiting); no hot table is.
    const pinned = (m.garbage ?? []).filter((g) => g.releasedAt + SETTINGS.gcGraceMs <= clock.now());
    assert.ok(pinned.length > 0 && pinned.every((g) => g.kind === 'run'), JSON.stringify(pinned.map((g) => g.id)));
    const tables = (await h.sys.store.ddb.send(new ListTablesCommand({}))).TableNames!.filter((t) => t.startsWith('ckpt-hot-'));
    assert.ok(
      tables.every((t) => m.runs.some((r) => r.table === t)),
      `no table outside the manifest is kept: ${tables.join(', ')}`,
    );
    // The current view moved on.
    for (const pk of PKS)
      assert.deepEqual(
        (await h.api.query(pk, { limit: 1000 })).body.items.map((x) => ({ sk: x.sk, value: x.value })),
        model.live(pk),
      );
  });

  it('lets GC delete what only it kept once it is deleted, and reads with it are then 404', async () => {
    assert.equal((await h.api.call('DELETE', `/v1/checkpoints/${first.id}`)).status, 204);
    const r = await h.api.call<{ error: { code: string } }>('GET', `${h.api.item('a', 'k001')}?checkpoint=${first.id}`);
    assert.deepEqual([r.status, r.body.error.code], [404, 'CheckpointNotFound']);
    assert.equal((await h.api.call('DELETE', `/v1/checkpoints/${first.id}`)).status, 404);
    clock.advance(10);
    await h.sys.runLifecycle();
    const m = await h.sys.dataPlane.manifests.read();
    assert.deepEqual(
      (m.garbage ?? []).filter((g) => g.releasedAt + SETTINGS.gcGraceMs <= clock.now() - 10),
      [],
      'nothing due is left',
    );
  });

  it('expires after its ttl: reads 404, GC removes it', async () => {
    const r = await h.api.call<Summary>('POST', '/v1/checkpoints', { ttl: '2m' });
    assert.equal(r.status, 201);
    const at = freeze();
    await assertReadsAt(r.body.id, at);
    clock.advance(2 * 60_000);
    assert.equal((await h.api.call('GET', `${h.api.item('a', 'k001')}?checkpoint=${r.body.id}`)).status, 404);
    assert.deepEqual((await h.api.call<{ checkpoints: Summary[] }>('GET', '/v1/checkpoints')).body.checkpoints, []);
    await h.sys.runLifecycle();
    await h.sys.runLifecycle();
    assert.deepEqual(await h.sys.dataPlane.checkpoints!.list(), [], 'GC deleted the expired checkpoint');
  });

  it('refuses a bad ttl or checkpoint id with 400 and an unknown one with 404', async () => {
    for (const ttl of ['forever', '10s', '31d']) {
      const r = await h.api.call<{ error: { code: string } }>('POST', '/v1/checkpoints', { ttl });
      assert.deepEqual([r.status, r.body.error.code], [400, 'InvalidTtl'], ttl);
    }
    assert.equal((await h.api.call<{ error: { code: string } }>('POST', '/v1/checkpoints', { ttl: '1h', extra: 1 })).status, 400);
    const bad = await h.api.call<{ error: { code: string } }>('GET', `${h.api.item('a', 'k001')}?checkpoint=nope`);
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'InvalidCheckpoint']);
    const unknown = await h.api.query('a', { checkpoint: 'ck-00000000-0000-4000-8000-000000000000' });
    assert.equal(unknown.status, 404);
    assert.equal((await h.api.call('POST', '/v1/checkpoints')).status, 201, 'the body is optional (a day)');
  });
});

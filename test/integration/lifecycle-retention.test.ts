/**
 * Retention on the embedded system, on a manual clock: records older than the retention are
 * invisible at once; the lifecycle drops runs wholly past it, and GC deletes their objects.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { OBJECTS } from '../../lambda/core/schema.ts';
import type { LocalSystem } from '../../local/system.ts';
import { ManualClock, tinyStore } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('ret', { retentionMs: 4000 });

describe('retention', () => {
  const t0 = Date.UTC(2026, 10, 23, 18, 0, 0);
  const clock = new ManualClock(t0 + 500);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('hides expired records, drops expired runs and deletes them after gcGrace', async () => {
    const api = client(sys.url);
    // Ten periods, twenty keys each, written at t0 + 500 + i seconds.
    for (let i = 0; i < 10; i++) {
      const items = Array.from({ length: 20 }, (_, j) => ({ pk: 'r', sk: `p${String(i).padStart(2, '0')}-${String(j).padStart(2, '0')}`, value: i }));
      assert.equal((await api.call('POST', '/v1/batch/write', { items })).status, 200);
      clock.advance(SETTINGS.periodMs);
      assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    }
    clock.advance(250);
    // Now t0 + 10.75 s; the cutoff is t0 + 6.75 s: periods 0-6 expired, 7-9 visible.
    const visible = (await api.query('r', { limit: 1000 })).body.items.map((x) => x.value);
    assert.deepEqual([...new Set(visible)], [7, 8, 9]);
    assert.equal(visible.length, 60);
    assert.equal((await api.get('r', 'p03-00')).status, 404);
    assert.equal((await api.get('r', 'p08-05')).status, 200);

    // Compactions so far dropped the records that had expired when they ran.
    await sys.runLifecycle();
    const held = (await sys.dataPlane.manifests.read()).runs.reduce((n, r) => n + r.count, 0);
    assert.ok(held < 200, `cold runs hold ${held} of 200 records`);

    // Five more periods without writes: every run holding data expires whole and is dropped.
    const holding = (await sys.dataPlane.manifests.read()).runs.filter((r) => r.count > 0).map((r) => r.id);
    for (let i = 0; i < 5; i++) {
      clock.advance(SETTINGS.periodMs);
      await sys.runLifecycle();
    }
    const m = await sys.dataPlane.manifests.read();
    const cutoffSeq = (clock.now() - SETTINGS.retentionMs!) * 1000;
    for (const r of m.runs.filter((x) => x.tier === 'cold')) assert.ok(r.maxSeq >= cutoffSeq, `${r.id} is wholly expired but still listed`);
    for (const id of holding) assert.ok(!m.runs.some((r) => r.id === id), `${id} was not dropped`);
    assert.deepEqual((await api.query('r', { limit: 1000 })).body.items, []);

    clock.advance(SETTINGS.gcGraceMs + 100);
    await sys.runLifecycle();
    const objects = await sys.cold.bucket.list(OBJECTS.runsRoot);
    for (const id of holding) assert.ok(!objects.some((o) => o.key.startsWith(OBJECTS.runPrefix(id))), `objects of ${id} remain`);
    const liveIds = new Set((await sys.dataPlane.manifests.read()).runs.map((r) => r.id));
    for (const o of objects) assert.ok(liveIds.has(o.key.split('/')[1]!), `${o.key} belongs to no run`);
  });
});

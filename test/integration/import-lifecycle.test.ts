/**
 * An imported run in the lifecycle: offloads and compactions treat it like any run.
 * Untimed imported records lose to live writes and deletes made before and after, timed
 * ones win or lose by their version; all of it survives compaction (which drops the
 * tombstones once the import, the oldest run, is in the merge). Manual clock.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { LocalSystem } from '../../local/system.ts';
import { ndjson, startImport, waitForImport } from '../support/imports.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('implc', { rangeBytes: 16 << 10, spillBytes: 64 << 10 });

describe('an imported run in the lifecycle', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 9, 0, 0) + 500);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('is compacted with offloaded runs, and every read still equals the model', async () => {
    const model = new Model();
    const rng = prng(21);
    const pks = ['team-000', 'team-001', 'team-002'];
    const writer = directWriter(sys.dataPlane, model);
    // A period of live writes (puts and deletes) to the keys the import will also hold.
    await randomWrites(writer, rng, pks, 200, 'live-before');
    clock.advance(SETTINGS.periodMs);
    await sys.runLifecycle();

    let order = 0;
    const f = ndjson(model, rng, 3000, { pks: 3, sks: 120, order: () => ++order, sk: (n) => `k${String(n).padStart(3, '0')}` });
    const id = await startImport(sys.url, [f.text]);
    const status = await waitForImport(sys.url, id);
    assert.equal(status.state, 'succeeded', status.cause);

    for (let i = 0; i < 6; i++) {
      await randomWrites(writer, rng, pks, 100, `live-${i}`);
      clock.advance(SETTINGS.periodMs);
      assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    }
    clock.advance(SETTINGS.gcGraceMs + 100);
    await sys.runLifecycle();
    const m = await sys.dataPlane.manifests.read();
    assert.ok(!m.runs.some((r) => r.id === status.run), 'the import run was compacted into another');
    assert.ok(m.runs.some((r) => r.tier === 'cold' && r.level >= 2));
    await assertReadsMatch(sys.url, model, rng, { pageSize: 100 });
  });
});

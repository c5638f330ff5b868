/**
 * "Any downtime of the batch processing layer only results in extra storage cost, not in
 * unavailability or data loss": with the lifecycle stopped (rotation on its own schedule),
 * writes and reads go on without an error for as long as the horizon lasts; when the
 * lifecycle comes back, the backlog is offloaded oldest first and reads equal the model.
 * The schedules pause and resume as an operator disables an EventBridge rule.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RotateOutput } from '../../lambda/rotate/handler.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import { startLocal, type LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, ManualClock, Model, prng, tinyStore } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

describe('the lifecycle stopped for less than the horizon', () => {
  const SETTINGS = tinyStore('avail', { rotateAhead: 7 });
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const model = new Model();
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('keeps writes and reads working with no error, then offloads the backlog oldest first', async () => {
    const rotate = () => sys.tasks[arnPlaceholder('rotate')]!({ source: 'aws.events' }) as Promise<RotateOutput>;
    assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const api = client(sys.url);
    const rng = prng(3);
    const stopped = 6;
    for (let p = 0; p < stopped; p++) {
      for (let i = 0; i < 20; i++) {
        const pk = `t${Math.floor(rng() * 3)}`;
        const sk = `e${Math.floor(rng() * 40)}`;
        const r = await api.put(pk, sk, { p, i });
        assert.equal(r.status, 200, `period ${p}: ${JSON.stringify(r.body)}`);
        model.apply(pk, sk, r.body.seq, { p, i });
      }
      assert.equal((await api.query('t0', { limit: 1000 })).status, 200);
      clock.advance(SETTINGS.periodMs);
      // Only rotation runs, on its own schedule: the horizon holds.
      const r = await rotate();
      assert.equal(r.otherExecution, null);
      assert.equal((r as Extract<RotateOutput, { otherExecution: null }>).horizonPeriods, SETTINGS.rotateAhead);
    }
    const before = await sys.dataPlane.manifests.read();
    assert.equal(before.runs.filter((r) => r.tier === 'cold').length, 0, 'nothing offloaded while stopped');

    clock.advance(SETTINGS.sealGraceMs + 1);
    // Back on: each execution offloads up to four sealed periods, until none is left.
    const sealed = (m: typeof before) => m.runs.filter((r) => r.tier === 'hot' && r.periodEnd + SETTINGS.sealGraceMs <= clock.now());
    for (let i = 0; i < 4 && sealed(await sys.dataPlane.manifests.read()).length > 0; i++) assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const after = await sys.dataPlane.manifests.read();
    assert.deepEqual(sealed(after), []);
    // Each sealed period's offload commit, in order of the versions that made them.
    const offloaded: number[] = [];
    for (let v = before.version + 1; v <= after.version; v++) {
      const h = await sys.dataPlane.manifests.history(v);
      if (h?.edit?.kind === 'offload') offloaded.push(before.runs.find((r) => r.id === h.edit!.remove[0])!.periodStart);
    }
    assert.ok(offloaded.length >= stopped, `${offloaded.length} periods offloaded`);
    assert.deepEqual(
      offloaded,
      [...offloaded].sort((a, b) => a - b),
      'oldest first',
    );
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 30, ranges: 2 });
  });
});

describe('schedules, paused and resumed like EventBridge rules', () => {
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startLocal({ dataDir: undefined, port: 0, settings: tinyStore('sched', { periodMs: 1000 }), retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(sys.url + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    // Parsed here, not by res.json(): jest runs tests in a VM context, and fetch's objects come from Node's own realm, which deepStrictEqual tells apart.
    return { status: res.status, body: JSON.parse(await res.text()) as Record<string, unknown> };
  };
  const lifecycleRuns = () => sys.stepFunctions.executions().filter((e) => e.stateMachine === 'sched-lifecycle').length;

  it('lists both schedules, pauses the lifecycle while rotation goes on, and resumes it', async () => {
    const list = await call('GET', '/local/schedules');
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body.schedules as { name: string; enabled: boolean }[]).map((s) => [s.name, s.enabled]),
      [
        ['lifecycle', true],
        ['rotation', true],
      ],
    );

    const paused = await call('POST', '/local/schedules/lifecycle', { enabled: false });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.enabled, false);
    await sleep(400);
    const runsWhilePaused = lifecycleRuns();
    const rotations = sys.schedules.rotation.status().runs;
    await sleep(1200);
    assert.equal(lifecycleRuns(), runsWhilePaused, 'no lifecycle execution starts while paused');
    assert.ok(sys.schedules.rotation.status().runs > rotations, 'rotation keeps running');

    assert.equal((await call('POST', '/local/schedules/lifecycle', { enabled: true })).body.enabled, true);
    await sleep(1200);
    assert.ok(lifecycleRuns() > runsWhilePaused, 'the lifecycle resumed');
  });

  it('rejects a bad request with a clear error and changes nothing', async () => {
    for (const body of [{}, { enabled: 'no' }, { enabled: true, extra: 1 }]) {
      const r = await call('POST', '/local/schedules/rotation', body);
      assert.equal(r.status, 400);
      assert.equal((r.body.error as { code: string }).code, 'InvalidSchedule');
    }
    assert.equal(sys.schedules.rotation.enabled, true);
    const missing = await call('POST', '/local/schedules/compaction', { enabled: false });
    assert.equal(missing.status, 404);
    assert.equal((missing.body.error as { code: string }).code, 'NotFound');
  });
});

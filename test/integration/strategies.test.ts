/**
 * The multi-strategy policy on the embedded system, through the real lifecycle: after a storm
 * of deletes, sparse runs are rewritten in their own place and under-filled ones packed (runs
 * of different spans merged), each verified and committed like any compaction, charged to its
 * strategy in the manifest; reads equal the model after every period, and the store ends
 * smaller than the logarithmic merge would leave it.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { isRewrittenId } from '../../lambda/core/compaction.ts';
import type { LocalStepFunctions } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import { clockedSystem } from '../support/clocked.ts';
import {
  assertReadsMatch,
  assertSettled,
  directWriter,
  httpWriter,
  ManualClock,
  Model,
  prng,
  tinyStore,
  withFaults,
  type Fault,
} from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const PKS = ['a', 'b', 'c', 'd'];

describe('several compaction strategies', () => {
  const settings = tinyStore('multi', { periodMs: 60_000, sealGraceMs: 2_000, gcGraceMs: 4_000, maxLevel: 3, compaction: 'multi' });
  const h = clockedSystem(settings, Date.UTC(2026, 10, 23, 12, 0, 0) + 5_000);

  it('rewrites sparse runs and packs under-filled ones after a storm of deletes, reads unchanged', async () => {
    const model = new Model();
    const rng = prng(17);
    const writer = httpWriter(h.sys.url, model);
    // Twelve periods of appends: level-3 runs (never merged again: maxLevel 3) and smaller ones.
    let n = 0;
    for (let p = 0; p < 12; p++) {
      const ops = Array.from({ length: 60 }, () => ({ pk: PKS[n % PKS.length]!, sk: `k${String(n++).padStart(5, '0')}`, value: { p, note: 'x'.repeat(60) } }));
      for (let i = 0; i < ops.length; i += 20) await writer.write(ops.slice(i, i + 20));
      await h.nextPeriod();
    }
    const before = await h.sys.dataPlane.manifests.read();
    // The storm: most of what is stored is deleted.
    for (const pk of PKS) {
      const dead = model
        .live(pk)
        .filter(() => rng() < 0.7)
        .map((x) => ({ pk, sk: x.sk, value: undefined }));
      for (let i = 0; i < dead.length; i += 20) await writer.write(dead.slice(i, i + 20));
    }
    for (let p = 0; p < 8; p++) {
      await h.nextPeriod();
      h.sys.refreshManifests();
      await assertReadsMatch(h.sys.url, model, rng, { gets: 10, ranges: 1, pageSize: 50 });
    }
    const after = await h.sys.dataPlane.manifests.read();
    const strategies = new Set((after.spent ?? []).map((s) => s.strategy));
    assert.ok(strategies.has('rewrite') && strategies.has('packing'), JSON.stringify(after.spent));
    assert.ok(
      after.runs.some((r) => r.madeBy === 'rewrite' || r.madeBy === 'packing'),
      JSON.stringify(after.runs.map((r) => [r.id, r.madeBy])),
    );
    const coldBytes = (m: typeof after): number => m.runs.filter((r) => r.tier === 'cold').reduce((a, r) => a + r.bytes, 0);
    assert.ok(coldBytes(after) < coldBytes(before), `${coldBytes(after)} bytes stored after, ${coldBytes(before)} before the storm`);
  });
});

describe('crash injection into rewrites and packings', () => {
  const settings = tinyStore('rwfaults', { compaction: 'multi', maxLevel: 2 });
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const model = new Model();
  const rng = prng(23);
  let sys: LocalSystem;
  let sfn: LocalStepFunctions;
  let current: Fault | undefined;
  let n = 0;

  beforeAll(async () => {
    sys = await startTestSystem(settings, { clock: clock.now, retryIntervalMs: 0 });
    sfn = sys.runnerWith(
      withFaults(sys.tasks, () => current),
      { retryIntervalMs: 0 },
    );
  });
  afterAll(() => sys.stop());

  const run = () => sfn.start('lifecycle').done;
  // Only the tasks of a rewrite's or a packing's job.
  const ofRewrite = (input: unknown): boolean => isRewrittenId(String((input as { runId?: unknown } | undefined)?.runId ?? ''));

  for (const step of ['compact:merge', 'verify:range', 'verify:compact', 'commit:compact']) {
    for (const [when, mode] of [
      ['before', 'once'],
      ['after', 'once'],
      ['after', 'always'],
    ] as const) {
      it(`${step} of a rewrite or packing: crash ${when} its writes, ${mode === 'once' ? 'once' : 'on every attempt'}`, async () => {
        const fault: Fault = { step, when, mode, only: ofRewrite, fired: 0 };
        current = fault;
        const writer = directWriter(sys.dataPlane, model);
        let r;
        // Periods of appends, then a storm of deletes, until a rewrite or packing has run.
        for (let i = 0; fault.fired === 0 && i < 12; i++) {
          const ops = Array.from({ length: 40 }, () => ({
            pk: PKS[n % PKS.length]!,
            sk: `k${String(n++).padStart(5, '0')}`,
            value: { n, note: 'y'.repeat(40) },
          }));
          await writer.write(ops);
          if (i % 3 === 2) {
            for (const pk of PKS) {
              const dead = model
                .live(pk)
                .filter(() => rng() < 0.7)
                .map((x) => ({ pk, sk: x.sk, value: undefined }));
              for (let j = 0; j < dead.length; j += 25) await writer.write(dead.slice(j, j + 25));
            }
          }
          clock.advance(settings.periodMs);
          r = await run();
        }
        current = undefined;
        assert.ok(fault.fired > 0, `no rewrite or packing reached ${step}`);
        if (mode === 'once') assert.equal(r!.status, 'SUCCEEDED', `${r!.error}: ${String(r!.cause)}`);
        else assert.equal(r!.error, 'LifecycleFailed', String(r!.cause));
        const again = await run();
        assert.equal(again.status, 'SUCCEEDED', `${again.error}: ${String(again.cause)}`);
        clock.advance(settings.gcGraceMs + 100);
        assert.equal((await run()).status, 'SUCCEEDED');
        await assertSettled(sys, settings);
        sys.refreshManifests();
        await assertReadsMatch(sys.url, model, rng, { gets: 8, ranges: 1, pageSize: 100 });
      });
    }
  }
});

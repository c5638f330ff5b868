/**
 * Crash injection: every step of the lifecycle, crashing before it does anything and after
 * all its writes, once (a Step Functions retry recovers within the execution) and on every
 * attempt (the execution fails; the next one converges). After each, the store settles to
 * the state the policy prescribes, nothing is orphaned, and every read equals the model.
 * Time is a manual clock, so periods pass instantly.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { LocalStepFunctions } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import {
  assertReadsMatch,
  assertSettled,
  directWriter,
  LIFECYCLE_STEPS,
  ManualClock,
  Model,
  prng,
  randomWrites,
  withFaults,
  type Fault,
  tinyStore,
} from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

// Two periods ahead (the least): each execution creates fewer tables, and every step is still crashed.
const SETTINGS = tinyStore('faults', { rotateAhead: 2 });

describe('crash injection into every lifecycle step', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const model = new Model();
  const rng = prng(4);
  const pks = ['tenant-a', 'tenant-b', 'tenant-c'];
  let sys: LocalSystem;
  let sfn: LocalStepFunctions;
  let current: Fault | undefined;

  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
    sfn = sys.runnerWith(
      withFaults(sys.tasks, () => current),
      { retryIntervalMs: 0 },
    );
  });
  afterAll(() => sys.stop());

  const run = () => sfn.start('lifecycle').done;

  for (const step of LIFECYCLE_STEPS) {
    for (const [when, mode] of [
      ['before', 'once'],
      ['after', 'once'],
      ['after', 'always'],
    ] as const) {
      it(`${step}: crash ${when} its writes, ${mode === 'once' ? 'once' : 'on every attempt'}`, async () => {
        const fault: Fault = { step, when, mode, fired: 0 };
        current = fault;
        const writer = directWriter(sys.dataPlane, model);
        let r;
        // Periods of writes until the step has run (compaction steps need two offloads).
        for (let i = 0; fault.fired === 0 && i < 4; i++) {
          await randomWrites(writer, rng, pks, 30, `${step}-${when}-${mode}-${i}`);
          clock.advance(SETTINGS.periodMs);
          r = await run();
        }
        current = undefined;
        assert.ok(fault.fired > 0, `${step} never ran`);
        if (mode === 'once') assert.equal(r!.status, 'SUCCEEDED', `${r!.error}: ${String(r!.cause)}`);
        else {
          assert.equal(r!.status, 'FAILED');
          assert.equal(r!.error, 'LifecycleFailed', String(r!.cause));
        }
        // The next execution converges; one more after gcGrace collects what it released.
        const again = await run();
        assert.equal(again.status, 'SUCCEEDED', `${again.error}: ${String(again.cause)}`);
        clock.advance(SETTINGS.gcGraceMs + 100);
        assert.equal((await run()).status, 'SUCCEEDED');
        await assertSettled(sys, SETTINGS);
        // Pages of 100: cursors still cross pages, and the partitions grow over the 45 cases.
        await assertReadsMatch(sys.url, model, rng, { gets: 8, ranges: 1, pageSize: 100 });
      });
    }
  }
});

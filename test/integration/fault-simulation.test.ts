/**
 * A few seeds of the seeded fault simulation (crashes before and after any task, duplicate
 * deliveries, overlapping executions, pauses, GC early and late, readers with old manifests);
 * `npm run simulate -- --faults --seeds 1000` runs many more.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { runSeed } from '../support/fault-simulation.ts';

describe('seeded simulation of crashes and races', () => {
  for (const seed of [101, 202, 303]) {
    it(`seed ${seed}: settles with reads equal to the model, nothing orphaned, every run verified`, async () => {
      const r = await runSeed(seed);
      assert.ok(r.ok, `seed ${seed} (npm run simulate -- --faults --from ${seed} --seeds 1): ${r.error}`);
      assert.ok(r.executions > 0 && r.steps >= 10);
    });
  }
});

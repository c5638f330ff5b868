/**
 * Crash injection into every step of the import state machine: once (a retry recovers) and
 * on every attempt (the import fails, says why, and committing it again finishes it). Either
 * way the run is committed once, nothing is lost or doubled, and reads equal the model.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { LocalSystem } from '../../local/system.ts';
import { ndjson, startImport, waitForImport } from '../support/imports.ts';
import { assertReadsMatch, Model, prng, withFaults, type Fault } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

const STEPS = [
  'importer:prepare',
  'importer:parse',
  'importer:check',
  'importer:merge',
  'verify:range',
  'verify:import',
  'commit:import',
  'importer:finish',
] as const;

describe('crash injection into every import step', () => {
  let sys: LocalSystem;
  let current: Fault | undefined;
  let order = 0;
  beforeAll(async () => {
    sys = await startTestSystem(
      { prefix: 'impf', spillBytes: 64 << 10, rangeBytes: 16 << 10, blockBytes: 2048, blobBytes: 8192 },
      { retryIntervalMs: 0, wrapTasks: (t) => withFaults(t, () => current) },
    );
  });
  afterAll(() => sys.stop());

  let n = 0;
  for (const step of STEPS) {
    for (const mode of ['once', 'always'] as const) {
      it(`${step}: crash after its work, ${mode === 'once' ? 'once' : 'on every attempt'}`, async () => {
        const rng = prng(++n);
        // Each import its own partitions, so the model can tell them apart; a few keys repeat.
        const local = new Model();
        const f = ndjson(local, rng, 3000, { pks: 3, sks: 2500, order: () => ++order });
        const text = f.text.replaceAll('"team-', `"case${n}-`);
        const fault: Fault = { step, when: 'after', mode, fired: 0 };
        current = fault;
        const id = await startImport(sys.url, [text]);
        const first = await waitForImport(sys.url, id);
        current = undefined;
        assert.ok(fault.fired > 0, `${step} never ran`);
        if (mode === 'once') assert.equal(first.state, 'succeeded', first.cause);
        else if (step === 'importer:finish' || step === 'commit:import') {
          // The records were committed before the crash: the import is done, though its execution failed.
          assert.equal(first.state, 'succeeded');
          if (step === 'commit:import') assert.match(first.cause!, /committed \d+ records, but a later step failed: InjectedCrash/);
        } else {
          assert.equal(first.state, 'failed');
          assert.match(first.cause!, /InjectedCrash/);
          const again = await client(sys.url).call('POST', `/v1/imports/${id}/commit`, {});
          assert.equal(again.status, 202);
          const second = await waitForImport(sys.url, id);
          assert.equal(second.state, 'succeeded', second.cause);
          assert.equal(second.attempts, 2);
        }
        // Committed once: one run for the import, holding each distinct key once.
        sys.refreshManifests();
        const runs = (await sys.dataPlane.manifests.read()).runs.filter((r) => r.id === `i-${id}`);
        assert.equal(runs.length, 1);
        const distinct = local.pks().reduce((a, pk) => a + local.live(pk).length, 0);
        assert.equal(runs[0]!.count, distinct);
        const status = await waitForImport(sys.url, id);
        if (step !== 'commit:import' || mode === 'once') {
          assert.equal(status.counts!.records, distinct);
          assert.equal(status.counts!.records + status.counts!.duplicates, 3000);
        }
        const mine = new Model();
        for (const pk of local.pks()) for (const { sk, value } of local.live(pk)) mine.apply(pk.replace('team-', `case${n}-`), sk, 1, value);
        await assertReadsMatch(sys.url, mine, rng, { gets: 10, ranges: 1, pageSize: 500 });
      });
    }
  }
});

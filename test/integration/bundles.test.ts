/**
 * The deployable units as built: each function's bundle from the synthesized assembly (what
 * `cdk deploy` uploads), loaded alone from an empty folder as Lambda loads it, with its role's
 * key, driven through the HTTP API (payload 2.0 events) and through full lifecycle executions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { UNITS, type UnitName } from '../../lambda/units.ts';
import type { LocalSystem } from '../../local/system.ts';
import { tinyStore } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

describe('the bundles that deploy', () => {
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(tinyStore('bun', { periodMs: 1000, sealGraceMs: 100, gcGraceMs: 200 }), { runtime: 'bundles', retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('bundles the AWS SDK into every function and loads each from an empty folder', () => {
    for (const u of Object.keys(UNITS) as UnitName[]) {
      const b = sys.bundles![u];
      assert.ok(b.bytes > 100_000, `${u}: ${b.bytes} bytes`);
      const code = readFileSync(join(sys.stack.functions[u].assetDir, 'index.js'), 'utf8');
      // The SDK's clients are inside the bundle, not required from the runtime's copy.
      assert.doesNotMatch(code, /require\(["']@aws-sdk\/client-/, `${u} must not load the SDK from the runtime`);
      assert.ok(b.loadMs > 0);
    }
  });

  it('serves the API and runs the lifecycle from the bundles: offloaded, compacted, read back', async () => {
    const api = client(sys.url);
    const written = new Map<string, number>();
    // Three periods of writes, each offloaded after it seals; two level-0 runs compact into one.
    for (let period = 0; period < 3; period++) {
      for (let i = 0; i < 40; i++) {
        const sk = `e${String((period * 40 + i) % 70).padStart(3, '0')}`;
        for (;;) {
          const r = await api.put('team', sk, { period, i });
          if (r.status === 200) {
            written.set(sk, period * 1000 + i);
            break;
          }
          // The next period's table may still be rotating in: 503 with Retry-After, as on AWS.
          assert.equal(r.status, 503, JSON.stringify(r.body));
          await sleep(50);
        }
      }
      await sleep(1300);
      const exec = await sys.runLifecycle();
      assert.equal(exec.status, 'SUCCEEDED');
    }
    await sleep(1300);
    await sys.runLifecycle();
    const m = await sys.dataPlane.manifest();
    const cold = m.runs.filter((r) => r.tier === 'cold');
    assert.ok(cold.length >= 1, JSON.stringify(m.runs.map((r) => r.id)));
    assert.ok(cold.some((r) => r.level >= 1), `a compaction ran: ${cold.map((r) => r.id).join(', ')}`);
    sys.refreshManifests();
    const page = await api.query('team', { limit: 1000 });
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.items.map((it) => [it.sk, (it.value as { period: number; i: number }).period * 1000 + (it.value as { i: number }).i]),
      [...written].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    assert.deepEqual(sys.iam.denied(), []);
  });
});

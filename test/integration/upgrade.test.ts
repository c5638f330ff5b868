/**
 * Upgrades in flight: `cdk deploy` replaces the functions while executions of the previous
 * release's state machine definitions are running. Here a lifecycle execution and an import
 * run the definitions of release 0.1.0 (test/fixtures/statemachines/0.1.0/, whose task
 * inputs carry no contract version), start on one build of the functions (the deployable
 * bundles) and are switched mid-execution to another (this release's handlers from source,
 * new instances with nothing cached): every execution succeeds and the store reads as its
 * model says.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { bufferSource, uploadAndCommit } from '../../bin/import-files.ts';
import { AlkiClient } from '../../client/index.ts';
import { unitOfPlaceholder } from '../../lambda/units.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import { localTaskHandlers } from '../../local/tasks.ts';
import { assertReadsMatch, httpWriter, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const RELEASE = '0.1.0';
const definition = (m: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/statemachines/${RELEASE}/${m}.asl.json`, import.meta.url), 'utf8'));
const SETTINGS = tinyStore('upg', { periodMs: 1000, sealGraceMs: 100, gcGraceMs: 200 });

/** Task handlers served by one build until the switch, then by the other; which build served which unit. */
class Builds {
  build: 'bundles' | 'source' = 'bundles';
  calls = 0;
  switchAt = Infinity;
  readonly served = { bundles: new Set<string>(), source: new Set<string>() };
  bundles: Readonly<Record<string, TaskHandler>> = {};
  source: Readonly<Record<string, TaskHandler>> = {};

  wrap(bundles: Readonly<Record<string, TaskHandler>>): Record<string, TaskHandler> {
    this.bundles = bundles;
    return Object.fromEntries(
      Object.keys(bundles).map((p): [string, TaskHandler] => [
        p,
        (input) => {
          if (++this.calls >= this.switchAt) this.build = 'source';
          this.served[this.build].add(unitOfPlaceholder(p)!);
          return (this.build === 'bundles' ? this.bundles : this.source)[p]!(input);
        },
      ]),
    );
  }

  /** From now: the bundles, then, after `after` more task invocations, the source handlers. */
  startOver(after: number): void {
    this.build = 'bundles';
    this.switchAt = this.calls + after;
    this.served.bundles.clear();
    this.served.source.clear();
  }
}

describe(`an upgrade from release ${RELEASE} in flight`, () => {
  const builds = new Builds();
  const model = new Model();
  const rng = prng(33);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, {
      runtime: 'bundles',
      retryIntervalMs: 0,
      definitions: { lifecycle: definition('lifecycle'), import: definition('import') },
      wrapTasks: (t) => builds.wrap(t),
    });
    // The new build runs in this process, where its metrics would print among the test's output (each bundle keeps its own).
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    builds.source = localTaskHandlers((u) => sys.envOf(u));
    sys.schedules.rotation.start();
  });
  afterAll(async () => {
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    await sys.stop();
  });

  it('finishes a lifecycle execution of the previous definition on the new functions: offloaded, read back', async () => {
    const writer = httpWriter(sys.url, model);
    await randomWrites(writer, rng, ['tenant-a', 'tenant-b'], 80, 'before');
    // Sealed, so the execution offloads it.
    await sleep(SETTINGS.periodMs + SETTINGS.sealGraceMs + 50);
    const before = (await sys.manifests.read()).runs.filter((r) => r.tier === 'cold').length;
    // Rotate, plan and prepare on the bundles; the scans, merges, verification and commit on the new handlers.
    builds.startOver(4);
    const r = await sys.runLifecycle();
    assert.equal(r.status, 'SUCCEEDED');
    assert.ok(builds.served.bundles.has('rotate') && builds.served.bundles.has('offload'), JSON.stringify([...builds.served.bundles]));
    assert.ok(
      builds.served.source.has('offload') && builds.served.source.has('verify') && builds.served.source.has('commit'),
      JSON.stringify([...builds.served.source]),
    );
    assert.ok((await sys.manifests.read()).runs.filter((x) => x.tier === 'cold').length > before, 'a period offloaded');
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { ranges: 2, pageSize: 11 });
  });

  it('finishes an import of the previous definition on the new functions', async () => {
    const client = new AlkiClient({ url: sys.url });
    const lines = Array.from({ length: 300 }, (_, i) => ({ pk: 'imported', sk: `k${String(i).padStart(4, '0')}`, value: { i } }));
    // The import's prepare and first chunks on the bundles, the rest (merge, verify, commit, finish) on the new handlers.
    builds.startOver(3);
    const id = await uploadAndCommit(client, [bufferSource('old.ndjson', Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'))]);
    const s = await client.waitForImport(id, { pollMs: 50 });
    assert.equal(s.state, 'succeeded', s.cause);
    assert.ok(builds.served.bundles.has('importer'), JSON.stringify([...builds.served.bundles]));
    assert.ok(builds.served.source.has('commit'), JSON.stringify([...builds.served.source]));
    for (const l of lines) model.apply(l.pk, l.sk, 0, l.value);
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { ranges: 2, pageSize: 50 });
  });
});

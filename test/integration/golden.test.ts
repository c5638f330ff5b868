/**
 * Golden stores (test/fixtures/golden/<release>.json, test/support/golden.ts): the items and
 * objects of a small store each release wrote, loaded into the embedded system as they are.
 * This release must read every one of them: gets, queries both ways in pages, reads at the
 * checkpoint it holds, an export of that checkpoint; run its lifecycle over them; and compact
 * them with what it writes itself. A change of a persisted format without a new version and a reader of the old one
 * fails here. Every release keeps the earlier releases' files and adds its own
 * (`node test/support/make-golden.ts <release>`).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { compareKeys, encodeKey } from '../../lambda/core/keys.ts';
import { OBJECTS } from '../../lambda/core/schema.ts';
import { recoverStore } from '../../lambda/recover/from-env.ts';
import type { LocalSystem } from '../../local/system.ts';
import { load, modelOf, type GoldenStore } from '../support/golden.ts';
import { assertReadsMatch, directWriter, ManualClock, prng, randomWrites } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

const DIR = new URL('../fixtures/golden/', import.meta.url);
const RELEASES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe.each(RELEASES)('the golden store of release %s', (file) => {
  const g = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as GoldenStore;
  const clock = new ManualClock(g.now);
  const model = modelOf(g.model);
  const rng = prng(7);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(g.settings, { clock: clock.now, retryIntervalMs: 0 });
    await load(sys, g);
  });
  afterAll(() => sys.stop());

  it('reads as its model says: every key, queries both ways in pages', async () => {
    const m = await sys.dataPlane.manifests.read();
    assert.ok(
      m.runs.some((r) => r.level >= 2),
      'runs of several levels',
    );
    assert.ok(
      m.runs.some((r) => r.id.startsWith('i-')),
      'an imported run',
    );
    await assertReadsMatch(sys.url, model, rng, { ranges: 3, pageSize: 7 });
  });

  it("reads at its checkpoint as the checkpoint's model says", async () => {
    const at = modelOf(g.checkpoint.model);
    const api = client(sys.url);
    for (const { pk, sk } of g.checkpoint.model) {
      const r = await api.call<{ value: unknown }>('GET', `${api.item(pk, sk)}?checkpoint=${g.checkpoint.id}`);
      const want = at.get(pk, sk);
      if (want === undefined) assert.equal(r.status, 404, `${pk}/${sk} at the checkpoint`);
      else assert.deepEqual([r.status, r.body.value], [200, want], `${pk}/${sk} at the checkpoint`);
    }
    // The store has moved on since: some key reads otherwise now.
    assert.ok(g.checkpoint.model.some(({ pk, sk }) => JSON.stringify(at.get(pk, sk)) !== JSON.stringify(model.get(pk, sk))));
  });

  it("exports its checkpoint: every live record once, in key order, as the checkpoint's model says", async () => {
    const api = client(sys.url);
    const started = await api.call<{ id: string }>('POST', '/v1/exports', { format: 'ndjson', checkpoint: g.checkpoint.id });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    let report: { state: string; objects: { url: string }[]; cause?: string } | undefined;
    for (let i = 0; i < 600 && (!report || report.state === 'running'); i++) {
      if (report) await new Promise((r) => setTimeout(r, 50));
      report = (await api.call<NonNullable<typeof report>>('GET', `/v1/exports/${started.body.id}`)).body;
    }
    assert.equal(report!.state, 'succeeded', report!.cause);
    const lines: { pk: string; sk: string; seq: number; value: unknown }[] = [];
    for (const o of report!.objects) {
      const text = gunzipSync(Buffer.from(await (await fetch(o.url)).arrayBuffer())).toString('utf8');
      lines.push(
        ...text
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as (typeof lines)[number]),
      );
    }
    const want = g.checkpoint.model.filter((r) => r.value !== undefined).sort((a, b) => compareKeys(encodeKey(a.pk, a.sk), encodeKey(b.pk, b.sk)));
    assert.deepEqual(
      lines,
      want.map(({ pk, sk, seq, value }) => ({ pk, sk, seq, value })),
    );
  });

  it('runs its lifecycle over it, compacts it with new periods of this release, and still reads as the model says', async () => {
    // Its checkpoint pins runs compaction replaced: deleted, they are collected too.
    assert.equal((await client(sys.url).call('DELETE', `/v1/checkpoints/${g.checkpoint.id}`)).status, 204);
    const before = (await sys.dataPlane.manifests.read()).runs.filter((r) => r.tier === 'cold').map((r) => r.id);
    const writer = directWriter(sys.dataPlane, model);
    for (let p = 0; p < 4; p++) {
      await randomWrites(writer, rng, ['tenant-a', 'tenant-d'], 40, `new${p}`);
      clock.advance(g.settings.periodMs);
      assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    }
    clock.advance(g.settings.sealGraceMs + g.settings.gcGraceMs + 1);
    for (let i = 0; i < 3; i++) assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const after = (await sys.dataPlane.manifests.read()).runs.filter((r) => r.tier === 'cold');
    assert.ok(
      before.some((id) => !after.some((r) => r.id === id)),
      'a golden run was compacted into a run of this release',
    );
    // (Not assertSettled: its invariant of periods covered in order leaves imported runs out.)
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { ranges: 2, pageSize: 25 });
  });
});

// Releases from 0.2.0 keep a snapshot of each manifest version in the bucket: their stores are recovered from it.
const WITH_SNAPSHOTS = RELEASES.filter((f) =>
  (JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as GoldenStore).objects.some((o) => o.key.startsWith(OBJECTS.manifestsRoot)),
);

describe.each(WITH_SNAPSHOTS)('the golden store of release %s, its index table lost', (file) => {
  const g = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as GoldenStore;
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(g.settings, { clock: new ManualClock(g.now).now, retryIntervalMs: 0 });
    await load(sys, g);
  });
  afterAll(() => sys.stop());

  it('is recovered from its bucket alone and reads as its model says', async () => {
    const runs = (await sys.manifests.read()).runs;
    await sys.store.ddb.send(new DeleteTableCommand({ TableName: sys.store.indexTable }));
    const report = await recoverStore(sys.env, { createTable: true });
    assert.deepEqual(report.failed, []);
    assert.deepEqual(
      (await sys.manifests.read()).runs.map((r) => r.id),
      runs.map((r) => r.id),
    );
    sys.refreshManifests();
    await assertReadsMatch(sys.url, modelOf(g.model), prng(9), { ranges: 3, pageSize: 13 });
  });
});

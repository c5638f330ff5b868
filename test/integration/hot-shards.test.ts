/**
 * Write sharding of the hot tables on the embedded system, through the HTTP API: one pk is
 * spread over the table's shards; range queries merge them in key order in both directions
 * with cursors that survive pages (a property test against a model); point reads,
 * conditional writes and offload see one item per key; a change of the shard count applies
 * to tables created afterwards, and reads and writes go on across tables of both counts.
 */
import assert from 'node:assert/strict';
import { DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { hotPartitionKey } from '../../lambda/core/schema.ts';
import { rotate } from '../../lambda/rotate/rotate.ts';
import { autoScalingClientFrom } from '../../lambda/store/clients.ts';
import { TableScaling } from '../../lambda/store/table-scaling.ts';
import { clockedSystem } from '../support/clocked.ts';
import { tinyStore } from '../support/lifecycle.ts';
import { HotTableAdmin } from '../../lambda/store/hot-table-admin.ts';

const SETTINGS = tinyStore('shard', { periodMs: 60_000, sealGraceMs: 2_000, gcGraceMs: 4_000, hotShards: 4 });

type Model = Map<string, unknown>;

/** What a query answers by the model: sks of `pk` in [from, to), in order. */
function expected(model: Model, from: string | undefined, to: string | undefined, order: 'asc' | 'desc'): string[] {
  const sks = [...model.keys()].filter(
    (sk) =>
      (from === undefined || Buffer.compare(Buffer.from(sk), Buffer.from(from)) >= 0) &&
      (to === undefined || Buffer.compare(Buffer.from(sk), Buffer.from(to)) < 0),
  );
  sks.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return order === 'asc' ? sks : sks.reverse();
}

describe('hot tables sharded by key', () => {
  const h = clockedSystem(SETTINGS, Date.UTC(2026, 10, 23, 10, 0, 0) + 500);

  const currentRun = async () =>
    (await h.sys.dataPlane.manifests.read()).runs.find((r) => r.tier === 'hot' && r.periodStart <= h.clock.now() && h.clock.now() < r.periodEnd)!;

  it('spreads one pk over every shard of its table, recorded in the key schema and the manifest', async () => {
    for (let i = 0; i < 10; i++) {
      const items = Array.from({ length: 10 }, (_, j) => ({
        pk: 'team-1',
        sk: `2026-11-23T10:00:${String(i * 10 + j).padStart(2, '0')}Z`,
        value: { n: i * 10 + j },
      }));
      assert.equal((await h.api.call('POST', '/v1/batch/write', { items })).status, 200);
    }
    const run = await currentRun();
    assert.equal(run.shards, 4);
    const t = (await h.sys.store.ddb.send(new DescribeTableCommand({ TableName: run.table }))).Table!;
    assert.equal(t.KeySchema!.find((k) => k.KeyType === 'HASH')!.AttributeName, hotPartitionKey(4));
    const items = (await h.sys.store.ddb.send(new ScanCommand({ TableName: run.table }))).Items!;
    const partitions = new Set(items.filter((x) => x.pk!.S === 'team-1').map((x) => x[hotPartitionKey(4)]!.S));
    assert.deepEqual([...partitions].sort(), ['0#team-1', '1#team-1', '2#team-1', '3#team-1']);
    // A point read, a query across shards, a conditional write: each sees the one item of its key.
    assert.deepEqual((await h.api.get('team-1', '2026-11-23T10:00:42Z')).body.value, { n: 42 });
    const page = await h.api.query('team-1', { limit: 1000 });
    assert.deepEqual(
      page.body.items.map((x) => (x.value as { n: number }).n),
      Array.from({ length: 100 }, (_, i) => i),
    );
    const cond = await fetch(h.sys.url + h.api.item('team-1', '2026-11-23T10:00:42Z'), { method: 'PUT', body: '{"n":-1}', headers: { 'if-none-match': '*' } });
    assert.equal(cond.status, 412);
  });

  it('answers range queries across shards as the model does, in both directions, page by page through cursors', async () => {
    let round = 0;
    const sk = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '#', '/', 'é', '😀'), minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ sk, del: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        fc.option(sk, { nil: undefined }),
        fc.option(sk, { nil: undefined }),
        fc.constantFrom('asc' as const, 'desc' as const),
        fc.integer({ min: 1, max: 7 }),
        async (ops, from, to, order, limit) => {
          const pk = `prop-${round++}`;
          const model: Model = new Map();
          for (const [i, op] of ops.entries()) {
            if (op.del) model.delete(op.sk);
            else model.set(op.sk, i);
          }
          const items = ops.map((op, i) => (op.del ? { pk, sk: op.sk, delete: true } : { pk, sk: op.sk, value: i }));
          for (let i = 0; i < items.length; i += 100)
            assert.equal((await h.api.call('POST', '/v1/batch/write', { items: items.slice(i, i + 100) })).status, 200);
          const got: [string, unknown][] = [];
          let cursor: string | undefined;
          for (let pages = 0; ; pages++) {
            assert.ok(pages <= ops.length + 1, 'the cursors end');
            const r = await h.api.query(pk, {
              order,
              limit,
              ...(from !== undefined ? { from } : {}),
              ...(to !== undefined ? { to } : {}),
              ...(cursor ? { cursor } : {}),
            });
            assert.equal(r.status, 200);
            assert.ok(r.body.items.length <= limit);
            got.push(...r.body.items.map((x): [string, unknown] => [x.sk, x.value]));
            cursor = r.body.cursor;
            if (!cursor) break;
          }
          const want = expected(model, from, to, order);
          assert.deepEqual(
            got.map(([s]) => s),
            want,
          );
          assert.deepEqual(
            got.map(([, v]) => v),
            want.map((s) => model.get(s)),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it('applies a new shard count to tables created afterwards only, and reads and writes across both', async () => {
    const before = await currentRun();
    const settings = { ...SETTINGS, hotShards: 2 };
    const deps = {
      tables: new HotTableAdmin(h.sys.store.ddb),
      manifests: h.sys.manifests,
      settings,
      scaling: new TableScaling(autoScalingClientFrom(h.sys.env)),
    };
    await rotate(deps, h.clock.now());
    const runs = (await h.sys.dataPlane.manifests.read()).runs.filter((r) => r.tier === 'hot');
    assert.equal(runs.find((r) => r.id === before.id)!.shards, 4, 'a registered table keeps its shards');
    // Tables rotation made ahead at 4 shards keep them; drop the later ones' registration to see new ones made at 2.
    const created = runs.filter((r) => r.periodStart > before.periodStart);
    assert.ok(
      created.every((r) => r.shards === 4),
      'tables created before the change keep their count',
    );
    await h.sys.manifests.commit({ kind: 'retention', remove: created.map((r) => r.id), add: [] });
    for (const r of created) await deps.tables.drop(r.table!);
    await rotate(deps, h.clock.now());
    const after = (await h.sys.dataPlane.manifests.read()).runs.filter((r) => r.tier === 'hot' && r.periodStart > before.periodStart);
    assert.ok(after.length > 0 && after.every((r) => r.shards === 2), 'tables created after the change have the new count');

    await h.api.put('team-2', 'a', 1);
    h.clock.advance(SETTINGS.periodMs);
    h.sys.dataPlane.refreshManifest();
    await h.api.put('team-2', 'b', 2);
    await h.api.put('team-2', 'a', 3);
    const q = await h.api.query('team-2', { order: 'desc' });
    assert.deepEqual(
      q.body.items.map((x) => [x.sk, x.value]),
      [
        ['b', 2],
        ['a', 3],
      ],
    );
    // And the lifecycle offloads both kinds of table into runs reads agree with.
    h.clock.advance(SETTINGS.periodMs);
    await h.sys.runLifecycle();
    const cold = await h.api.query('team-2', {});
    assert.deepEqual(
      cold.body.items.map((x) => [x.sk, x.value]),
      [
        ['a', 3],
        ['b', 2],
      ],
    );
    const p = await h.api.query('team-1', { limit: 1000 });
    assert.equal(p.body.items.length, 100);
  });
});

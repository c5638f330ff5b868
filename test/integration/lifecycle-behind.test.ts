/**
 * Reads when the lifecycle falls behind: with the lifecycle paused while rotation goes on,
 * sealed hot tables pile up, most of them empty. A read skips the sealed tables that never
 * received a write (ingest marks a table before its first write) and visits the others at
 * most POINT_READ_CONCURRENCY at once; reads stay equal to the model; /v1/status says how
 * many periods the lifecycle is behind; once it runs again, it offloads them all and GC
 * forgets their marks.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { INDEX_TABLE } from '../../lambda/core/schema.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import { WrittenTables } from '../../lambda/store/written-tables.ts';
import { clockedSystem } from '../support/clocked.ts';
import { tinyStore } from '../support/lifecycle.ts';
import { countCommands } from '../support/system.ts';

const MINUTE = 60_000;
const PERIODS = 40;
const SETTINGS = tinyStore('behind', { periodMs: MINUTE, sealGraceMs: 2_000, gcGraceMs: 4_000, hotShards: 4 });

describe('reads with the lifecycle behind', () => {
  const h = clockedSystem(SETTINGS, Date.UTC(2026, 10, 23, 10, 0, 0) + 500);

  it('skip the sealed tables never written, and say how far behind the lifecycle is', async () => {
    const model = new Map<string, number>();
    // Forty periods with the lifecycle paused (rotation alone, on its own schedule); writes in five of them.
    for (let p = 0; p < PERIODS; p++) {
      if (p % 8 === 3) {
        for (let i = 0; i < 5; i++) {
          const sk = `p${String(p).padStart(2, '0')}-${i}`;
          assert.equal((await h.api.put('team', sk, p * 10 + i)).status, 200);
          model.set(sk, p * 10 + i);
        }
      }
      h.clock.advance(MINUTE);
      await h.sys.tasks[arnPlaceholder('rotate')]!({ source: 'aws.events' });
    }
    h.sys.refreshManifests();
    const status = await h.api.call<{ lifecyclePeriodsBehind: number; writtenTables: number; hotTables: number; oldestNotOffloaded: string }>(
      'GET',
      '/v1/status',
    );
    assert.equal(status.status, 200);
    assert.ok(status.body.lifecyclePeriodsBehind >= PERIODS - 1, JSON.stringify(status.body));
    assert.equal(status.body.writtenTables, 5);

    // A point read visits the written tables (and the one taking writes now), not the empty ones.
    const ddb = countCommands(h.sys.functionStores.read.ddb as never);
    const got = await h.api.get('team', 'p19-2');
    assert.equal(got.body.value, 192);
    const gets = ddb.get('GetItemCommand') ?? 0;
    assert.ok(gets <= 5 + 2 + 1, `${gets} GetItem calls for one read over ${status.body.hotTables} hot tables`);
    ddb.clear();
    const page = await h.api.query('team', { limit: 1000 });
    assert.deepEqual(
      page.body.items.map((x) => [x.sk, x.value]),
      [...model].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    // Four shards a table: a query of the written tables (and the current one) only.
    const queries = ddb.get('QueryCommand') ?? 0;
    assert.ok(queries <= (5 + 2) * 4 + 2, `${queries} Query calls for one query`);
    assert.equal((await h.api.get('team', 'nothing')).status, 404);

    // The lifecycle runs again: it offloads every sealed period, reads are unchanged, and GC forgets the marks of dropped tables.
    await h.sys.runLifecycle();
    h.clock.advance(SETTINGS.gcGraceMs + 1000);
    await h.sys.runLifecycle();
    h.sys.refreshManifests();
    const after = await h.api.call<{ lifecyclePeriodsBehind: number }>('GET', '/v1/status');
    assert.ok(after.body.lifecyclePeriodsBehind <= 1, JSON.stringify(after.body));
    const again = await h.api.query('team', { limit: 1000 });
    assert.deepEqual(
      again.body.items.map((x) => [x.sk, x.value]),
      [...model].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const marks = await new WrittenTables(h.sys.store.ddb, h.sys.store.indexTable).list();
    const hot = new Set((await h.sys.dataPlane.manifest()).runs.filter((r) => r.tier === 'hot').map((r) => r.table!));
    assert.deepEqual(
      [...marks].filter((t) => !hot.has(t)),
      [],
      `marks of dropped tables are forgotten (${INDEX_TABLE.writtenPk})`,
    );
  });
});

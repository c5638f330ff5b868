/**
 * Conditional writes (If-Match, If-None-Match) on the embedded system, through the HTTP API
 * and the ingest function's role: the current version counts wherever it lives (this
 * period's table, a sealed earlier one, a cold run); of writers racing with one
 * precondition exactly one wins, also when their clocks put them in two periods' tables
 * (a transaction through the front door's TransactWriteItems); a failed precondition is a
 * 412 that writes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { DataPlane } from '../../lambda/data-plane/data-plane.ts';
import { PreconditionFailedError } from '../../lambda/core/errors.ts';
import { clockedSystem } from '../support/clocked.ts';
import { tinyStore } from '../support/lifecycle.ts';
import { countCommands } from '../support/system.ts';

const SETTINGS = tinyStore('cond', { periodMs: 60_000, sealGraceMs: 2_000, gcGraceMs: 4_000 });

describe('conditional writes', () => {
  const h = clockedSystem(SETTINGS, Date.UTC(2026, 10, 23, 10, 0, 0) + 500);
  const { clock } = h;

  const putIf = (pk: string, sk: string, value: unknown, headers: Record<string, string>) =>
    fetch(h.sys.url + h.api.item(pk, sk), { method: 'PUT', body: JSON.stringify(value), headers }).then(async (r) => ({
      status: r.status,
      etag: r.headers.get('etag'),
      body: (await r.json()) as { seq?: number; error?: { code: string; message: string } },
    }));
  const deleteIf = (pk: string, sk: string, headers: Record<string, string>) =>
    fetch(h.sys.url + h.api.item(pk, sk), { method: 'DELETE', headers }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { seq?: number; error?: { code: string } },
    }));

  it('writes only where the record is as If-Match or If-None-Match says, and answers 412 otherwise, writing nothing', async () => {
    const created = await putIf('p', 'a', { v: 1 }, { 'if-none-match': '*' });
    assert.equal(created.status, 200);
    assert.equal(created.etag, `"${created.body.seq}"`);
    const again = await putIf('p', 'a', { v: 2 }, { 'if-none-match': '*' });
    assert.equal(again.status, 412);
    assert.equal(again.body.error?.code, 'PreconditionFailed');
    assert.equal(again.etag, created.etag, 'a 412 names the current version');
    const read = await h.api.get('p', 'a');
    assert.deepEqual([read.body.value, read.headers.get('etag')], [{ v: 1 }, created.etag]);

    const updated = await putIf('p', 'a', { v: 3 }, { 'if-match': created.etag! });
    assert.equal(updated.status, 200);
    const stale = await putIf('p', 'a', { v: 4 }, { 'if-match': created.etag! });
    assert.equal(stale.status, 412);
    assert.deepEqual((await h.api.get('p', 'a')).body.value, { v: 3 });
    // A bare seq, a list and * match too.
    assert.equal((await putIf('p', 'a', { v: 5 }, { 'if-match': `1, ${updated.body.seq}` })).status, 200);
    assert.equal((await putIf('p', 'a', { v: 6 }, { 'if-match': '*' })).status, 200);

    // Nothing to match: 412; a tombstone is no record.
    assert.equal((await putIf('p', 'absent', 1, { 'if-match': '*' })).status, 412);
    const cur = (await h.api.get('p', 'a')).body.seq;
    assert.equal((await deleteIf('p', 'a', { 'if-match': '"1"' })).status, 412);
    assert.equal((await h.api.get('p', 'a')).status, 200, 'a failed conditional delete deletes nothing');
    assert.equal((await deleteIf('p', 'a', { 'if-match': `"${cur}"` })).status, 200);
    assert.equal((await h.api.get('p', 'a')).status, 404);
    assert.equal((await putIf('p', 'a', 1, { 'if-match': '*' })).status, 412);
    assert.equal((await putIf('p', 'a', { v: 7 }, { 'if-none-match': '*' })).status, 200);
  });

  it('refuses malformed preconditions with 400 and writes nothing', async () => {
    const cases: Record<string, string>[] = [
      { 'if-match': 'abc' },
      { 'if-match': '"1"', 'if-none-match': '*' },
      { 'if-none-match': '"5"' },
      { 'if-match': '' },
      { 'if-match': '"99999999999999999"' },
    ];
    for (const headers of cases) {
      const r = await putIf('p', 'bad', 1, headers);
      assert.equal(r.status, 400, JSON.stringify(headers));
      assert.equal(r.body.error?.code, 'InvalidPrecondition');
    }
    assert.equal((await h.api.get('p', 'bad')).status, 404);
  });

  it('lets exactly one of many concurrent writers with the same precondition win', async () => {
    for (const [sk, headers] of [
      ['race-new', { 'if-none-match': '*' }],
      ['race-old', undefined],
    ] as const) {
      let pre: Record<string, string> = { ...headers };
      if (!headers) pre = { 'if-match': (await putIf('p', sk, 'start', {})).etag! };
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => putIf('p', sk, { writer: i }, pre)));
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, `${sk}: ${results.map((r) => r.status).join(',')}`);
      assert.ok(results.every((r) => r.status === 200 || r.status === 412));
      const read = await h.api.get('p', sk);
      assert.equal(read.body.seq, winners[0]!.body.seq, 'the winner is the record');
    }
  });

  it('applies per item in a batch: each conditional item holds or fails on its own', async () => {
    const base = await putIf('b', 'x', 1, {});
    const r = await h.api.call<{ results: ({ seq: number } | { error: { code: string } })[] }>('POST', '/v1/batch/write', {
      items: [
        { pk: 'b', sk: 'x', value: 2, ifMatch: base.body.seq },
        { pk: 'b', sk: 'y', value: 1, ifNoneMatch: '*' },
        { pk: 'b', sk: 'z', value: 1, ifMatch: '*' },
        { pk: 'b', sk: 'w', value: 1 },
        { pk: 'b', sk: 'dup', value: 1, ifNoneMatch: '*' },
        { pk: 'b', sk: 'dup', value: 2 },
      ],
    });
    assert.equal(r.status, 200);
    const codes = r.body.results.map((x) => ('error' in x ? x.error.code : 'ok'));
    assert.deepEqual(codes, ['ok', 'ok', 'PreconditionFailed', 'ok', 'InvalidBatch', 'ok']);
    assert.deepEqual((await h.api.get('b', 'x')).body.value, 2);
    assert.equal((await h.api.get('b', 'z')).status, 404);
    const stale = await h.api.call<{ results: { error?: { code: string } }[] }>('POST', '/v1/batch/write', {
      items: [{ pk: 'b', sk: 'x', value: 3, ifMatch: base.body.seq }],
    });
    assert.equal(stale.body.results[0]!.error?.code, 'PreconditionFailed');
    const bad = await h.api.call<{ error: { code: string } }>('POST', '/v1/batch/write', { items: [{ pk: 'b', sk: 'x', value: 3, ifMatch: 'soon' }] });
    assert.equal(bad.status, 400);
  });

  it('counts the version wherever it lives: a sealed earlier table, then a cold run', async () => {
    const first = await putIf('h', 'k', { at: 'p0' }, { 'if-none-match': '*' });
    assert.equal(first.status, 200);
    // Past the period and its seal grace: the version is in a sealed table, not this period's.
    clock.advance(SETTINGS.periodMs + SETTINGS.sealGraceMs + 10);
    await h.sys.runLifecycle();
    assert.equal((await putIf('h', 'k', 1, { 'if-none-match': '*' })).status, 412);
    const moved = await putIf('h', 'k', { at: 'p1' }, { 'if-match': first.etag! });
    assert.equal(moved.status, 200);
    // Offload both periods: the versions are in cold runs only.
    clock.advance(SETTINGS.periodMs + SETTINGS.sealGraceMs + 10);
    await h.sys.runLifecycle();
    const m = await h.sys.dataPlane.manifests.read();
    assert.ok(
      m.runs.some((r) => r.tier === 'cold'),
      'offloaded',
    );
    assert.ok(!m.runs.some((r) => r.tier === 'hot' && r.periodEnd <= clock.now() - SETTINGS.sealGraceMs && r.count > 0));
    assert.equal((await putIf('h', 'k', 1, { 'if-match': first.etag! })).status, 412, 'the old seq no longer matches');
    assert.equal((await putIf('h', 'k', 1, { 'if-none-match': '*' })).status, 412, 'the cold version exists');
    const third = await putIf('h', 'k', { at: 'p2' }, { 'if-match': moved.etag! });
    assert.equal(third.status, 200);
    assert.deepEqual((await h.api.get('h', 'k')).body.value, { at: 'p2' });
  });

  it('lets exactly one win across a period boundary, writers on either side, through a transaction', async () => {
    // Writers whose clocks straddle a period's end: some write into the ending period's table,
    // some into the next one's; both tables can take writes, so each checks the other.
    const end = Math.ceil(clock.now() / SETTINGS.periodMs) * SETTINGS.periodMs;
    clock.advance(end - 5 - clock.now());
    await h.sys.runLifecycle();
    const planes = [-3, -1, 1, 3].map((skew) => DataPlane.fromStoreEnv(h.sys.functionStores.ingest, () => clock.now() + 5 + skew));
    const calls = countCommands(h.sys.functionStores.ingest.ddb);
    for (let k = 0; k < 12; k++) {
      const sk = `edge-${k}`;
      const pre = k % 2 === 0 ? { ifNoneMatch: '*' as const } : { ifMatch: [await planes[0]!.put('e', sk, 'start')] };
      const outcomes = await Promise.all(
        planes.map((dp, i) =>
          dp.put('e', sk, { writer: i }, pre).then(
            (seq) => ({ seq }),
            (err: unknown) => ({ err }),
          ),
        ),
      );
      const won = outcomes.filter((o): o is { seq: number } => 'seq' in o);
      assert.equal(won.length, 1, `${sk}: ${JSON.stringify(outcomes.map((o) => ('seq' in o ? 'ok' : (o.err as Error).name)))}`);
      assert.ok(outcomes.every((o) => 'seq' in o || o.err instanceof PreconditionFailedError));
      assert.equal((await h.api.get('e', sk)).body.seq, won[0]!.seq);
    }
    const m = await h.sys.dataPlane.manifests.read();
    const tables = m.runs.filter((r) => r.tier === 'hot' && r.periodStart <= end && end <= r.periodEnd);
    assert.equal(tables.length, 2, 'the race spanned two tables');
    assert.ok((calls.get('TransactWriteItemsCommand') ?? 0) >= 12, 'each write checked the other table in a transaction');
  });
});

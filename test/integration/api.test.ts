/**
 * The HTTP API end to end on the embedded system: real handlers, real SDK clients, dynalite
 * and fauxqs; cold runs written with the engine's blob writer and the adapters.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { ON_DEMAND } from '../../lambda/core/hot-capacity.ts';
import { LAMBDA_PAYLOAD_BYTES, LIMITS } from '../../lambda/core/limits.ts';
import { CLOCK_TOLERANCE_MS } from '../../lambda/core/read-path.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { periodStartOf } from '../../lambda/core/schema.ts';
import { hotRunMeta } from '../../lambda/rotate/rotate.ts';
import { coldRunMeta } from '../../lambda/store/cold-writer.ts';
import { hotTableOf } from '../../lambda/store/hot-tables.ts';
import { WrittenTables } from '../../lambda/store/written-tables.ts';
import type { LocalSystem } from '../../local/system.ts';
import { openApiDocument } from '../../lambda/api/openapi.ts';
import { OPERATIONS, type OperationName } from '../../lambda/api/schemas.ts';
import { del, put } from '../support/arbitraries.ts';
import { client, countCommands, startTestSystem } from '../support/system.ts';
import { HotTableAdmin } from '../../lambda/store/hot-table-admin.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2020, 0, 1);

async function addColdRun(sys: LocalSystem, id: string, entries: Entry[], periodStart: number, blobOpts = {}): Promise<void> {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.key, b.key));
  const written = await sys.cold.coldWriter.writeRun(id, sorted, blobOpts);
  await sys.manifests.commit({ kind: 'import', remove: [], add: [coldRunMeta(id, 0, periodStart, periodStart + HOUR, written)] });
  // The data plane caches the manifest for a second; these tests read at once.
  sys.refreshManifests();
}

async function addHotPeriod(sys: LocalSystem, start: number, entries: Entry[]): Promise<void> {
  const run = hotRunMeta(sys.dataPlane.settings, start);
  await new HotTableAdmin(sys.store.ddb).create(run.table!, ON_DEMAND, run.shards);
  await sys.manifests.commit({ kind: 'rotate', remove: [], add: [run] });
  // As ingest does: the table is marked written before its first write (reads skip sealed tables never written).
  await new WrittenTables(sys.store.ddb, sys.store.indexTable).mark(run.table!);
  for (const e of entries) await sys.dataPlane.hot.put(hotTableOf(run), e);
  sys.refreshManifests();
}

describe('HTTP API on the embedded system', () => {
  let sys: LocalSystem;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sys = await startTestSystem();
    await sys.runLifecycle();
    api = client(sys.url);
  });
  afterAll(() => sys.stop());

  it("keeps every response within Lambda's 6 MB: a query page ends early with a cursor, a batch get names the rest", async () => {
    const pk = 'large-values';
    const value = 'v'.repeat(250 * 1024);
    const sks = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    for (const sk of sks) assert.equal((await api.put(pk, sk, value)).status, 200);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await fetch(`${sys.url}/v1/items/${pk}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const text = await res.text();
      assert.equal(res.status, 200);
      assert.ok(Buffer.byteLength(text) < LAMBDA_PAYLOAD_BYTES, `page of ${Buffer.byteLength(text)} bytes`);
      const page = JSON.parse(text) as { items: { sk: string }[]; cursor?: string };
      seen.push(...page.items.map((i) => i.sk));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, sks);
    assert.ok(pages >= 2, `${pages} pages`);
    const got = await api.call<{ items: { sk: string }[]; unprocessedKeys?: { pk: string; sk: string }[] }>('POST', '/v1/batch/get', {
      keys: sks.map((sk) => ({ pk, sk })),
    });
    assert.equal(got.status, 200);
    const rest = got.body.unprocessedKeys ?? [];
    assert.ok(rest.length > 0 && got.body.items.length > 0);
    assert.deepEqual([...got.body.items.map((i) => i.sk), ...rest.map((k) => k.sk)], sks);
  });

  it('answers every route with a body its OpenAPI schema describes, and serves the document at /openapi.json', async () => {
    const conforms = (op: OperationName, status: number, body: unknown): void => {
      const schema = (OPERATIONS[op].responses as Record<number, { safeParse(v: unknown): { success: boolean; error?: unknown } }>)[status];
      assert.ok(schema, `${op} documents no ${status}`);
      const r = schema.safeParse(body);
      assert.ok(r.success, `${op} ${status}: ${JSON.stringify(body).slice(0, 300)}: ${String(r.error)}`);
    };
    const calls: [OperationName, string, string, unknown?][] = [
      ['putItem', 'PUT', '/v1/items/spec/a', { n: 1 }],
      [
        'batchWrite',
        'POST',
        '/v1/batch/write',
        {
          items: [
            { pk: 'spec', sk: 'b', value: [1] },
            { pk: 'spec', sk: 'c', delete: true },
            { pk: '', sk: 'x', value: 1 },
          ],
        },
      ],
      ['getItem', 'GET', '/v1/items/spec/a'],
      ['query', 'GET', '/v1/items/spec?limit=1'],
      [
        'batchGet',
        'POST',
        '/v1/batch/get',
        {
          keys: [
            { pk: 'spec', sk: 'a' },
            { pk: 'spec', sk: 'none' },
          ],
        },
      ],
      ['listRuns', 'GET', '/v1/runs'],
      ['status', 'GET', '/v1/status'],
      ['deleteItem', 'DELETE', '/v1/items/spec/a'],
      ['createImport', 'POST', '/v1/imports', { format: 'ndjson' }],
    ];
    for (const [op, method, path, body] of calls) {
      const r = await api.call(method, path, body);
      assert.ok(r.status < 300, `${op}: ${r.status} ${JSON.stringify(r.body)}`);
      conforms(op, r.status, r.body);
    }
    const created = (await api.call<{ id: string; uploadUrls: string[] }>('POST', '/v1/imports', { format: 'ndjson', onInvalid: 'skip' })).body;
    assert.equal((await fetch(created.uploadUrls[0]!, { method: 'PUT', body: '{"pk":"spec","sk":"i","value":1}\n' })).status, 200);
    const committed = await api.call('POST', `/v1/imports/${created.id}/commit`);
    conforms('commitImport', committed.status, committed.body);
    const got = await api.call('GET', `/v1/imports/${created.id}`);
    conforms('getImport', got.status, got.body);

    const doc = await api.call<{ openapi: string; paths: Record<string, unknown>; servers: { url: string }[] }>('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.deepEqual({ ...doc.body, servers: undefined }, { ...openApiDocument(), servers: undefined });
    assert.equal(doc.body.servers[0]!.url, sys.url);
  });

  it('answers /healthz once ready', async () => {
    const res = await fetch(`${sys.url}/healthz`);
    assert.equal(res.status, 200);
  });

  it('puts, gets, overwrites and deletes one item', async () => {
    const a = await api.put('team-1', '2026-11-22T10:00:00Z#e1', { action: 'login', ok: true });
    assert.equal(a.status, 200);
    assert.ok(Number.isSafeInteger(a.body.seq));
    const g = await api.get('team-1', '2026-11-22T10:00:00Z#e1');
    assert.deepEqual(g.body, { pk: 'team-1', sk: '2026-11-22T10:00:00Z#e1', seq: a.body.seq, value: { action: 'login', ok: true } });
    const b = await api.put('team-1', '2026-11-22T10:00:00Z#e1', [1, 2, 3]);
    assert.ok(b.body.seq > a.body.seq);
    assert.deepEqual((await api.get('team-1', '2026-11-22T10:00:00Z#e1')).body.value, [1, 2, 3]);
    const d = await api.del('team-1', '2026-11-22T10:00:00Z#e1');
    assert.equal(d.status, 200);
    assert.ok(d.body.seq > b.body.seq);
    const gone = await api.get('team-1', '2026-11-22T10:00:00Z#e1');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { error: { code: 'NotFound', message: 'no such item' } });
  });

  it('stores any JSON value, including null, false and strings', async () => {
    for (const [i, v] of [null, false, 0, 'text', { nested: { a: [null] } }].entries()) {
      await api.put('values', `v${i}`, v);
      assert.deepEqual((await api.get('values', `v${i}`)).body.value, v);
    }
  });

  it('round-trips keys with slashes, hashes, spaces, percent signs and any Unicode', async () => {
    const keys: [string, string][] = [
      ['team 1', 'a/b/c'],
      ['t#1', '2026-11-22T10:00:00Z#e/1?x=1&y'],
      ['ünï', '😀 % %25 +'],
      ['p', 'trailing.'],
      ['p', '\u0000zero'],
    ];
    for (const [pk, sk] of keys) {
      const w = await api.put(pk, sk, { pk, sk });
      assert.equal(w.status, 200, `${pk} ${sk}: ${JSON.stringify(w.body)}`);
      const r = await api.get(pk, sk);
      assert.deepEqual({ pk: r.body.pk, sk: r.body.sk, value: r.body.value }, { pk, sk, value: { pk, sk } });
    }
    const q = await api.query('p');
    assert.deepEqual(
      q.body.items.map((i) => i.sk),
      ['\u0000zero', 'trailing.'],
    );
  });

  it('writes and reads batches, answering per item in request order', async () => {
    const w = await api.call<{ results: ({ seq: number } | { error: { code: string } })[] }>('POST', '/v1/batch/write', {
      items: [
        { pk: 'b', sk: '1', value: 'one' },
        { pk: 'b', sk: '2', value: 'two' },
        { pk: '', sk: 'x', value: 1 },
        { pk: 'b', sk: '3', value: 'three' },
        { pk: 'b', sk: '2', delete: true },
        { pk: 'b', sk: '4', value: 'x'.repeat(LIMITS.maxValueBytes + 1) },
      ],
    });
    assert.equal(w.status, 200);
    const codes = w.body.results.map((r) => ('error' in r ? r.error.code : 'ok'));
    assert.deepEqual(codes, ['ok', 'ok', 'InvalidKey', 'ok', 'ok', 'ValueTooLarge']);
    const g = await api.call<{ items: { sk: string; value: unknown }[] }>('POST', '/v1/batch/get', {
      keys: [
        { pk: 'b', sk: '3' },
        { pk: 'b', sk: '2' },
        { pk: 'b', sk: 'absent' },
        { pk: 'b', sk: '1' },
        { pk: 'b', sk: '4' },
      ],
    });
    assert.deepEqual(
      g.body.items.map((i) => [i.sk, i.value]),
      [
        ['3', 'three'],
        ['1', 'one'],
      ],
    );
  });

  it('merges hot tables and cold runs, newest seq winning, tombstones shadowing', async () => {
    const pk = 'merge';
    await addColdRun(
      sys,
      'test-old',
      ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].map((sk, i) => put(pk, sk, 100 + i, `old-${sk}`)),
      T0,
    );
    await addColdRun(sys, 'test-mid', [put(pk, 'k2', 200, 'mid-k2'), del(pk, 'k3', 200), put(pk, 'k8', 200, 'mid-k8')], T0 + HOUR);
    const past = periodStartOf(Date.now(), HOUR) - HOUR;
    await addHotPeriod(sys, past, [put(pk, 'k4', past * 1000 + 1, 'hot-k4'), del(pk, 'k5', past * 1000 + 1), del(pk, 'k8', past * 1000 + 2)]);
    await api.put(pk, 'k6', 'new-k6');
    await api.del(pk, 'k1');
    const expected: [string, string][] = [
      ['k2', 'mid-k2'],
      ['k4', 'hot-k4'],
      ['k6', 'new-k6'],
      ['k7', 'old-k7'],
    ];
    for (const [sk, v] of expected) assert.equal((await api.get(pk, sk)).body.value, v, sk);
    for (const sk of ['k1', 'k3', 'k5', 'k8']) assert.equal((await api.get(pk, sk)).status, 404, sk);

    const asc = await api.query(pk);
    assert.deepEqual(
      asc.body.items.map((i) => [i.sk, i.value]),
      expected,
    );
    const desc = await api.query(pk, { order: 'desc' });
    assert.deepEqual(
      desc.body.items.map((i) => [i.sk, i.value]),
      [...expected].reverse(),
    );
    const bounded = await api.query(pk, { from: 'k3', to: 'k7' });
    assert.deepEqual(
      bounded.body.items.map((i) => i.sk),
      ['k4', 'k6'],
    );

    const runs = await api.call<{ version: number; runs: { id: string; tier: string }[] }>('GET', '/v1/runs');
    assert.ok(runs.body.runs.some((r) => r.id === 'test-old' && r.tier === 'cold'));
    assert.ok(runs.body.runs.filter((r) => r.tier === 'hot').length >= 4);
  });

  it('paginates in both directions with cursors, across tiers', async () => {
    const pk = 'pages';
    const all = Array.from({ length: 23 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await addColdRun(
      sys,
      'test-pages',
      all.filter((_, i) => i % 2 === 0).map((sk) => put(pk, sk, 50, sk)),
      T0 + 2 * HOUR,
    );
    for (const sk of all.filter((_, i) => i % 2 === 1)) await api.put(pk, sk, sk);
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const r = await api.query(pk, { order, limit: 5, ...(cursor ? { cursor } : {}) });
        assert.equal(r.status, 200);
        assert.ok(r.body.items.length <= 5);
        seen.push(...r.body.items.map((i) => i.sk));
        cursor = r.body.cursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 5);
      assert.deepEqual(seen, order === 'asc' ? all : [...all].reverse());
    }
    const limited = await api.query(pk, { from: 's05', to: 's15', limit: 4, order: 'desc' });
    assert.deepEqual(
      limited.body.items.map((i) => i.sk),
      ['s14', 's13', 's12', 's11'],
    );
    const next = await api.query(pk, { from: 's05', to: 's15', limit: 4, order: 'desc', cursor: limited.body.cursor! });
    assert.deepEqual(
      next.body.items.map((i) => i.sk),
      ['s10', 's09', 's08', 's07'],
    );
  });

  it('reads a cold key with one index query per admitted run and one S3 GET; an absent key mostly with none', async () => {
    const pk = 'cold-reads';
    const entries = Array.from({ length: 3000 }, (_, i) => put(pk, `k${String(i).padStart(5, '0')}`, 10 + i, { i, pad: 'x'.repeat(40) }));
    await addColdRun(sys, 'test-cold-reads', entries, T0 + 3 * HOUR, { blockBytes: 4096, blobBytes: 64 * 1024 });
    // The read function's own clients: what the HTTP read path sends.
    const ddb = countCommands(sys.functionStores.read.ddb as never);
    const s3 = countCommands(sys.functionStores.read.s3 as never);
    const m = await sys.dataPlane.manifest();
    const admitted = m.runs.filter(
      (r) =>
        r.tier === 'cold' &&
        r.minKey &&
        Buffer.from(r.minKey, 'base64').toString() <= `${pk}\u0000k01234` &&
        Buffer.from(r.maxKey!, 'base64').toString() >= `${pk}\u0000k01234`,
    );
    assert.equal(admitted.length, 1);
    // The tables rotation made for later periods hold nothing yet: reads skip them.
    const hotRuns = m.runs.filter((r) => r.tier === 'hot' && r.periodStart <= Date.now() + CLOCK_TOLERANCE_MS).length;
    assert.ok(hotRuns < m.runs.filter((r) => r.tier === 'hot').length, 'some hot runs are of later periods');
    const reads = 50;
    const started = Date.now();
    /** Listings of written tables (the read path lists them at most every 5 s): index queries besides the reads'. */
    const listings = (): number => Math.ceil((Date.now() - started) / 5000) + 1;
    for (let i = 0; i < reads; i++) {
      const sk = `k${String(i * 59).padStart(5, '0')}`;
      const r = await api.get(pk, sk);
      assert.equal(r.status, 200);
      assert.equal((r.body.value as { i: number }).i, i * 59);
    }
    assert.equal(s3.get('GetObjectCommand'), reads, 'one S3 GET per found key');
    const queries = ddb.get('QueryCommand') ?? 0;
    assert.ok(queries >= reads && queries <= reads + listings(), `one index query per read (one admitted cold run): ${queries} for ${reads}`);
    // One consistent GetItem per begun hot run per read, plus the manifest when its 1 s cache expires.
    const gets = ddb.get('GetItemCommand') ?? 0;
    assert.ok(gets >= reads * hotRuns && gets <= reads * hotRuns + 5, `${gets} GetItem calls for ${reads} reads over ${hotRuns} hot runs`);
    s3.clear();
    ddb.clear();
    const absent = 200;
    const absentFrom = Date.now();
    for (let i = 0; i < absent; i++) assert.equal((await api.get(pk, `k${String(i * 13).padStart(5, '0')}x`)).status, 404);
    const absentQueries = ddb.get('QueryCommand') ?? 0;
    assert.ok(
      absentQueries >= absent && absentQueries <= absent + Math.ceil((Date.now() - absentFrom) / 5000) + 1,
      `${absentQueries} index queries for ${absent} absent keys`,
    );
    assert.ok((s3.get('GetObjectCommand') ?? 0) <= absent * 0.05, `${s3.get('GetObjectCommand')} S3 GETs for ${absent} absent keys`);
  });
});

describe('bad input', () => {
  let sys: LocalSystem;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sys = await startTestSystem();
    await sys.runLifecycle();
    api = client(sys.url);
    await api.put('bad', 'existing', 'v');
  });
  afterAll(() => sys.stop());

  const longPk = encodeURIComponent('p'.repeat(LIMITS.maxPkBytes + 1));
  const cases: [string, string, string, string | undefined, number, string][] = [
    ['bad JSON', 'PUT', '/v1/items/bad/k1', '{"a":', 400, 'InvalidJson'],
    ['empty body', 'PUT', '/v1/items/bad/k1', '', 400, 'InvalidJson'],
    ['oversized pk', 'PUT', `/v1/items/${longPk}/k1`, '1', 400, 'KeyTooLong'],
    ['oversized sk', 'PUT', `/v1/items/bad/${'s'.repeat(LIMITS.maxSkBytes + 1)}`, '1', 400, 'KeyTooLong'],
    ['pk with U+0000', 'PUT', '/v1/items/a%00b/k1', '1', 400, 'InvalidKey'],
    ['missing sk', 'PUT', '/v1/items/bad', '1', 405, 'MethodNotAllowed'],
    ['value over 256 KiB', 'PUT', '/v1/items/bad/k1', JSON.stringify('x'.repeat(LIMITS.maxValueBytes)), 413, 'ValueTooLarge'],
    [
      'batch over 100 items',
      'POST',
      '/v1/batch/write',
      JSON.stringify({ items: Array.from({ length: 101 }, (_, i) => ({ pk: 'bad', sk: `b${i}`, value: 1 })) }),
      400,
      'BatchTooLarge',
    ],
    ['batch without items', 'POST', '/v1/batch/write', JSON.stringify({ things: [] }), 400, 'InvalidBatch'],
    ['empty batch', 'POST', '/v1/batch/write', JSON.stringify({ items: [] }), 400, 'InvalidBatch'],
    ['batch item without value', 'POST', '/v1/batch/write', JSON.stringify({ items: [{ pk: 'bad', sk: 'k1' }] }), 400, 'InvalidBatch'],
    [
      'batch get over 100 keys',
      'POST',
      '/v1/batch/get',
      JSON.stringify({ keys: Array.from({ length: 101 }, (_, i) => ({ pk: 'bad', sk: `b${i}` })) }),
      400,
      'BatchTooLarge',
    ],
    ['batch get with a bad key', 'POST', '/v1/batch/get', JSON.stringify({ keys: [{ pk: 'bad', sk: 'existing' }, { pk: 'bad' }] }), 400, 'InvalidKey'],
    ['bad cursor', 'GET', '/v1/items/bad?cursor=!!notacursor', undefined, 400, 'InvalidCursor'],
    ['forged cursor', 'GET', `/v1/items/bad?cursor=${Buffer.from('{"v":2}').toString('base64url')}`, undefined, 400, 'InvalidCursor'],
    [
      'cursor of the other order',
      'GET',
      `/v1/items/bad?order=desc&cursor=${Buffer.from('{"v":1,"sk":"a","o":"asc"}').toString('base64url')}`,
      undefined,
      400,
      'InvalidCursor',
    ],
    ['limit 0', 'GET', '/v1/items/bad?limit=0', undefined, 400, 'InvalidLimit'],
    ['limit over 1000', 'GET', '/v1/items/bad?limit=1001', undefined, 400, 'InvalidLimit'],
    ['limit not a number', 'GET', '/v1/items/bad?limit=ten', undefined, 400, 'InvalidLimit'],
    ['bad order', 'GET', '/v1/items/bad?order=up', undefined, 400, 'InvalidOrder'],
    ['empty from', 'GET', '/v1/items/bad?from=', undefined, 400, 'InvalidKey'],
    ['unknown route', 'GET', '/v2/things', undefined, 404, 'NotFound'],
    ['wrong method', 'PATCH', '/v1/items/bad/k1', '1', 405, 'MethodNotAllowed'],
    ['wrong method on batch', 'GET', '/v1/batch/write', undefined, 405, 'MethodNotAllowed'],
    ['malformed percent-encoding in a key', 'GET', '/v1/items/bad/%E0%A4%A', undefined, 400, 'InvalidPath'],
    ['malformed percent-encoding in a key to write', 'PUT', '/v1/items/bad/%zz', '1', 400, 'InvalidPath'],
    ['a checkpoint id the store cannot have made', 'DELETE', `/v1/checkpoints/${'x'.repeat(3000)}`, undefined, 400, 'InvalidCheckpoint'],
    ['unknown field in a batch', 'POST', '/v1/batch/write', JSON.stringify({ items: [{ pk: 'bad', sk: 'k1', value: 1 }], atomic: true }), 400, 'InvalidBatch'],
    ['misspelt field in a batch item', 'POST', '/v1/batch/write', JSON.stringify({ items: [{ pk: 'bad', sk: 'k1', vlaue: 1 }] }), 400, 'InvalidBatch'],
    ['misspelt query parameter', 'GET', '/v1/items/bad?limt=5', undefined, 400, 'InvalidQuery'],
    ['query parameter on a point read', 'GET', '/v1/items/bad/existing?consistent=true', undefined, 400, 'InvalidQuery'],
  ];

  for (const [name, method, path, body, status, code] of cases) {
    it(`${name}: ${status} ${code}, and nothing written`, async () => {
      const before = await api.query('bad', { limit: 1000 });
      const r = await api.call<{ error: { code: string; message: string } }>(method, path, undefined, body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.code, code);
      assert.ok(r.body.error.message.length > 10, r.body.error.message);
      if (status === 405) assert.ok(r.headers.get('allow'));
      const afterQ = await api.query('bad', { limit: 1000 });
      assert.deepEqual(afterQ.body, before.body);
    });
  }

  it('answers 503 with Retry-After when the period has no table, and writes nothing', async () => {
    const { DataPlane } = await import('../../lambda/data-plane/data-plane.ts');
    const { createIngestHandler } = await import('../../lambda/ingest/handler.ts');
    const future = Date.now() + 30 * 24 * HOUR;
    const dp = new DataPlane({
      ...sys.dataPlane,
      settings: sys.dataPlane.settings,
      hot: sys.dataPlane.hot,
      cold: sys.dataPlane.cold,
      manifests: sys.dataPlane.manifests,
      now: () => future,
    });
    const handler = createIngestHandler(() => dp);
    const { toEvent } = await import('../../local/gateway.ts');
    const { Readable } = await import('node:stream');
    const req = Object.assign(Readable.from([]), { method: 'PUT', url: '/v1/items/bad/future', headers: {}, httpVersion: '1.1', socket: {} });
    const { event } = toEvent(req as never, Buffer.from('1'));
    const r = await handler(event);
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '5');
    assert.equal(JSON.parse(r.body).error.code, 'PeriodNotReady');
    assert.equal((await api.get('bad', 'future')).status, 404);
  });
});

/**
 * The client library, three ways in, one suite of cases: over HTTP against the embedded
 * system's API, in direct mode on the embedded system (the front door enforcing the
 * application role the store's grant methods made, so a missing grant fails), and writing
 * through the batching writer.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { AlkiApiError, AlkiClient, AlkiPreconditionFailedError, AlkiValidationError, type BatchWriter, type Item, type Transport } from '../../client/index.ts';
import { directTransport } from '../../client/direct.ts';
import { httpTransport } from '../../client/transport.ts';
import { validating } from '../support/validating.ts';
import type { LocalSystem } from '../../local/system.ts';
import { startTestSystem } from '../support/system.ts';

let sys: LocalSystem;
beforeAll(async () => {
  sys = await startTestSystem();
  await sys.runLifecycle();
});
afterAll(() => sys.stop());

/** How each way in writes one item (the writer: through a batch) and everything else. */
interface Way {
  readonly client: () => AlkiClient;
  readonly put: (c: AlkiClient, pk: string, sk: string, value: unknown) => Promise<{ seq: number }>;
  readonly del: (c: AlkiClient, pk: string, sk: string) => Promise<{ seq: number }>;
}

/** Every answer of every way in, checked against the OpenAPI document as sent (test/support/validating.ts). */
const seen = new Map<string, Set<number>>();
const http = (): AlkiClient => new AlkiClient({ transport: validating(httpTransport(sys.url), seen).transport });

const WAYS: Readonly<Record<string, Way>> = {
  http: { client: http, put: (c, pk, sk, v) => c.put(pk, sk, v), del: (c, pk, sk) => c.delete(pk, sk) },
  direct: {
    client: () => new AlkiClient({ transport: validating(directTransport({ env: sys.applicationEnv }), seen).transport }),
    put: (c, pk, sk, v) => c.put(pk, sk, v),
    del: (c, pk, sk) => c.delete(pk, sk),
  },
  writer: { client: http, put: (c, pk, sk, v) => alone(c, (w) => w.put(pk, sk, v)), del: (c, pk, sk) => alone(c, (w) => w.delete(pk, sk)) },
};

/** One write through a batching writer of its own, closed after it. */
async function alone(c: AlkiClient, write: (w: BatchWriter) => Promise<{ seq: number }>): Promise<{ seq: number }> {
  const w = c.writer({ lingerMs: 5 });
  const p = write(w);
  await w.close();
  return p;
}

describe.each(Object.entries(WAYS))('the client, %s', (name, way) => {
  let c: AlkiClient;
  const pk = `client-${name}`;
  beforeAll(() => {
    c = way.client();
  });

  it('writes, reads and deletes an item; a missing one is undefined', async () => {
    const { seq } = await way.put(c, pk, 'a/1', { n: 1, s: 'é' });
    const got = await c.get(pk, 'a/1');
    assert.deepEqual(got, { pk, sk: 'a/1', seq, value: { n: 1, s: 'é' } });
    const del = await way.del(c, pk, 'a/1');
    assert.ok(del.seq > seq);
    assert.equal(await c.get(pk, 'a/1'), undefined);
    assert.equal(await c.get(pk, 'never'), undefined);
  });

  it('writes conditionally: a precondition that does not hold is a typed 412 with the current seq, and writes nothing', async () => {
    const first = await c.put(pk, 'cond', 1, { ifNoneMatch: '*' });
    const again = await c.put(pk, 'cond', 2, { ifNoneMatch: '*' }).catch((e: unknown) => e);
    assert.ok(again instanceof AlkiPreconditionFailedError, String(again));
    assert.equal(again.currentSeq, first.seq);
    const stale = await c.put(pk, 'cond', 3, { ifMatch: first.seq - 1 }).catch((e: unknown) => e);
    assert.ok(stale instanceof AlkiPreconditionFailedError);
    const second = await c.put(pk, 'cond', 4, { ifMatch: first.seq });
    assert.equal((await c.get(pk, 'cond'))?.value, 4);
    await c.delete(pk, 'cond', { ifMatch: [first.seq, second.seq] });
    assert.equal(await c.get(pk, 'cond'), undefined);
  });

  it('pages a query as an async iterator, in either order and within a range', async () => {
    const sks = Array.from({ length: 25 }, (_, i) => `q/${String(i).padStart(2, '0')}`);
    await Promise.all(sks.map((sk, i) => way.put(c, pk, sk, i)));
    const all: Item[] = [];
    for await (const it of c.query(pk, { from: 'q/', to: 'q0', pageSize: 10 })) all.push(it);
    assert.deepEqual(
      all.map((i) => i.sk),
      sks,
    );
    let pages = 0;
    for await (const page of c.query(pk, { from: 'q/', to: 'q0', pageSize: 10 }).pages()) {
      pages++;
      assert.ok(page.items.length <= 10);
    }
    assert.equal(pages, 3);
    const desc: string[] = [];
    for await (const it of c.query(pk, { from: 'q/05', to: 'q/10', order: 'desc', pageSize: 2 })) desc.push(it.sk);
    assert.deepEqual(desc, sks.slice(5, 10).reverse());
  });

  it('batch-writes and batch-gets any number of items, each answered on its own', async () => {
    const items = Array.from({ length: 150 }, (_, i) => ({ pk, sk: `b/${String(i).padStart(3, '0')}`, value: i }));
    const results = await c.batchWrite([...items, { pk: '', sk: 'x', value: 1 }]);
    assert.equal(results.length, 151);
    assert.ok(results.slice(0, 150).every((r) => 'seq' in r));
    assert.deepEqual('error' in results[150]! && results[150].error.code, 'InvalidKey');
    const keys = [...items.map(({ pk, sk }) => ({ pk, sk })), { pk, sk: 'b/none' }];
    const got = await c.batchGet(keys);
    assert.equal(got.length, 151);
    assert.deepEqual(
      got.slice(0, 150).map((i) => i?.value),
      items.map((i) => i.value),
    );
    assert.equal(got[150], undefined);
  });

  it("refuses bad input with a typed error carrying the API's code, and writes nothing", async () => {
    const bad = await way.put(c, `${pk}\u0000`, 'nul', 1).catch((e: unknown) => e);
    assert.ok(bad instanceof AlkiValidationError, String(bad));
    assert.equal(bad.status, 400);
    assert.equal(bad.code, 'InvalidKey');
    const badQuery = await c
      .query(pk, { pageSize: 0 })
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    assert.ok(badQuery instanceof AlkiValidationError);
    assert.equal(badQuery.code, 'InvalidLimit');
    assert.equal(await c.get(pk, 'nul'), undefined);
    const long = await way.put(c, pk, 'x'.repeat(2000), 1).catch((e: unknown) => e);
    assert.ok(long instanceof AlkiValidationError && long.code === 'KeyTooLong', String(long));
  });

  it('makes, reads at, lists and deletes checkpoints; reports status and runs', async () => {
    const cp = await c.createCheckpoint({ ttl: '1h' });
    assert.match(cp.id, /^ck-/);
    assert.ok((await c.listCheckpoints()).some((x) => x.id === cp.id));
    // As of the end of the last sealed period: nothing written in this one.
    assert.equal(await c.get(pk, 'b/000', { checkpoint: cp.id }), undefined);
    await c.deleteCheckpoint(cp.id);
    assert.ok(!(await c.listCheckpoints()).some((x) => x.id === cp.id));
    const status = await c.status();
    assert.ok(status.hotTables >= 1);
    const runs = await c.runs();
    assert.equal(runs.version, status.manifestVersion);
  });
});

describe('direct mode', () => {
  it("is refused what the caller's role was not granted (the read function's role cannot write)", async () => {
    const asRead = AlkiClient.direct({ env: sys.envOf('read'), retry: { maxAttempts: 1 } });
    const err = await asRead.put('direct', 'denied', 1).catch((e: unknown) => e);
    assert.ok(err instanceof AlkiApiError, String(err));
    assert.equal(err.code, 'AccessDenied');
    assert.equal(await asRead.get('direct', 'denied'), undefined);
  });

  it("sends imports and exports to the API: they need the store's state machines", async () => {
    const err = await AlkiClient.direct({ env: sys.applicationEnv })
      .createExport()
      .catch((e: unknown) => e);
    assert.ok(err instanceof AlkiApiError);
    assert.equal(err.code, 'NotInDirectMode');
  });
});

describe('the batching writer', () => {
  /** HTTP to the system, with the items of each batch write request counted as sent. */
  const countingBatches = (): { transport: Transport; sent: number[] } => {
    const sent: number[] = [];
    const inner = httpTransport(sys.url);
    const transport: Transport = async (req) => {
      if (req.path === '/v1/batch/write') sent.push((JSON.parse(req.body!) as { items: unknown[] }).items.length);
      return inner(req);
    };
    return { transport, sent };
  };

  it('groups writes into batch requests by maxItems, resolves each with its seq, and rejects only a refused item', async () => {
    const { transport, sent } = countingBatches();
    const w = new AlkiClient({ transport }).writer({ maxItems: 100, lingerMs: 50 });
    const writes = Array.from({ length: 250 }, (_, i) => w.put('writer', `w/${String(i).padStart(3, '0')}`, i));
    const refused = w.put('writer', 'x'.repeat(2000), 1);
    await w.close();
    const seqs = await Promise.all(writes);
    assert.ok(seqs.every((s) => s.seq > 0));
    const err = await refused.catch((e: unknown) => e);
    assert.ok(err instanceof AlkiValidationError, String(err));
    assert.deepEqual(sent, [100, 100, 51]);
    await assert.rejects(w.put('writer', 'late', 1), /closed/);
    const got = await new AlkiClient({ url: sys.url }).batchGet([{ pk: 'writer', sk: 'w/249' }]);
    assert.equal(got[0]?.value, 249);
  });

  it('flushes a partial batch after lingerMs, and by maxBytes', async () => {
    const { transport, sent } = countingBatches();
    const w = new AlkiClient({ transport }).writer({ lingerMs: 20, maxBytes: 3000 });
    const one = await w.put('writer', 'linger', 1);
    assert.ok(one.seq > 0);
    assert.deepEqual(sent, [1]);
    const big = Array.from({ length: 5 }, (_, i) => w.put('writer', `big/${i}`, 'v'.repeat(1000)));
    await w.close();
    await Promise.all(big);
    assert.deepEqual(sent.slice(1), [2, 2, 1]);
  });
});

describe('the answers', () => {
  it('were each documented, as sent, for every data-plane route the cases called', () => {
    const ops = [
      'putItem',
      'deleteItem',
      'batchWrite',
      'getItem',
      'query',
      'batchGet',
      'createCheckpoint',
      'listCheckpoints',
      'deleteCheckpoint',
      'listRuns',
      'status',
    ];
    assert.deepEqual(
      ops.filter((op) => !seen.has(op)),
      [],
    );
    // Errors were checked too: a missing item, a failed precondition, bad input.
    assert.ok(
      seen.get('getItem')!.has(404) && seen.get('putItem')!.has(412) && seen.get('putItem')!.has(400),
      JSON.stringify([...seen].map(([k, v]) => [k, [...v]])),
    );
  });
});

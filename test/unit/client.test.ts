/**
 * The client's retry rules and typed errors, against a scripted transport: what the API
 * answers in turn, and when the client waits. (The embedded system cannot throttle on
 * demand or lose an answer; test/integration/client.test.ts runs the client against it.)
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  AlkiApiError,
  AlkiClient,
  AlkiConnectionError,
  AlkiPreconditionFailedError,
  AlkiThrottledError,
  AlkiUnavailableError,
  type Transport,
  type TransportRequest,
} from '../../client/index.ts';
import { backoffMs, DEFAULT_RETRY } from '../../client/retry.ts';
import { TransportError } from '../../client/transport.ts';

type Step = { status: number; body?: unknown; headers?: Record<string, string> } | 'lost' | 'unsent';

/** A transport answering each request with the next step; the requests and the client's waits are recorded. */
function scripted(steps: Step[]) {
  const requests: TransportRequest[] = [];
  const waits: number[] = [];
  const transport: Transport = async (req) => {
    requests.push(req);
    const s = steps.shift();
    if (s === undefined) throw new Error('no more steps');
    if (s === 'lost' || s === 'unsent') throw new TransportError(s, s === 'lost');
    return { status: s.status, headers: new Headers(s.headers ?? {}), body: s.body === undefined ? '' : JSON.stringify(s.body) };
  };
  const client = new AlkiClient({ transport, sleep: async (ms) => void waits.push(ms) });
  return { client, requests, waits };
}

const err = (status: number, code: string, headers: Record<string, string> = {}): Step => ({ status, body: { error: { code, message: code } }, headers });
const ok = (body: unknown): Step => ({ status: 200, body });

describe('the client', () => {
  it('retries 429 and 503 after Retry-After, with jittered backoff on top', async () => {
    const { client, waits, requests } = scripted([
      err(429, 'Throttled', { 'retry-after': '2' }),
      err(503, 'PeriodNotReady', { 'retry-after': '1' }),
      ok({ seq: 7 }),
    ]);
    assert.deepEqual(await client.put('p', 's', 1), { seq: 7 });
    assert.equal(requests.length, 3);
    assert.ok(waits[0]! >= 2000 && waits[0]! < 2000 + DEFAULT_RETRY.baseDelayMs, `${waits[0]}`);
    assert.ok(waits[1]! >= 1000 && waits[1]! < 1000 + 2 * DEFAULT_RETRY.baseDelayMs, `${waits[1]}`);
  });

  it('gives up after maxAttempts with the typed error and its Retry-After', async () => {
    const { client, requests } = scripted(Array.from({ length: 5 }, () => err(429, 'Throttled', { 'retry-after': '1' })));
    const e = await client.get('p', 's').catch((x: unknown) => x);
    assert.ok(e instanceof AlkiThrottledError);
    assert.equal(e.retryAfterSeconds, 1);
    assert.equal(requests.length, DEFAULT_RETRY.maxAttempts);
  });

  it('backs off exponentially, capped, when the API gives no Retry-After', () => {
    const o = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffMs(0, undefined, o, () => 0.999),
      99,
    );
    assert.equal(
      backoffMs(3, undefined, o, () => 0.999),
      799,
    );
    assert.equal(
      backoffMs(10, undefined, o, () => 0.999),
      999,
    );
    assert.equal(
      backoffMs(10, 3, o, () => 0),
      3000,
    );
  });

  it('never retries a conditional write that may have been applied, and says so', async () => {
    const sealed = scripted([err(503, 'PeriodSealed', { 'retry-after': '1' })]);
    const e1 = await sealed.client.put('p', 's', 1, { ifNoneMatch: '*' }).catch((x: unknown) => x);
    assert.ok(e1 instanceof AlkiUnavailableError);
    assert.equal(e1.outcomeUnknown, true);
    assert.equal(sealed.requests.length, 1);

    const lost = scripted(['lost']);
    const e2 = await lost.client.delete('p', 's', { ifMatch: 5 }).catch((x: unknown) => x);
    assert.ok(e2 instanceof AlkiConnectionError);
    assert.equal(e2.outcomeUnknown, true);
    assert.equal(lost.requests.length, 1);
  });

  it('retries a conditional write that surely did nothing (throttled, not ready, never sent)', async () => {
    const { client, requests } = scripted([err(429, 'Throttled'), err(503, 'PeriodNotReady'), 'unsent', ok({ seq: 9 })]);
    assert.deepEqual(await client.put('p', 's', 1, { ifMatch: [3, 4] }), { seq: 9 });
    assert.equal(requests.length, 4);
    assert.equal(requests[0]!.headers['if-match'], '"3", "4"');
  });

  it('retries unconditional writes and reads after a lost answer (a repeated write is a newer version of the same value)', async () => {
    const { client, requests } = scripted(['lost', ok({ seq: 3 })]);
    assert.deepEqual(await client.put('p', 's', 1), { seq: 3 });
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.body, requests[1]!.body);
  });

  it('does not retry a 400, 412 or 500, and types each', async () => {
    const { client, requests } = scripted([
      err(400, 'InvalidKey'),
      { status: 412, body: { error: { code: 'PreconditionFailed', message: 'no' } }, headers: { etag: '"42"' } },
      err(500, 'InternalError'),
    ]);
    const e400 = await client.put('p', 's', 1).catch((x: unknown) => x);
    assert.ok(e400 instanceof AlkiApiError && e400.code === 'InvalidKey' && e400.status === 400);
    const e412 = await client.put('p', 's', 1, { ifNoneMatch: '*' }).catch((x: unknown) => x);
    assert.ok(e412 instanceof AlkiPreconditionFailedError);
    assert.equal(e412.currentSeq, 42);
    const e500 = await client.status().catch((x: unknown) => x);
    assert.ok(e500 instanceof AlkiApiError && e500.status === 500);
    assert.equal(requests.length, 3);
  });

  it("names API Gateway's own answers (no Alki error body) by their status", async () => {
    const { client } = scripted([{ status: 403, body: { message: 'Forbidden' } }]);
    const e = await client.runs().catch((x: unknown) => x);
    assert.ok(e instanceof AlkiApiError);
    assert.equal(e.code, 'Http403');
    assert.match(e.message, /Forbidden/);
  });

  it("encodes keys into the path, and sends the query's options as parameters", async () => {
    const { client, requests } = scripted([ok({ items: [{ pk: 'a b', sk: 'x/y', seq: 1, value: 1 }], cursor: 'c1' }), ok({ items: [] })]);
    const items = [];
    for await (const it of client.query('a b', { from: 'x/', order: 'desc', pageSize: 5 })) items.push(it);
    assert.equal(items.length, 1);
    assert.equal(requests[0]!.path, '/v1/items/a%20b?from=x%2F&order=desc&limit=5');
    assert.equal(requests[1]!.path, '/v1/items/a%20b?from=x%2F&order=desc&limit=5&cursor=c1');
  });

  it("asks again for the keys a batch get left unprocessed, and answers in the keys' order", async () => {
    const { client, requests } = scripted([
      ok({ items: [{ pk: 'p', sk: 'b', seq: 2, value: 'B' }], unprocessedKeys: [{ pk: 'p', sk: 'c' }] }),
      ok({ items: [{ pk: 'p', sk: 'c', seq: 3, value: 'C' }] }),
    ]);
    const got = await client.batchGet([
      { pk: 'p', sk: 'c' },
      { pk: 'p', sk: 'a' },
      { pk: 'p', sk: 'b' },
    ]);
    assert.deepEqual(
      got.map((i) => i?.value),
      ['C', undefined, 'B'],
    );
    assert.equal(requests.length, 2);
  });

  it('sends again only the batch items that surely wrote nothing', async () => {
    const { client, requests } = scripted([
      ok({ results: [{ seq: 1 }, { error: { code: 'Throttled', message: 't' } }, { error: { code: 'InvalidKey', message: 'k' } }] }),
      ok({ results: [{ seq: 4 }] }),
    ]);
    const r = await client.batchWrite([
      { pk: 'p', sk: 'a', value: 1 },
      { pk: 'p', sk: 'b', value: 2, ifNoneMatch: '*' },
      { pk: '', sk: 'c', value: 3 },
    ]);
    assert.deepEqual(r, [{ seq: 1 }, { seq: 4 }, { error: { code: 'InvalidKey', message: 'k' } }]);
    assert.deepEqual((JSON.parse(requests[1]!.body!) as { items: unknown[] }).items, [{ pk: 'p', sk: 'b', value: 2, ifNoneMatch: '*' }]);
  });

  it("rejects a batching writer's whole batch when its request fails, and only that batch", async () => {
    const { client } = scripted([err(400, 'BodyTooLarge'), ok({ results: [{ seq: 5 }] })]);
    const w = client.writer({ maxItems: 2, lingerMs: 1 });
    const a = w.put('p', 'a', 1);
    const b = w.put('p', 'b', 2);
    const c = w.put('p', 'c', 3);
    await w.close();
    await assert.rejects(a, /BodyTooLarge/);
    await assert.rejects(b, /BodyTooLarge/);
    assert.deepEqual(await c, { seq: 5 });
  });
});

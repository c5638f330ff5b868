/**
 * No bad input reaches a 500. Random methods, paths (every route of the API and of the embedded
 * system, with segments that are malformed percent-encodings, overlong UTF-8, control
 * characters, overlong or empty), headers and bodies, sent to the local system as `npm start`
 * serves it: no answer is a 5xx, every 4xx carries the error body (`{"error": {code,
 * message}}`), and the server is healthy afterwards (a write and a read of it still work).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import fc from 'fast-check';
import { ROUTES } from '../../lambda/api/routes.ts';
import type { LocalSystem } from '../../local/system.ts';
import { ManualClock, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('fuzz');
/** The embedded system's own paths, beside the API's routes. */
const LOCAL_PATHS = [
  '/healthz',
  '/openapi.json',
  '/local/executions',
  '/local/schedules',
  '/local/schedules/{name}',
  '/local/state-machines/{name}',
  '/local/console',
  '/',
];
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** A raw path segment: plain, percent-encoded (valid or not), overlong UTF-8, control characters, long, or a real name. */
const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/),
  fc.constantFrom(
    '%zz',
    '%',
    '%C0%AF',
    '%E0%80%80',
    '%ED%A0%80',
    '%FF',
    '%00',
    '%0A',
    '%7F',
    '%2F',
    '%25',
    'a%2Fb',
    '..',
    '.',
    'lifecycle',
    'rotation',
    'x'.repeat(3000),
    '%F0%9F%98%80',
  ),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }).map((bytes) => bytes.map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
);

const fill = (template: string, segs: readonly string[]): string => {
  let i = 0;
  return template.replace(/\{\w+\+?\}/g, () => segs[i++ % segs.length]!);
};
const segs = fc.array(segment, { minLength: 4, maxLength: 4 });
/** A method and a path: mostly a route of the API with its own method, else any method on a route, an embedded system's path, or none. */
const target = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), segs).map(([r, x]) => [r.method as string, fill(r.path, x)] as const) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...METHODS), fc.constantFrom(...ROUTES.map((r) => r.path), ...LOCAL_PATHS), segs)
      .map(([m, t, x]) => [m, fill(t, x)] as const),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.array(segment, { maxLength: 5 })).map(([m, x]) => [m, `/${x.join('/')}`] as const) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.array(segment, { maxLength: 3 })).map(([m, x]) => [m, `/v1/${x.join('/')}`] as const) },
);

const query = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(fc.constantFrom('limit', 'from', 'to', 'order', 'cursor', 'prefix', 'asOf', 'x'), segment), { maxLength: 3 })
    .map((qs) => `?${qs.map(([k, v]) => `${k}=${v}`).join('&')}`),
);

const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-ndjson', 'multipart/form-data', ''),
    'if-match': headerValue,
    'if-none-match': headerValue,
    'content-encoding': fc.constantFrom('gzip', 'identity', 'br'),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.constant(''),
  fc.json().map((j) => j),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"value":',
    '[]',
    'null',
    '{"items":[{"pk":"","sk":"a","value":1}]}',
    '{"keys":[{"pk":"a"}]}',
    '{"enabled":"yes"}',
    '\u0000',
    '{"value":"\ud800"}',
  ),
);

function send(url: string, method: string, p: string, h: Record<string, string>, b: string): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method, path: p, headers: { ...h, ...(b ? { 'content-length': String(Buffer.byteLength(b)) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(b || undefined);
  });
}

describe('random requests to every route', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 9, 0, 0) + 500);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('never answers 5xx, every 4xx carries the error body, and the server stays healthy (property)', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(target, query, headers, body, async ([method, p], q, h, b) => {
        const r = await send(sys.url, method, `${p}${q}`, h, method === 'GET' || method === 'HEAD' ? '' : b);
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        assert.ok(r.status < 500, `${method} ${p}${q} answered ${r.status}: ${r.text.slice(0, 300)}`);
        if (r.status >= 400 && method !== 'HEAD') {
          const e = JSON.parse(r.text) as { error?: { code?: unknown; message?: unknown } };
          assert.ok(
            typeof e.error?.code === 'string' && typeof e.error.message === 'string',
            `${method} ${p}${q} answered ${r.status} without the error body: ${r.text.slice(0, 300)}`,
          );
        }
      }),
      { numRuns: 600 },
    );
    // The runs reached the handlers, not only the router: some were served, some refused as bad input, some not found.
    assert.ok((seen.get(200) ?? 0) > 0 && (seen.get(400) ?? 0) > 0 && (seen.get(404) ?? 0) > 0, JSON.stringify([...seen]));
    const health = await send(sys.url, 'GET', '/healthz', {}, '');
    assert.equal(health.status, 200);
    const put = await send(sys.url, 'PUT', '/v1/items/after/fuzz', { 'content-type': 'application/json' }, JSON.stringify({ ok: true }));
    assert.equal(put.status, 200, put.text);
    const got = await send(sys.url, 'GET', '/v1/items/after/fuzz', {}, '');
    assert.equal(got.status, 200, got.text);
    assert.deepEqual((JSON.parse(got.text) as { value: unknown }).value, { ok: true });
  });

  it('answers a malformed percent-encoding in a key, a schedule or a state machine name 400 with the error body', async () => {
    for (const p of ['/v1/items/%zz/a', '/v1/items/a/%C0%AF', '/local/schedules/%zz', '/local/state-machines/%C0%AF']) {
      const r = await send(sys.url, 'GET', p, {}, '');
      assert.equal(r.status, 400, `${p}: ${r.text}`);
      assert.equal((JSON.parse(r.text) as { error: { code: string } }).error.code, 'InvalidPath');
    }
  });
});

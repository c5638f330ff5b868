/** The API's schemas: enforced on every request, and the OpenAPI document generated from them. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import type { HttpEvent } from '../../lambda/api/http.ts';
import { openApiDocument, openApiPath } from '../../lambda/api/openapi.ts';
import { ROUTES } from '../../lambda/api/routes.ts';
import { OPERATIONS, type OperationName } from '../../lambda/api/schemas.ts';
import { validateRequest } from '../../lambda/api/validate.ts';
import { ValidationError } from '../../lambda/core/errors.ts';

const event = (body: unknown, query?: Record<string, string>): HttpEvent =>
  ({ body: body === undefined ? undefined : JSON.stringify(body), isBase64Encoded: false, ...(query ? { queryStringParameters: query } : {}) }) as HttpEvent;

function refusal(op: OperationName, e: HttpEvent): ValidationError {
  try {
    validateRequest(op, e);
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err;
  }
  assert.fail(`${op} accepted ${e.body} ${JSON.stringify(e.queryStringParameters)}`);
}

describe('request validation', () => {
  it("refuses an unknown field anywhere in a body, naming it, with the operation's code", () => {
    const cases: [OperationName, unknown, string, RegExp][] = [
      ['batchWrite', { items: [{ pk: 'p', sk: 's', value: 1 }], extra: true }, 'InvalidBatch', /extra/],
      ['batchWrite', { items: [{ pk: 'p', sk: 's', vlaue: 1 }] }, 'InvalidBatch', /items\[0\]/],
      ['batchGet', { keys: [{ pk: 'p', sk: 's', seq: 1 }] }, 'InvalidBatch', /keys\[0\].*seq/],
      ['createImport', { format: 'ndjson', onInvlid: 'skip' }, 'InvalidImport', /onInvlid/],
      ['commitImport', { part: {} }, 'InvalidImport', /part/],
    ];
    for (const [op, body, code, message] of cases) {
      const err = refusal(op, event(body));
      assert.equal(err.code, code, `${op}: ${err.message}`);
      assert.match(err.message, message);
    }
  });

  it('refuses an unknown query parameter, and any on a route that takes none', () => {
    const typo = refusal('query', event(undefined, { limt: '5' }));
    assert.equal(typo.code, 'InvalidQuery');
    assert.match(typo.message, /limt/);
    const none = refusal('getItem', event(undefined, { consistent: 'true' }));
    assert.equal(none.code, 'InvalidQuery');
    assert.match(none.message, /consistent/);
  });

  it('gives a field with its own rule its own code', () => {
    assert.equal(refusal('query', event(undefined, { order: 'up' })).code, 'InvalidOrder');
    assert.equal(refusal('query', event(undefined, { limit: 'ten' })).code, 'InvalidLimit');
    assert.equal(refusal('batchGet', event({ keys: [{ pk: 'p' }] })).code, 'InvalidKey');
    assert.equal(refusal('batchWrite', event({ items: Array.from({ length: 101 }, (_, i) => ({ pk: 'p', sk: String(i), value: i })) })).code, 'BatchTooLarge');
    assert.equal(refusal('putItem', event(undefined)).code, 'InvalidJson');
  });

  it('accepts what the operations take, typed', () => {
    assert.deepEqual(validateRequest('batchWrite', event({ items: [{ pk: 'p', sk: 's', delete: true }] })).body, {
      items: [{ pk: 'p', sk: 's', delete: true }],
    });
    assert.deepEqual(validateRequest('query', event(undefined, { order: 'desc', limit: '5' })).query, { order: 'desc', limit: '5' });
    assert.equal(validateRequest('commitImport', event(undefined)).body, undefined);
    assert.equal(validateRequest('putItem', event(null)).body, null);
  });
});

describe('the OpenAPI document', () => {
  const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId: string }>> };

  it('is generated from the routes: one operation per route, and no other', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, o]) => `${method.toUpperCase()} ${path} ${o.operationId}`),
    );
    const routes = ROUTES.map((r) => `${r.method} ${openApiPath(r.path)} ${r.op}`);
    assert.deepEqual(documented.sort(), routes.sort());
    assert.deepEqual(Object.keys(OPERATIONS).sort(), ROUTES.map((r) => r.op).sort());
  });

  it('is written to docs/openapi.json as generated (npm run openapi)', () => {
    assert.deepEqual(JSON.parse(readFileSync('docs/openapi.json', 'utf8')), openApiDocument());
  });

  it("passes Redocly's recommended lint rules", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(openApiDocument()), absoluteRef: 'openapi.json', config });
    assert.deepEqual(
      problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`),
      [],
    );
  });
});

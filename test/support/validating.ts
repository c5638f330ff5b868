/**
 * A validating proxy for the client's tests: every answer checked against the OpenAPI
 * document as the API sends it. Its status is one the operation documents; a success's body
 * parses with the operation's schema (none at all for a 204) and carries the headers the
 * document names; an error's body is the Error schema, with Retry-After on 429 and 503.
 * What it saw is counted, so a test can say every route was checked.
 */
import assert from 'node:assert/strict';
import type { Transport } from '../../client/transport.ts';
import { openApiDocument, openApiPath } from '../../lambda/api/openapi.ts';
import { findRoute } from '../../lambda/api/routes.ts';
import { errorBody, NO_BODY, OPERATIONS, type OperationName } from '../../lambda/api/schemas.ts';

interface DocOperation {
  responses: Record<string, { headers?: Record<string, unknown> }>;
}

export function validating(inner: Transport, seen: Map<string, Set<number>> = new Map()): { transport: Transport; seen: Map<string, Set<number>> } {
  const doc = openApiDocument() as { paths: Record<string, Record<string, DocOperation>> };
  const transport: Transport = async (req) => {
    const res = await inner(req);
    const found = findRoute(req.method, req.path.split('?')[0]!);
    if (!('route' in found)) return res;
    const op = found.route.op as OperationName;
    const where = `${op} ${res.status}`;
    const documented = doc.paths[openApiPath(found.route.path)]![req.method.toLowerCase()]!;
    assert.ok(documented.responses[String(res.status)], `${where}: the status is not documented (${res.body.slice(0, 200)})`);
    const schema = (OPERATIONS[op].responses as Record<number, { safeParse(v: unknown): { success: boolean; error?: unknown } }>)[res.status];
    if (schema === NO_BODY) {
      assert.equal(res.body, '', `${where}: documented without a body`);
    } else if (schema) {
      const r = schema.safeParse(JSON.parse(res.body));
      assert.ok(r.success, `${where}: ${res.body.slice(0, 300)}: ${String(r.error)}`);
      for (const h of Object.keys(documented.responses[String(res.status)]!.headers ?? {})) assert.ok(res.headers.get(h), `${where}: no ${h} header`);
    } else {
      const r = errorBody.safeParse(JSON.parse(res.body));
      assert.ok(r.success, `${where}: not the Error body: ${res.body.slice(0, 300)}`);
      if (res.status === 429 || res.status === 503) assert.ok(res.headers.get('retry-after'), `${where}: no Retry-After`);
    }
    const statuses = seen.get(op) ?? new Set<number>();
    statuses.add(res.status);
    seen.set(op, statuses);
    return res;
  };
  return { transport, seen };
}

/**
 * Every request checked against its operation's schema (api/schemas.ts) before the operation
 * runs: the body (JSON), and the query string (a route without parameters takes none). The
 * first problem is the answer: a 400 with the field's own code where it has one, else the
 * operation's, and a message that names the field.
 */
import type * as z from 'zod/mini';
import { ValidationError } from '../core/errors.ts';
import { jsonBody, type HttpEvent } from './http.ts';
import { FIELD_CODES, OPERATIONS, type BodyOf, type OperationName, type OperationSchema, type QueryOf } from './schemas.ts';

export interface ValidRequest<K extends OperationName> {
  readonly body: BodyOf<K>;
  readonly query: QueryOf<K>;
}

function where(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function refuse(spec: OperationSchema, part: 'body' | 'query', issue: z.core.$ZodIssue): never {
  const field = [...issue.path].reverse().find((p): p is string => typeof p === 'string');
  const code =
    (field !== undefined ? FIELD_CODES[field] : undefined) ??
    (issue.code === 'too_big' && issue.origin === 'array' ? spec.tooLargeCode : undefined) ??
    spec.invalidCode ??
    (part === 'query' ? 'InvalidQuery' : 'InvalidRequest');
  const at = where(issue.path);
  throw new ValidationError(code, `${part === 'query' ? 'query' : 'body'}${at ? (at.startsWith('[') ? at : `.${at}`) : ''}: ${issue.message}`);
}

export function validateRequest<K extends OperationName>(op: K, event: HttpEvent): ValidRequest<K> {
  const spec: OperationSchema = OPERATIONS[op];
  const params = event.queryStringParameters ?? {};
  let query: unknown = {};
  if (spec.query) {
    const r = spec.query.safeParse(params);
    if (!r.success) refuse(spec, 'query', r.error.issues[0]!);
    query = r.data;
  } else {
    const names = Object.keys(params);
    if (names.length > 0) throw new ValidationError('InvalidQuery', `this route takes no query parameters; got ${names.map((n) => `"${n}"`).join(', ')}`);
  }
  let body: unknown;
  if (spec.body) {
    // An optional body may be absent; otherwise it must be JSON.
    const present = (event.body ?? '').trim() !== '';
    const parsed = present || !spec.body.safeParse(undefined).success ? jsonBody(event) : undefined;
    const r = spec.body.safeParse(parsed);
    if (!r.success) refuse(spec, 'body', r.error.issues[0]!);
    body = r.data;
  }
  return { body: body as BodyOf<K>, query: query as QueryOf<K> };
}

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the routes (api/routes.ts) and the
 * schemas every request is validated against (api/schemas.ts): served locally at
 * /openapi.json, written to docs/openapi.json (`npm run openapi`).
 */
import type * as z from 'zod/mini';
import { toJSONSchema } from 'zod/v4/core';
import { ROUTES } from './routes.ts';
import { errorBody, errorsOf, NO_BODY, OPERATIONS, type OperationSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodMiniType): JsonSchema {
  // A value is any JSON (a custom schema): `{}` in JSON Schema.
  const out = toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** What each error status means; a path's other methods answer 405 with Allow, an unknown path 404 (see the description). */
const ERRORS: Readonly<Record<number, string>> = {
  400: 'Bad input (the code names the rule); nothing was written',
  403: 'Not signed, or not allowed to call the API (API Gateway)',
  404: 'No such item, import or route',
  409: "Conflict with the store's state",
  412: 'PreconditionFailed: the record is not as If-Match or If-None-Match required (its ETag is the current seq); nothing was written',
  413: 'Value or body too large',
  429: 'Throttled: retry after Retry-After seconds',
  500: "The server's fault: InternalError, Corruption or AccessDenied (a missing grant)",
  503: "Not ready (a period's table, a moved object): retry after Retry-After seconds",
};

/** Headers of the error answers that carry one. */
const ERROR_HEADERS: Readonly<Record<number, Record<string, unknown>>> = {
  412: { ETag: { description: 'the current seq of the record, when there is one', schema: { type: 'string' } } },
  429: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'string' } } },
  503: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'string' } } },
};

/** `{sk+}` (API Gateway: the rest of the path) is `{sk}` in OpenAPI, which has no greedy parameters. */
export const openApiPath = (path: string): string => path.replace(/\{(\w+)\+\}/g, '{$1}');

export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const spec: OperationSchema = OPERATIONS[r.op];
    const pathParams = [...r.path.matchAll(/\{(\w+)(\+?)\}/g)].map(([, name, greedy]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
      description: greedy ? 'the rest of the path, percent-encoded; may contain /' : 'percent-encoded',
    }));
    const queryParams = spec.query
      ? Object.entries(spec.query.shape).map(([name, s]) => {
          const schema = schemaOf(s as z.ZodMiniType);
          const { description, ...rest } = schema;
          return { name, in: 'query', required: !(s as z.ZodMiniType).safeParse(undefined).success, schema: rest, ...(description ? { description } : {}) };
        })
      : [];
    const headerParams = Object.entries(spec.headers ?? {}).map(([name, description]) => ({
      name,
      in: 'header',
      required: false,
      schema: { type: 'string' },
      description,
    }));
    const responses: Record<string, unknown> = {};
    const successHeaders = Object.fromEntries(
      Object.entries(spec.responseHeaders ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
    );
    for (const [status, s] of Object.entries(spec.responses)) {
      responses[status] =
        s === NO_BODY
          ? { description: 'Done; no body' }
          : {
              description: 'OK',
              ...(Object.keys(successHeaders).length > 0 ? { headers: successHeaders } : {}),
              content: { 'application/json': { schema: schemaOf(s) } },
            };
    }
    for (const status of errorsOf(spec)) {
      responses[status] = {
        description: ERRORS[status],
        ...(ERROR_HEADERS[status] ? { headers: ERROR_HEADERS[status] } : {}),
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = {
      operationId: r.op,
      summary: spec.summary,
      tags: [r.unit],
      parameters: [...pathParams, ...queryParams, ...headerParams],
      ...(spec.body
        ? { requestBody: { required: !spec.body.safeParse(undefined).success, content: { 'application/json': { schema: schemaOf(spec.body) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Alki',
      version: '1',
      description:
        'A log-structured merge tree for cold metadata on AWS. Requests are signed with SigV4 (service execute-api). A method a path does not list is answered 405 with Allow, a path not listed 404, a path whose percent-encoding is malformed 400 InvalidPath, each with the Error body.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'npm start' }],
    security: [{ sigv4: [] }],
    tags: [
      { name: 'ingest', description: 'Writes' },
      { name: 'read', description: 'Reads' },
      { name: 'transfers', description: 'Bulk import and export' },
    ],
    paths,
    components: {
      schemas: { Error: schemaOf(errorBody) },
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (API Gateway AWS_IAM authorization)' },
      },
    },
  };
}

/**
 * HTTP for the handlers: API Gateway HTTP API payload 2.0 in, JSON out, and every error
 * as `{error: {code, message}}` with its status.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  AccessDeniedError,
  AlkiError,
  CorruptionError,
  NotFoundError,
  PreconditionFailedError,
  ThrottledError,
  TooLargeError,
  UnavailableError,
  ValidationError,
} from '../core/errors.ts';
import { etagOf } from '../core/precondition.ts';
import { ConflictError } from '../core/manifest.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string>; body: string };

/** Request bodies above this are refused: 100 values at the 256 KiB limit, plus framing. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024 - 1024;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export class MethodNotAllowedError extends AlkiError {
  readonly allowed: string[];
  constructor(method: string, allowed: string[]) {
    super('MethodNotAllowed', `${method} is not allowed here; allowed: ${allowed.join(', ')}`);
    this.allowed = allowed;
  }
}

export function errorResult(err: unknown): HttpResult {
  const body = (e: AlkiError): { error: { code: string; message: string } } => ({ error: { code: e.code, message: e.message } });
  if (err instanceof ValidationError) return json(400, body(err));
  if (err instanceof TooLargeError) return json(413, body(err));
  if (err instanceof NotFoundError) return json(404, body(err));
  if (err instanceof MethodNotAllowedError) return json(405, body(err), { allow: err.allowed.join(', ') });
  if (err instanceof ConflictError) return json(409, body(err));
  if (err instanceof PreconditionFailedError) return json(412, body(err), err.currentSeq === undefined ? {} : { etag: etagOf(err.currentSeq) });
  if (err instanceof ThrottledError) return json(429, body(err), { 'retry-after': String(err.retryAfterSeconds) });
  if (err instanceof UnavailableError) return json(503, body(err), { 'retry-after': String(err.retryAfterSeconds) });
  // Stored bytes failed a check: the server's fault, never the caller's (no 400), and named as such.
  if (err instanceof CorruptionError) return json(500, body(err));
  // A role without a permission its code needs: the deployment's fault, named so an operator can fix it.
  if (err instanceof AccessDeniedError) return json(500, body(err));
  return json(500, { error: { code: 'InternalError', message: 'internal error; see the function logs' } });
}

export function bodyText(event: HttpEvent): string {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new TooLargeError('BodyTooLarge', `request body is over ${MAX_BODY_BYTES} bytes`);
  return text;
}

/** Parses the body as JSON; an empty or malformed body is a 400 naming the problem. */
export function jsonBody(event: HttpEvent): unknown {
  const text = bodyText(event);
  if (text.trim() === '') throw new ValidationError('InvalidJson', 'request body is empty; expected JSON');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError('InvalidJson', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function query(event: HttpEvent, name: string): string | undefined {
  return event.queryStringParameters?.[name];
}

/** A request header (API Gateway gives their names in lower case). */
export function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

export function pathParam(event: HttpEvent, name: string): string {
  const v = event.pathParameters?.[name];
  if (v === undefined) throw new ValidationError('InvalidKey', `missing path parameter ${name}`);
  return v;
}

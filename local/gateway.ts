/**
 * A local stand-in for API Gateway's HTTP API: turns each HTTP request into a payload 2.0
 * event, matches it against the same routes the CDK app deploys, and calls the same
 * handler functions. Unmatched requests go to `$default`, as on AWS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiHandler } from '../lambda/api/handler.ts';
import { json, MAX_BODY_BYTES, type HttpEvent, type HttpResult } from '../lambda/api/http.ts';
import { LAMBDA_PAYLOAD_BYTES } from '../lambda/core/limits.ts';
import { httpEvent } from '../lambda/api/event.ts';
import type { Unit } from '../lambda/api/routes.ts';

export type Handlers = Readonly<Record<Unit, ApiHandler>>;

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export function toEvent(req: IncomingMessage, body: Buffer): { event: HttpEvent; unit: Unit } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  return httpEvent({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers,
    body: body.toString('utf8'),
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    protocol: `HTTP/${req.httpVersion}`,
  });
}

function send(res: ServerResponse, r: HttpResult): void {
  const body = r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  res.writeHead(r.statusCode, { ...r.headers, 'content-length': String(body.length) });
  res.end(body);
}

/** Serves one request through the handlers; `extra` answers local-only paths first. */
export async function serve(
  handlers: Handlers,
  req: IncomingMessage,
  res: ServerResponse,
  extra?: (req: IncomingMessage) => Promise<HttpResult | undefined>,
): Promise<void> {
  try {
    const local = await extra?.(req);
    if (local) return send(res, local);
    const body = await readBody(req);
    // API Gateway refuses payloads over its limit before any function runs.
    if (body === 'too-large') return send(res, json(413, { error: { code: 'BodyTooLarge', message: `request body is over ${MAX_BODY_BYTES} bytes` } }));
    const { event, unit } = toEvent(req, body);
    const result = await handlers[unit](event);
    // Lambda refuses a synchronous response over 6 MB; API Gateway then answers 500.
    if (Buffer.byteLength(JSON.stringify(result)) > LAMBDA_PAYLOAD_BYTES) return send(res, json(500, { message: 'Internal Server Error' }));
    send(res, result);
  } catch (err) {
    send(res, json(500, { error: { code: 'InternalError', message: (err as Error).message } }));
  }
}

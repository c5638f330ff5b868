/** The wire of the front door: reading a request, answering in each service's format, and forwarding to an emulator. */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export type Headers = Record<string, string | string[] | undefined>;

/** One request as the front door routes it: its body read, its caller known. */
export interface Call<P> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly method: string;
  readonly body: Buffer;
  readonly principal: P;
}

export const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const xmlUnescape = (s: string): string =>
  s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The JSON protocols' error answer (DynamoDB, Step Functions, Application Auto Scaling). */
export function jsonError(res: ServerResponse, status: number, type: string, message: string, contentType = 'application/x-amz-json-1.0'): void {
  const body = JSON.stringify({ __type: `com.amazon.coral.service#${type}`, Message: message, message });
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function jsonAnswer(res: ServerResponse, answer: unknown, contentType = 'application/x-amz-json-1.0'): void {
  const text = JSON.stringify(answer);
  res.writeHead(200, { 'content-type': contentType, 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function xmlAnswer(res: ServerResponse, xml: string): void {
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

/** S3's error document (none for HEAD, which has no body). */
export const s3ErrorBody = (method: string, code: string, message: string): string =>
  method === 'HEAD'
    ? ''
    : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;

export function s3Error(res: ServerResponse, method: string, status: number, code: string, message: string): void {
  const body = s3ErrorBody(method, code, message);
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-amz-request-id': randomUUID(),
    ...(method === 'HEAD' ? {} : { 'content-length': Buffer.byteLength(body) }),
  });
  res.end(method === 'HEAD' ? undefined : body);
}

/** Forwards a request (with `body`) to a backend and pipes the answer back, or hands it to `inspect` first. */
export function forward(
  backend: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  headers: Headers = req.headers,
  inspect?: (status: number, text: Buffer) => { status: number; body: Buffer } | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(req.url ?? '/', backend);
    const out = httpRequest(target, { method: req.method, headers: { ...headers, 'content-length': String(body.length) }, agent }, (up) => {
      if (!inspect) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', reject);
        return;
      }
      void readAll(up).then((text) => {
        const changed = inspect(up.statusCode ?? 502, text);
        if (changed) {
          // A changed body has another CRC32: the SDK checks DynamoDB's only when it is there.
          const { 'content-length': _, 'x-amz-crc32': __, ...rest } = up.headers;
          res.writeHead(changed.status, { ...rest, 'content-length': String(changed.body.length) });
          res.end(changed.body);
        } else {
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(text);
        }
        resolve();
      }, reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

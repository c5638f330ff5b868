/**
 * How a request reaches the API: over HTTP (signed with SigV4 for an API Gateway URL), or
 * in this process (direct mode, client/direct.ts). Both answer the same status, headers and
 * body for the same request.
 */
import { signedHeaders } from './sign.ts';

export interface TransportRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** The path and query string, percent-encoded. */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: string;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** The request did not get an answer: `sent` says whether it may have reached the API. */
export class TransportError extends Error {
  readonly sent: boolean;
  constructor(message: string, sent: boolean, cause?: unknown) {
    super(message, { cause });
    this.name = 'TransportError';
    this.sent = sent;
  }
}

/** Connection failures before a byte was sent: the request surely did nothing. */
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function httpTransport(url: string, fetcher: typeof fetch = fetch): Transport {
  const base = url.replace(/\/+$/, '');
  return async (req) => {
    const target = new URL(base + req.path);
    let res: Response;
    try {
      const headers = await signedHeaders(req.method, target, req.body, {
        ...req.headers,
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
      });
      res = await fetcher(target, { method: req.method, headers, ...(req.body !== undefined ? { body: req.body } : {}) });
    } catch (err) {
      const code = ((err as Error).cause as { code?: string } | undefined)?.code;
      throw new TransportError(`cannot reach ${base}: ${code ?? (err as Error).message}`, !UNSENT.has(code ?? ''), err);
    }
    try {
      return { status: res.status, headers: res.headers, body: await res.text() };
    } catch (err) {
      throw new TransportError(`the answer from ${base} was cut off: ${(err as Error).message}`, true, err);
    }
  };
}

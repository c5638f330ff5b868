/**
 * AlkiClient: every route of the API from code. Over HTTP (`new AlkiClient({ url })`,
 * SigV4-signed with the SDK's default credentials for an API Gateway URL) or in this
 * process (`AlkiClient.direct()`, client/direct.ts); both answer alike. Retries 429 and
 * 503 with backoff and jitter after Retry-After, where repeating is safe (client/retry.ts);
 * pages queries and export objects as async iterators; errors are typed exceptions carrying
 * the API's code (client/errors.ts).
 */
import { LIMITS } from '../lambda/core/limits.ts';
import { ROUTES } from '../lambda/api/routes.ts';
import type { OperationName } from '../lambda/api/schemas.ts';
import { directTransport, type DirectOptions } from './direct.ts';
import { AlkiApiError, AlkiConnectionError, errorOf, itemStatus } from './errors.ts';
import { backoffMs, DEFAULT_RETRY, outcomeUnknown, retryable, type RetryOptions, type Safety } from './retry.ts';
import { httpTransport, TransportError, type Transport, type TransportRequest, type TransportResponse } from './transport.ts';
import type {
  BatchWriteItem,
  BatchWriteResult,
  Checkpoint,
  CreatedImport,
  ExportObject,
  ExportStatus,
  ImportParts,
  ImportStatus,
  Item,
  Key,
  QueryOptions,
  QueryPage,
  RequestOf,
  ResponseOf,
  Runs,
  StoreStatus,
  WriteConditions,
  Written,
} from './types.ts';
import { BatchWriter, type BatchWriterOptions } from './writer.ts';

export interface AlkiClientOptions {
  /** The API's URL (the stack's ApiUrl output, or http://127.0.0.1:8080 for `npm start`). */
  readonly url?: string;
  /** Instead of a URL: how requests are sent (direct mode gives its own). */
  readonly transport?: Transport;
  readonly retry?: RetryOptions;
  /** Waits between attempts (tests pass a fake). */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Call<K extends OperationName> {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestOf<K> | undefined;
  readonly safety: Safety;
}

const ROUTE_OF = new Map<string, (typeof ROUTES)[number]>(ROUTES.map((r) => [r.op, r]));

/** The request for an operation: its route's path with the parameters encoded, and the query. */
function requestOf<K extends OperationName>(op: K, call: Call<K>): TransportRequest {
  const route = ROUTE_OF.get(op)!;
  const path = route.path.replace(/\{(\w+)\+?\}/g, (_, name: string) => {
    const v = call.params?.[name];
    if (v === undefined) throw new TypeError(`${op}: ${name} is required`);
    return encodeURIComponent(v);
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) qs.set(k, String(v));
  const q = qs.toString();
  return {
    method: route.method,
    path: q ? `${path}?${q}` : path,
    headers: { ...call.headers },
    ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
  };
}

function preconditionHeaders(c: WriteConditions | undefined): Record<string, string> {
  if (c?.ifMatch !== undefined && c.ifNoneMatch !== undefined) throw new TypeError('give ifMatch or ifNoneMatch, not both');
  if (c?.ifNoneMatch !== undefined) return { 'if-none-match': c.ifNoneMatch };
  if (c?.ifMatch === undefined) return {};
  const tags = c.ifMatch === '*' ? '*' : (typeof c.ifMatch === 'number' ? [c.ifMatch] : c.ifMatch).map((s) => `"${s}"`).join(', ');
  return { 'if-match': tags };
}

const isConditional = (c: WriteConditions | undefined): boolean => c?.ifMatch !== undefined || c?.ifNoneMatch !== undefined;

/** Items as an async iterable, with the pages behind them. */
export interface Paged<T, P> extends AsyncIterable<T> {
  pages(): AsyncIterable<P>;
}

export class AlkiClient {
  private readonly transport: Transport;
  private readonly retry: Required<RetryOptions>;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: AlkiClientOptions) {
    if (opts.transport) this.transport = opts.transport;
    else if (opts.url) this.transport = httpTransport(opts.url);
    else throw new TypeError('AlkiClient needs a url (or AlkiClient.direct() for direct mode)');
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Direct mode: the same calls in this process, on the caller's own credentials (client/direct.ts). */
  static direct(opts: DirectOptions & Omit<AlkiClientOptions, 'url' | 'transport'> = {}): AlkiClient {
    return new AlkiClient({ ...opts, transport: directTransport(opts) });
  }

  /** Sends an operation, retrying what may be retried; resolves with the success's body. */
  private async send<K extends OperationName>(op: K, call: Call<K>): Promise<{ status: number; body: ResponseOf<K>; headers: TransportResponse['headers'] }> {
    const req = requestOf(op, call);
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.retry.maxAttempts;
      let res: TransportResponse;
      try {
        res = await this.transport(req);
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        const answer = err.sent ? 'lost' : 'unsent';
        if (last || !retryable(call.safety, answer)) {
          throw new AlkiConnectionError(
            0,
            'ConnectionFailed',
            `${err.message}${outcomeUnknown(call.safety, answer) ? ' (the write may have been applied; it was not retried)' : ''}`,
            { outcomeUnknown: outcomeUnknown(call.safety, answer) },
          );
        }
        await this.sleep(backoffMs(attempt, undefined, this.retry));
        continue;
      }
      const body = parseBody(res);
      if (res.status >= 200 && res.status < 300) return { status: res.status, body: body as ResponseOf<K>, headers: res.headers };
      const error = errorOf(res.status, body, res.headers, outcomeUnknown(call.safety, { status: res.status, code: codeOf(body, res.status) }));
      if (last || !retryable(call.safety, error)) throw error;
      await this.sleep(backoffMs(attempt, error.retryAfterSeconds, this.retry));
    }
  }

  /** Writes a value (any JSON) under a key; conditional with `ifMatch` or `ifNoneMatch`. */
  async put(pk: string, sk: string, value: unknown, conditions?: WriteConditions): Promise<Written> {
    const body = JSON.stringify(value);
    if (body === undefined) throw new TypeError('the value must be JSON (not undefined)');
    return (
      await this.send('putItem', {
        params: { pk, sk },
        headers: preconditionHeaders(conditions),
        body: value as RequestOf<'putItem'>,
        safety: isConditional(conditions) ? 'conditional' : 'idempotent',
      })
    ).body;
  }

  /** Deletes a key (a tombstone); conditional with `ifMatch` or `ifNoneMatch`. */
  async delete(pk: string, sk: string, conditions?: WriteConditions): Promise<Written> {
    return (
      await this.send('deleteItem', {
        params: { pk, sk },
        headers: preconditionHeaders(conditions),
        safety: isConditional(conditions) ? 'conditional' : 'idempotent',
      })
    ).body;
  }

  /** The newest version of a key, or undefined when there is none. */
  async get(pk: string, sk: string, opts: { checkpoint?: string } = {}): Promise<Item | undefined> {
    try {
      return (await this.send('getItem', { params: { pk, sk }, query: { checkpoint: opts.checkpoint }, safety: 'idempotent' })).body;
    } catch (err) {
      if (err instanceof AlkiApiError && err.status === 404 && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** A partition in key order, as items (`for await`), or as pages (`.pages()`). */
  query(pk: string, opts: QueryOptions = {}): Paged<Item, QueryPage> {
    const page = async (cursor: string | undefined): Promise<QueryPage> =>
      (
        await this.send('query', {
          params: { pk },
          query: { from: opts.from, to: opts.to, order: opts.order, limit: opts.pageSize, cursor, checkpoint: opts.checkpoint },
          safety: 'idempotent',
        })
      ).body;
    return paged(page, opts.cursor, (p) => p.items);
  }

  /**
   * Puts and deletes, any number (sent 100 a request). Each item is answered on its own, in
   * order: its seq or its error. Items that surely wrote nothing (throttled, not ready) are
   * sent again; a conditional item only then.
   */
  async batchWrite(items: readonly BatchWriteItem[]): Promise<BatchWriteResult[]> {
    const results: BatchWriteResult[] = new Array(items.length);
    for (let start = 0; start < items.length; start += LIMITS.maxBatchItems) {
      let pending = items.slice(start, start + LIMITS.maxBatchItems).map((item, i) => ({ item, at: start + i }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        const conditional = pending.some((p) => isConditional(p.item));
        const { body } = await this.send('batchWrite', { body: { items: pending.map((p) => p.item) }, safety: conditional ? 'conditional' : 'idempotent' });
        const again: typeof pending = [];
        body.results.forEach((r, i) => {
          const p = pending[i]!;
          results[p.at] = r;
          // Asked again only what surely wrote nothing, by the rule a conditional request follows.
          if ('error' in r && retryable('conditional', { status: itemStatus(r.error.code), code: r.error.code })) again.push(p);
        });
        if (again.length === 0 || attempt + 1 >= this.retry.maxAttempts) break;
        await this.sleep(backoffMs(attempt, undefined, this.retry));
        pending = again;
      }
    }
    return results;
  }

  /** Reads keys, any number (100 a request; what the API left unprocessed is asked again): the item of each key, or undefined. */
  async batchGet(keys: readonly Key[], opts: { checkpoint?: string } = {}): Promise<(Item | undefined)[]> {
    const found = new Map<string, Item>();
    const id = (k: Key): string => JSON.stringify([k.pk, k.sk]);
    for (let start = 0; start < keys.length; start += LIMITS.maxBatchItems) {
      let ask: readonly Key[] = keys.slice(start, start + LIMITS.maxBatchItems);
      while (ask.length > 0) {
        const { body } = await this.send('batchGet', {
          body: { keys: ask.map((k) => ({ pk: k.pk, sk: k.sk })) },
          query: { checkpoint: opts.checkpoint },
          safety: 'idempotent',
        });
        for (const it of body.items) found.set(id(it), it);
        ask = body.unprocessedKeys ?? [];
      }
    }
    return keys.map((k) => found.get(id(k)));
  }

  /** Collects single writes into batch requests (client/writer.ts). */
  writer(opts: BatchWriterOptions = {}): BatchWriter {
    return new BatchWriter((items) => this.batchWrite(items), opts);
  }

  /** Pins the store as of the end of the last sealed period (ttl like 1h or 7d; default 1d). */
  async createCheckpoint(opts: { ttl?: string } = {}): Promise<Checkpoint> {
    return (await this.send('createCheckpoint', { body: opts.ttl !== undefined ? { ttl: opts.ttl } : {}, safety: 'create' })).body;
  }

  async listCheckpoints(): Promise<Checkpoint[]> {
    return (await this.send('listCheckpoints', { safety: 'idempotent' })).body.checkpoints;
  }

  async deleteCheckpoint(id: string): Promise<void> {
    await this.send('deleteCheckpoint', { params: { id }, safety: 'idempotent' });
  }

  /** The manifest: every run, hot and cold. */
  async runs(): Promise<Runs> {
    return (await this.send('listRuns', { safety: 'idempotent' })).body;
  }

  async status(): Promise<StoreStatus> {
    return (await this.send('status', { safety: 'idempotent' })).body;
  }

  /** Starts a bulk import: upload URLs for its NDJSON files (client/... or `alki import` uploads them). */
  async createImport(body: RequestOf<'createImport'>): Promise<CreatedImport> {
    return (await this.send('createImport', { body, safety: 'create' })).body;
  }

  /** The uploads are done: check and commit the import (multipart files name their parts' ETags). */
  async commitImport(id: string, body: RequestOf<'commitImport'> = {}): Promise<ImportStatus> {
    return (await this.send('commitImport', { params: { id }, body, safety: 'create' })).body;
  }

  async getImport(id: string): Promise<ImportStatus> {
    return (await this.send('getImport', { params: { id }, safety: 'idempotent' })).body;
  }

  /** A page of part URLs of one multipart file. */
  async importParts(id: string, file: number, opts: { part?: number; limit?: number } = {}): Promise<ImportParts> {
    return (await this.send('getImportParts', { params: { id }, query: { file, part: opts.part, limit: opts.limit }, safety: 'idempotent' })).body;
  }

  /** Waits until an import is no longer running (polling every `pollMs`). */
  async waitForImport(id: string, opts: { pollMs?: number; timeoutMs?: number } = {}): Promise<ImportStatus> {
    return this.until(
      () => this.getImport(id),
      (s) => s.state !== 'running',
      opts,
      `import ${id}`,
    );
  }

  /** Starts an export (of a checkpoint, or of one it takes), of the store or a key range. */
  async createExport(body: Omit<RequestOf<'createExport'>, 'format'> = {}): Promise<ResponseOf<'createExport'>> {
    return (await this.send('createExport', { body: { format: 'ndjson', ...body }, safety: 'create' })).body;
  }

  /** An export's state and a page of its objects. */
  async getExport(id: string, opts: { cursor?: string; limit?: number } = {}): Promise<ExportStatus> {
    return (await this.send('getExport', { params: { id }, query: { cursor: opts.cursor, limit: opts.limit }, safety: 'idempotent' })).body;
  }

  /** Waits until an export is no longer running. */
  async waitForExport(id: string, opts: { pollMs?: number; timeoutMs?: number } = {}): Promise<ExportStatus> {
    return this.until(
      () => this.getExport(id),
      (s) => s.state !== 'running',
      opts,
      `export ${id}`,
    );
  }

  /** A succeeded export's objects (each with a fresh download URL), page after page. */
  exportObjects(id: string, opts: { pageSize?: number } = {}): Paged<ExportObject, ExportStatus> {
    const page = (cursor: string | undefined): Promise<ExportStatus> =>
      this.getExport(id, { ...(cursor !== undefined ? { cursor } : {}), ...(opts.pageSize !== undefined ? { limit: opts.pageSize } : {}) });
    return paged(page, undefined, (p) => p.objects);
  }

  private async until<T>(read: () => Promise<T>, done: (t: T) => boolean, opts: { pollMs?: number; timeoutMs?: number }, what: string): Promise<T> {
    const deadline = Date.now() + (opts.timeoutMs ?? 3_600_000);
    for (;;) {
      const t = await read();
      if (done(t)) return t;
      if (Date.now() > deadline) throw new Error(`${what} is still running after ${opts.timeoutMs ?? 3_600_000} ms`);
      await this.sleep(opts.pollMs ?? 1000);
    }
  }
}

function parseBody(res: TransportResponse): unknown {
  if (res.body === '') return undefined;
  try {
    return JSON.parse(res.body);
  } catch {
    return { message: res.body.slice(0, 200) };
  }
}

function codeOf(body: unknown, status: number): string {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : `Http${status}`;
}

/** Pages fetched from `first` on, each from the cursor the last one gave, until none does; and their items. */
function paged<T, P extends { cursor?: string | undefined }>(
  page: (cursor: string | undefined) => Promise<P>,
  first: string | undefined,
  itemsOf: (p: P) => readonly T[],
): Paged<T, P> {
  async function* pages(): AsyncGenerator<P> {
    let cursor = first;
    do {
      const p = await page(cursor);
      yield p;
      cursor = p.cursor;
    } while (cursor !== undefined);
  }
  return {
    pages,
    async *[Symbol.asyncIterator]() {
      for await (const p of pages()) yield* itemsOf(p);
    },
  };
}

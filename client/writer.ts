/**
 * The batching writer: single puts and deletes, grouped into batch requests. A write's
 * promise resolves with its seq when its batch is acknowledged; an item the API refused
 * rejects its own promise only; a batch whose request failed rejects its writes. A batch
 * goes when it holds `maxItems` writes or `maxBytes` of JSON, or `lingerMs` after its first
 * write; `close()` (or `flush()`) sends what is waiting. One batch is in flight at a time
 * unless `concurrency` says more: then two writes of one key in different batches may land
 * in either order.
 */
import { LIMITS } from '../lambda/core/limits.ts';
import { errorOf, itemStatus, type AlkiApiError } from './errors.ts';
import { outcomeUnknown } from './retry.ts';
import type { BatchWriteItem, BatchWriteResult, Written } from './types.ts';

export interface BatchWriterOptions {
  /** Writes per batch request: 1 to 100 (default 100). */
  readonly maxItems?: number;
  /** JSON bytes per batch request (default 1 MiB; the API takes about 6 MB). */
  readonly maxBytes?: number;
  /** How long the first write of a batch waits for more (default 20 ms). */
  readonly lingerMs?: number;
  /** Batches in flight at once (default 1: writes land in the order they were made). */
  readonly concurrency?: number;
}

interface Pending {
  readonly item: BatchWriteItem;
  readonly bytes: number;
  resolve(w: Written): void;
  reject(err: unknown): void;
}

/** A refused item's error, as the API would have answered it alone (its outcome unknown where a conditional write's would be). */
function itemError(code: string, message: string): AlkiApiError {
  const status = itemStatus(code);
  return errorOf(status, { error: { code, message } }, new Headers(), outcomeUnknown('conditional', { status, code }));
}

export class BatchWriter {
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private readonly lingerMs: number;
  private readonly concurrency: number;
  private batch: Pending[] = [];
  private bytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly ready: Pending[][] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  private readonly send: (items: BatchWriteItem[]) => Promise<BatchWriteResult[]>;

  constructor(send: (items: BatchWriteItem[]) => Promise<BatchWriteResult[]>, opts: BatchWriterOptions = {}) {
    this.send = send;
    this.maxItems = opts.maxItems ?? LIMITS.maxBatchItems;
    if (!Number.isInteger(this.maxItems) || this.maxItems < 1 || this.maxItems > LIMITS.maxBatchItems)
      throw new RangeError(`maxItems must be 1 to ${LIMITS.maxBatchItems}`);
    this.maxBytes = opts.maxBytes ?? 1024 * 1024;
    this.lingerMs = opts.lingerMs ?? 20;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
  }

  put(pk: string, sk: string, value: unknown): Promise<Written> {
    return this.add({ pk, sk, value } as BatchWriteItem);
  }

  delete(pk: string, sk: string): Promise<Written> {
    return this.add({ pk, sk, delete: true });
  }

  private add(item: BatchWriteItem): Promise<Written> {
    if (this.closed) return Promise.reject(new Error('the writer is closed'));
    return new Promise((resolve, reject) => {
      const bytes = Buffer.byteLength(JSON.stringify(item));
      if (this.batch.length > 0 && this.bytes + bytes > this.maxBytes) this.seal();
      this.batch.push({ item, bytes, resolve, reject });
      this.bytes += bytes;
      if (this.batch.length >= this.maxItems || this.bytes >= this.maxBytes) this.seal();
      else this.timer ??= setTimeout(() => this.seal(), this.lingerMs);
    });
  }

  /** Ends the batch being filled: it goes as soon as there is room in flight. */
  private seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length > 0) this.ready.push(this.batch);
    this.batch = [];
    this.bytes = 0;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < this.concurrency && this.ready.length > 0) {
      const batch = this.ready.shift()!;
      const p: Promise<void> = this.deliver(batch).finally(() => {
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async deliver(batch: Pending[]): Promise<void> {
    let results: BatchWriteResult[];
    try {
      results = await this.send(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i]!;
      if ('seq' in r) p.resolve({ seq: r.seq });
      else p.reject(itemError(r.error.code, r.error.message));
    });
  }

  /** Sends what is waiting and resolves when every batch made so far is answered. */
  async flush(): Promise<void> {
    this.seal();
    while (this.inFlight.size > 0 || this.ready.length > 0) await Promise.all([...this.inFlight]);
  }

  /** Flushes, then takes no more writes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}

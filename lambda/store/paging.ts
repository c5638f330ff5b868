/** Paged DynamoDB reads: one loop over LastEvaluatedKey for every Query and Scan. */
import type { AttributeValue, ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { isThrottling, Patience, translate } from './aws-errors.ts';

/** A DynamoDB item as the SDK gives it: the one name for it in the adapters. */
export type DdbItem = Record<string, AttributeValue>;
type Page = { Items?: DdbItem[]; LastEvaluatedKey?: DdbItem; ConsumedCapacity?: ConsumedCapacity };

export interface PagingOptions {
  /** Stop after the first page (a sample). */
  readonly onePage?: boolean;
  /** Before the next page, wait for the read units this one consumed (a Pacer's take; the request must ask for ConsumedCapacity). */
  readonly pace?: (units: number) => Promise<void>;
  /**
   * A page refused for rate after the SDK's retries is asked for again from the same place,
   * with backoff, for up to throttlePatience.ms a page: a long scan waits out throttling
   * instead of failing and starting over. Each wait is counted here.
   */
  readonly patient?: { throttled: number };
  /** Start after this key (a position recorded earlier) instead of at the beginning. */
  readonly from?: DdbItem | undefined;
  /** Set, before each page is handed over, to where the next page starts (undefined after the last). */
  readonly cursor?: { next?: DdbItem | undefined };
}

type JsonValue = Record<string, unknown>;

function valueToJson(v: AttributeValue): JsonValue {
  if (v.B !== undefined) return { B: Buffer.from(v.B).toString('base64') };
  if (v.BS !== undefined) return { BS: v.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (v.L !== undefined) return { L: v.L.map(valueToJson) };
  if (v.M !== undefined) return { M: itemToJson(v.M) };
  return v as unknown as JsonValue;
}

function valueFromJson(v: JsonValue): AttributeValue {
  if (typeof v.B === 'string') return { B: Buffer.from(v.B, 'base64') };
  if (Array.isArray(v.BS)) return { BS: (v.BS as string[]).map((b) => Buffer.from(b, 'base64')) };
  if (Array.isArray(v.L)) return { L: (v.L as JsonValue[]).map(valueFromJson) };
  if (v.M && typeof v.M === 'object') return { M: itemFromJson(v.M as Record<string, JsonValue>) };
  return v as unknown as AttributeValue;
}

/** An item as JSON, to store or keep as text: binaries in base64, in lists and maps too. */
export function itemToJson(item: DdbItem): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, valueToJson(v)]));
}

export function itemFromJson(json: Record<string, JsonValue>): DdbItem {
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, valueFromJson(v)]));
}

/** A paged read's position (a LastEvaluatedKey) as text, to store and resume from. */
export const encodePosition = (key: DdbItem): string => JSON.stringify(itemToJson(key));
export const decodePosition = (text: string): DdbItem => itemFromJson(JSON.parse(text) as Record<string, JsonValue>);

/**
 * Every item of a Query or Scan, a page at a time: `page(start)` sends one request
 * continuing from `start` (undefined first).
 */
export async function* pagedBatches(what: string, page: (start: DdbItem | undefined) => Promise<Page>, opts: PagingOptions = {}): AsyncGenerator<DdbItem[]> {
  let start: DdbItem | undefined = opts.from;
  do {
    let out: Page | undefined;
    const patience = new Patience();
    while (!out) {
      try {
        out = await page(start);
      } catch (err) {
        if (!opts.patient || !isThrottling(err) || patience.spent) translate(err, what);
        opts.patient.throttled++;
        await patience.wait();
      }
    }
    if (opts.pace) await opts.pace(out.ConsumedCapacity?.CapacityUnits ?? 0);
    if (opts.cursor) opts.cursor.next = out.LastEvaluatedKey;
    if (out.Items && out.Items.length > 0) yield out.Items;
    start = out.LastEvaluatedKey;
  } while (start && !opts.onePage);
}

/** Every item of a Query or Scan, one by one (see pagedBatches). */
export async function* pagedItems(what: string, page: (start: DdbItem | undefined) => Promise<Page>, opts: PagingOptions = {}): AsyncGenerator<DdbItem> {
  for await (const items of pagedBatches(what, page, opts)) yield* items;
}

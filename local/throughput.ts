/**
 * Rates, enforced as AWS enforces them: token buckets in front of dynalite and fauxqs, scaled
 * by `ALKI_LOCAL_THROUGHPUT_SCALE` (1: AWS's own numbers; 0.01 lets a test reach a limit
 * with a hundred requests a second).
 *
 * - DynamoDB, per partition key value: 1,000 write and 3,000 read units a second.
 * - DynamoDB, per table: on-demand, a new table's 4,000 write and 12,000 read units a
 *   second (or its warm throughput, if higher), up to the per-table quota of 40,000 each;
 *   provisioned, the capacity as set, with up to 300 seconds of unused capacity as burst.
 * - S3, per prefix (a key up to its last `/`): 3,500 PUT/COPY/POST/DELETE and 5,500
 *   GET/HEAD requests a second, the rate a new prefix starts with before S3 splits it.
 *
 * A request is admitted while every bucket it draws from holds some capacity, then charged what it
 * consumed (a write's units are known before, a read's after the answer), so a bucket may go
 * into debt by one request, as DynamoDB's own accounting lets a request finish. A refusal
 * names its reason as DynamoDB's ThrottlingReasons do.
 */
import { RATE_QUOTAS } from '../lambda/core/limits.ts';
import { TokenBucket } from '../lambda/core/token-bucket.ts';
import { itemBytes, readUnits, writeUnits, type WireItem } from './capacity-units.ts';

/** AWS's rates (one source: `RATE_QUOTAS`, which the scale model checks too) and the burst a provisioned table keeps. */
export const AWS_RATES = { ...RATE_QUOTAS, provisionedBurstSeconds: 300 } as const;

/** What the front door knows of a table's capacity (DescribeTable, and the warm throughput it was created with). */
export interface TableCapacity {
  readonly mode: 'on-demand' | 'provisioned';
  readonly read: number;
  readonly write: number;
  /** Warm throughput (on-demand): the rates it takes at once. */
  readonly warmRead?: number;
  readonly warmWrite?: number;
  /** Its partition key attribute. */
  readonly partitionKey: string;
}

export interface Refusal {
  readonly type: 'ProvisionedThroughputExceededException' | 'ThrottlingException';
  readonly message: string;
  readonly reason: string;
  readonly table: string;
}

type Kind = 'Read' | 'Write';

/** One table's buckets: the table's own, and one per partition key value. */
class TableBuckets {
  readonly read: TokenBucket;
  readonly write: TokenBucket;
  readonly keys = new Map<string, TokenBucket>();
  capacity: TableCapacity;

  constructor(capacity: TableCapacity, scale: number, now: () => number) {
    this.capacity = capacity;
    const [r, w] = TableBuckets.rates(capacity);
    const burst = capacity.mode === 'provisioned' ? AWS_RATES.provisionedBurstSeconds : 1;
    this.read = new TokenBucket(r * scale, r * scale * burst, now);
    this.write = new TokenBucket(w * scale, w * scale * burst, now);
  }

  /** A table's read and write units a second. */
  static rates(c: TableCapacity): [number, number] {
    if (c.mode === 'provisioned') return [c.read, c.write];
    return [
      Math.min(AWS_RATES.tableUnits, Math.max(AWS_RATES.newTableReadUnits, c.warmRead ?? 0)),
      Math.min(AWS_RATES.tableUnits, Math.max(AWS_RATES.newTableWriteUnits, c.warmWrite ?? 0)),
    ];
  }
}

/** How much a request consumes, and of which partition keys. */
interface Draw {
  readonly table: string;
  readonly kind: Kind;
  /** Partition key values it draws from (the units split evenly among them), or none (a Scan). */
  readonly keys: readonly string[];
  /** Known before (writes); undefined: charged from the answer. */
  readonly units?: number;
}

const partitionValue = (item: WireItem | undefined, attribute: string): string | undefined => {
  const v = item?.[attribute];
  return v ? String(v.S ?? v.N ?? v.B) : undefined;
};

/** The partition key value a Query's key condition names (`#pk = :pk`). */
function queryKey(body: Record<string, unknown>, attribute: string): string | undefined {
  const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (body.ExpressionAttributeValues ?? {}) as WireItem;
  for (const part of String(body.KeyConditionExpression ?? '').split(/\s+AND\s+/i)) {
    const m = /^\s*\(?\s*([#\w.]+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(part);
    if (!m) continue;
    const name = m[1]!.startsWith('#') ? names[m[1]!] : m[1];
    if (name === attribute) return partitionValue({ k: values[m[2]!]! }, 'k');
  }
  return undefined;
}

export interface DynamoThroughputOptions {
  readonly scale: number;
  /** A table's capacity, as DescribeTable says; undefined if it does not exist. */
  readonly describe: (table: string) => Promise<Omit<TableCapacity, 'warmRead' | 'warmWrite'> | undefined>;
  readonly now?: () => number;
}

/** Counts of what the buckets did, for tests and the bench. */
export interface ThroughputCounts {
  admitted: number;
  refused: number;
  byReason: Record<string, number>;
  /** Refusals by table (DynamoDB) or prefix (S3) and reason: `<table> <reason>`. */
  byTarget: Record<string, number>;
}

function countRefusal(c: ThroughputCounts, reason: string, target: string): void {
  c.refused++;
  c.byReason[reason] = (c.byReason[reason] ?? 0) + 1;
  c.byTarget[`${target} ${reason}`] = (c.byTarget[`${target} ${reason}`] ?? 0) + 1;
}

export class DynamoThroughput {
  private readonly tables = new Map<string, TableBuckets>();
  private readonly warm = new Map<string, { read?: number; write?: number }>();
  private readonly opts: DynamoThroughputOptions;
  private readonly now: () => number;
  private scale: number;
  readonly counts: ThroughputCounts = { admitted: 0, refused: 0, byReason: {}, byTarget: {} };

  constructor(opts: DynamoThroughputOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.scale = opts.scale;
  }

  /** Enforces AWS's rates times `scale` from now on (a test loads a table fast, then offloads it slowly). */
  rescale(scale: number): void {
    this.scale = scale;
    this.tables.clear();
  }

  /** Warm throughput a CreateTable or UpdateTable asked for (dynalite has none: the front door keeps it). */
  setWarm(table: string, warm: { ReadUnitsPerSecond?: number; WriteUnitsPerSecond?: number } | undefined): void {
    if (!warm) return;
    const before = this.warm.get(table) ?? {};
    this.warm.set(table, { read: Math.max(before.read ?? 0, warm.ReadUnitsPerSecond ?? 0), write: Math.max(before.write ?? 0, warm.WriteUnitsPerSecond ?? 0) });
    this.tables.delete(table);
  }

  warmOf(table: string): { read?: number; write?: number } | undefined {
    return this.warm.get(table);
  }

  /** Forgets what it knew of a table (after UpdateTable or DeleteTable). */
  forget(table: string, deleted = false): void {
    this.tables.delete(table);
    if (deleted) this.warm.delete(table);
  }

  private async buckets(table: string): Promise<TableBuckets | undefined> {
    const known = this.tables.get(table);
    if (known) return known;
    const c = await this.opts.describe(table);
    if (!c) return undefined;
    const warm = this.warm.get(table);
    const b = new TableBuckets(
      { ...c, ...(warm?.read ? { warmRead: warm.read } : {}), ...(warm?.write ? { warmWrite: warm.write } : {}) },
      this.scale,
      this.now,
    );
    this.tables.set(table, b);
    return b;
  }

  private keyBucket(t: TableBuckets, kind: Kind, key: string): TokenBucket {
    const id = `${kind}\u0000${key}`;
    let b = t.keys.get(id);
    if (!b) {
      if (t.keys.size > 10_000) for (const [k, x] of t.keys) if (x.full()) t.keys.delete(k);
      const rate = (kind === 'Write' ? AWS_RATES.partitionWriteUnits : AWS_RATES.partitionReadUnits) * this.scale;
      b = new TokenBucket(rate, rate, this.now);
      t.keys.set(id, b);
    }
    return b;
  }

  /** What a DynamoDB request draws, by operation. */
  private async draws(op: string, body: Record<string, unknown>): Promise<Draw[]> {
    const pkOf = async (table: string): Promise<string | undefined> => (await this.buckets(table))?.capacity.partitionKey;
    const one = async (table: unknown, kind: Kind, item: WireItem | undefined, units?: number): Promise<Draw[]> => {
      if (typeof table !== 'string') return [];
      const attr = await pkOf(table);
      const key = attr ? partitionValue(item, attr) : undefined;
      return [{ table, kind, keys: key ? [key] : [], ...(units !== undefined ? { units } : {}) }];
    };
    switch (op) {
      case 'PutItem':
        return one(body.TableName, 'Write', body.Item as WireItem, writeUnits(itemBytes(body.Item as WireItem)));
      case 'UpdateItem':
      case 'DeleteItem':
        return one(body.TableName, 'Write', body.Key as WireItem, writeUnits(itemBytes(body.Key as WireItem)));
      case 'GetItem':
        return one(body.TableName, 'Read', body.Key as WireItem);
      case 'Query': {
        const table = body.TableName;
        if (typeof table !== 'string') return [];
        const attr = await pkOf(table);
        const key = attr ? queryKey(body, attr) : undefined;
        return [{ table, kind: 'Read', keys: key ? [key] : [] }];
      }
      case 'Scan':
        return typeof body.TableName === 'string' ? [{ table: body.TableName, kind: 'Read', keys: [] }] : [];
      case 'BatchWriteItem': {
        const out: Draw[] = [];
        for (const [table, requests] of Object.entries(
          (body.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: WireItem }; DeleteRequest?: { Key: WireItem } }[]>,
        )) {
          for (const r of requests) {
            const item = r.PutRequest?.Item ?? r.DeleteRequest?.Key;
            out.push(...(await one(table, 'Write', item, writeUnits(itemBytes(item)))));
          }
        }
        return out;
      }
      case 'BatchGetItem': {
        const out: Draw[] = [];
        for (const [table, req] of Object.entries((body.RequestItems ?? {}) as Record<string, { Keys: WireItem[] }>))
          for (const k of req.Keys ?? []) out.push(...(await one(table, 'Read', k)));
        return out;
      }
      case 'TransactWriteItems': {
        const out: Draw[] = [];
        for (const it of (body.TransactItems ?? []) as Record<string, Record<string, unknown>>[]) {
          for (const [kind, a] of Object.entries(it)) {
            const item = (kind === 'Put' ? a.Item : a.Key) as WireItem;
            // A condition check costs as a read of the item, charged as a transactional write here (its size is not known before).
            out.push(
              ...(await one(
                a.TableName,
                kind === 'ConditionCheck' ? 'Read' : 'Write',
                item,
                kind === 'ConditionCheck' ? 2 : writeUnits(itemBytes(item), true),
              )),
            );
          }
        }
        return out;
      }
      default:
        return [];
    }
  }

  /**
   * Admits a request, charging what it is known to consume, or refuses it. Returns what the
   * answer must still be charged for (reads), to pass to `settle`.
   */
  async admit(op: string, body: Record<string, unknown>): Promise<{ refusal: Refusal } | { pending: Draw[] }> {
    const draws = await this.draws(op, body);
    for (const d of draws) {
      const t = await this.buckets(d.table);
      if (!t) continue;
      const tableBucket = d.kind === 'Write' ? t.write : t.read;
      const keyBuckets = d.keys.map((k) => this.keyBucket(t, d.kind, k));
      const hot = keyBuckets.find((b) => !b.admits());
      if (hot || !tableBucket.admits()) {
        const limit = hot ? 'KeyRangeThroughputExceeded' : t.capacity.mode === 'provisioned' ? 'ProvisionedThroughputExceeded' : 'AccountLimitExceeded';
        const reason = `Table${d.kind}${limit}`;
        countRefusal(this.counts, reason, d.table);
        const type = !hot && t.capacity.mode === 'on-demand' ? 'ThrottlingException' : 'ProvisionedThroughputExceededException';
        const message = hot
          ? `The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Throughput exceeds the current capacity for one or more partitions (key ${d.keys.join(', ')})`
          : 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.';
        return { refusal: { type, message, reason, table: d.table } };
      }
    }
    this.counts.admitted++;
    const pending: Draw[] = [];
    for (const d of draws) {
      if (d.units === undefined) pending.push(d);
      else await this.charge(d, d.units);
    }
    return { pending };
  }

  /** Charges reads for what the answer holds. */
  async settle(op: string, body: Record<string, unknown>, pending: readonly Draw[], answer: Record<string, unknown>): Promise<void> {
    if (pending.length === 0) return;
    const consistent = body.ConsistentRead === true;
    if (op === 'GetItem') return this.charge(pending[0]!, readUnits(itemBytes(answer.Item as WireItem), consistent));
    if (op === 'Query' || op === 'Scan') {
      const bytes = ((answer.Items ?? []) as WireItem[]).reduce((s, it) => s + itemBytes(it), 0);
      return this.charge(pending[0]!, readUnits(bytes, consistent));
    }
    if (op === 'BatchGetItem') {
      const responses = (answer.Responses ?? {}) as Record<string, WireItem[]>;
      for (const d of pending) {
        const items = responses[d.table] ?? [];
        const bytes = items.reduce((s, it) => s + itemBytes(it), 0) / Math.max(1, pending.filter((x) => x.table === d.table).length);
        await this.charge(d, readUnits(bytes, (body.RequestItems as Record<string, { ConsistentRead?: boolean }>)[d.table]?.ConsistentRead === true));
      }
      return;
    }
    for (const d of pending) await this.charge(d, 2);
  }

  private async charge(d: Draw, units: number): Promise<void> {
    const t = await this.buckets(d.table);
    if (!t) return;
    (d.kind === 'Write' ? t.write : t.read).charge(units);
    for (const k of d.keys) this.keyBucket(t, d.kind, k).charge(units / d.keys.length);
  }
}

/** S3's request rates per prefix. */
export class S3Throughput {
  private readonly prefixes = new Map<string, TokenBucket>();
  private readonly scale: number;
  private readonly now: () => number;
  readonly counts: ThroughputCounts = { admitted: 0, refused: 0, byReason: {}, byTarget: {} };

  constructor(scale: number, now: () => number = Date.now) {
    this.scale = scale;
    this.now = now;
  }

  /** The prefix S3 rates a key under: the key up to its last `/`. */
  static prefixOf(bucket: string, key: string | undefined): string {
    const k = key ?? '';
    return `${bucket}/${k.slice(0, k.lastIndexOf('/') + 1)}`;
  }

  /** Admits one request (a write: PUT, COPY, POST, DELETE; else a read), or says no. */
  admit(method: string, bucket: string, key: string | undefined): boolean {
    const write = method !== 'GET' && method !== 'HEAD';
    const id = `${write ? 'w' : 'r'}\u0000${S3Throughput.prefixOf(bucket, key)}`;
    let b = this.prefixes.get(id);
    if (!b) {
      if (this.prefixes.size > 10_000) for (const [k, x] of this.prefixes) if (x.full()) this.prefixes.delete(k);
      const rate = (write ? AWS_RATES.prefixPuts : AWS_RATES.prefixGets) * this.scale;
      b = new TokenBucket(rate, rate, this.now);
      this.prefixes.set(id, b);
    }
    if (!b.admits()) {
      countRefusal(this.counts, write ? 'PrefixWrites' : 'PrefixReads', S3Throughput.prefixOf(bucket, key));
      return false;
    }
    this.counts.admitted++;
    b.charge(1);
    return true;
  }
}

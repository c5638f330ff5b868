/**
 * Hot tier adapter: one DynamoDB table per period. Items: pk, sk, v (JSON text, absent on a
 * tombstone), seq, and in a sharded table the partition key `pk<n>` = `<shard>#<pk>`
 * (core/hot-shards.ts). Conditional last-writer-wins puts; batch writes of 25 with
 * unprocessed items retried; consistent gets; paginated queries in both directions, over
 * every shard of the pk merged in key order.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateTableCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { decodeKey, splitKey } from '../core/keys.ts';
import type { PartitionQuery } from '../core/partition-query.ts';
import type { Entry } from '../core/record.ts';
import type { TableCapacity } from '../core/hot-capacity.ts';
import { HOT_TABLE, hotPartitionKey, hotTableSchema, shardsOfPartitionKey } from '../core/schema.ts';
import { partitionValueOf, partitionValuesOf } from '../core/hot-shards.ts';
import { MergeIterator } from '../core/merge.ts';
import { ThrottledError } from '../core/errors.ts';
import { RATE_QUOTAS } from '../core/limits.ts';
import { Pacer } from '../core/token-bucket.ts';
import { errorName, sleep, translate } from './aws-errors.ts';
import { BATCH_WRITE_MAX, writeAll } from './batch-write.ts';
import { decodePosition, encodePosition, pagedBatches, pagedItems } from './paging.ts';
import { BatchStream } from '../core/source.ts';
import { grant, type Grant } from './grants.ts';

/** What each use of the hot tables calls (tables by this store's name prefix). */
export const HOT_TABLE_GRANTS = {
  /** put, batchWrite */
  write: [grant('hotTables', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem')],
  /** putIf: a conditional put, or a transaction of one put and condition checks on other tables */
  putIf: [grant('hotTables', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem')],
  /** get, query */
  read: [grant('hotTables', 'dynamodb:GetItem', 'dynamodb:Query')],
  /** get (a conditional write reads the key's versions) */
  get: [grant('hotTables', 'dynamodb:GetItem')],
  /** scanSegment */
  scan: [grant('hotTables', 'dynamodb:Scan')],
  /** describe (the offload's planner: size and read rate) */
  describe: [grant('hotTables', 'dynamodb:DescribeTable')],
  /** create (tags on create need TagResource), describe */
  create: [grant('hotTables', 'dynamodb:CreateTable', 'dynamodb:TagResource', 'dynamodb:DescribeTable')],
  /** setCapacity */
  capacity: [grant('hotTables', 'dynamodb:UpdateTable')],
  /** drop */
  drop: [grant('hotTables', 'dynamodb:DeleteTable')],
} as const satisfies Record<string, readonly Grant[]>;

type Item = Record<string, AttributeValue>;

/** A hot table and its write shards (a hot run's `table` and `shards`). */
export interface HotTable {
  readonly table: string;
  /** Absent: one (an unsharded table). */
  readonly shards?: number | undefined;
}

/** The hot table of a hot run. */
export const hotTableOf = (run: { readonly table?: string | undefined; readonly shards?: number | undefined; readonly id: string }): HotTable => {
  if (!run.table) throw new Error(`run ${run.id} has no table`);
  return { table: run.table, shards: run.shards };
};

/** A table as DescribeTable tells it: what rotation needs to converge its capacity. */
export interface TableState {
  readonly status: string;
  readonly mode: TableCapacity['mode'];
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Average item size; undefined while DynamoDB reports no items. */
  readonly itemBytes?: number;
  /** Write shards, from its key schema. */
  readonly shards: number;
  /** Size and item count as DynamoDB reports them (refreshed about every 6 hours on AWS). */
  readonly bytes: number;
  readonly items: number;
  /**
   * Read units a second the table serves: its provisioned capacity, or (on-demand) its warm
   * throughput, a new table's 12,000 when it reports none, within its maximum.
   */
  readonly readRate: number;
}

/** The read units a second a described table serves (TableState.readRate). */
function readRateOf(t: TableDescription): number {
  const provisioned = t.ProvisionedThroughput?.ReadCapacityUnits ?? 0;
  if (provisioned > 0) return provisioned;
  const max = t.OnDemandThroughput?.MaxReadRequestUnits ?? -1;
  return Math.min(t.WarmThroughput?.ReadUnitsPerSecond ?? RATE_QUOTAS.newTableReadUnits, max > 0 ? max : RATE_QUOTAS.tableUnits);
}

const billing = (c: TableCapacity) =>
  c.mode === 'provisioned'
    ? { BillingMode: 'PROVISIONED' as const, ProvisionedThroughput: { ReadCapacityUnits: c.read.initial, WriteCapacityUnits: c.write.initial } }
    : { BillingMode: 'PAY_PER_REQUEST' as const };
const { partitionKey: PK, sortKey: SK, value: V, seq: SEQ } = HOT_TABLE;

/** The item of a record in a table of `shards` shards. */
export function toHotItem(e: Entry, shards = 1): Item {
  const { pk, sk } = decodeKey(e.key);
  const item: Item = { [PK]: { S: pk }, [SK]: { S: sk }, [SEQ]: { N: String(e.seq) } };
  if (shards > 1) item[hotPartitionKey(shards)] = { S: partitionValueOf(e.key, pk, shards) };
  if (e.value !== null) item[V] = { S: e.value.toString('utf8') };
  return item;
}

export function fromHotItem(item: Item): Entry {
  return {
    // encodeKey's bytes (pk 0x00 sk; a stored pk holds no NUL), in one allocation.
    key: Buffer.from(`${item[PK]!.S!}\u0000${item[SK]!.S!}`, 'utf8'),
    seq: Number(item[SEQ]!.N),
    value: item[V]?.S !== undefined ? Buffer.from(item[V].S, 'utf8') : null,
  };
}

/** The primary key of a record's item in a table of `shards` shards. */
function keyOf(key: Buffer, shards = 1): Item {
  const { pk, sk } = splitKey(key);
  return { [hotPartitionKey(shards)]: { S: partitionValueOf(key, pk.toString('utf8'), shards) }, [SK]: { S: sk.toString('utf8') } };
}

const shardsOf = (t: HotTable): number => t.shards ?? 1;

export class HotTables {
  private readonly ddb: DynamoDBClient;

  constructor(ddb: DynamoDBClient) {
    this.ddb = ddb;
  }

  /**
   * Writes unless the table holds a newer version of the key. Returns false when a newer
   * version won (the write is acknowledged: last writer wins by seq).
   */
  async put(t: HotTable, e: Entry): Promise<boolean> {
    const { table } = t;
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: toHotItem(e, shardsOf(t)),
          ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
          ExpressionAttributeNames: { '#seq': SEQ },
          ExpressionAttributeValues: { ':seq': { N: String(e.seq) } },
        }),
      );
      return true;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return false;
      return translate(err, `put into ${table}`);
    }
  }

  /**
   * Writes `e` into `table` only if the key is, in every table of `expect` (the table itself
   * among them), at the seq given there (undefined: absent) — one conditional put, or one
   * transaction of the put and a condition check per other table. False when any differs
   * (or a concurrent transaction on the key won): nothing was written, read again.
   */
  async putIf(t: HotTable, e: Entry, expect: readonly { readonly table: HotTable; readonly seq: number | undefined }[]): Promise<boolean> {
    const { table } = t;
    const condition = (seq: number | undefined) =>
      seq === undefined
        ? { ConditionExpression: 'attribute_not_exists(#seq)', ExpressionAttributeNames: { '#seq': SEQ } }
        : { ConditionExpression: '#seq = :seen', ExpressionAttributeNames: { '#seq': SEQ }, ExpressionAttributeValues: { ':seen': { N: String(seq) } } };
    const own = expect.find((x) => x.table.table === table);
    const others = expect.filter((x) => x.table.table !== table);
    try {
      if (others.length === 0) {
        await this.ddb.send(new PutItemCommand({ TableName: table, Item: toHotItem(e, shardsOf(t)), ...condition(own?.seq) }));
      } else {
        await this.ddb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: table, Item: toHotItem(e, shardsOf(t)), ...condition(own?.seq) } },
              ...others.map((x) => ({ ConditionCheck: { TableName: x.table.table, Key: keyOf(e.key, shardsOf(x.table)), ...condition(x.seq) } })),
            ],
          }),
        );
      }
      return true;
    } catch (err) {
      const name = errorName(err);
      // A condition failed, or another transaction on the key was in flight (TransactionConflict): read again.
      if (name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException' || name === 'TransactionConflictException') {
        const codes = ((err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        const other = codes.filter((c) => !['None', 'ConditionalCheckFailed', 'TransactionConflict'].includes(c));
        if (other.length === 0) return false;
        if (other.every((c) => c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded')) throw new ThrottledError(`the conditional write into ${table} was throttled`);
        throw new Error(`the conditional write into ${table} was cancelled: ${other.join(', ')}`);
      }
      return translate(err, `conditional put into ${table}`);
    }
  }

  /** Writes up to any number of entries, 25 per call; keys must be distinct. */
  /** A batch request's items, in BatchWriteItems of 25 sent together: the answer waits for the slowest, not for their sum. */
  async batchWrite(t: HotTable, entries: readonly Entry[]): Promise<void> {
    const requests = entries.map((e) => ({ PutRequest: { Item: toHotItem(e, shardsOf(t)) } }));
    const chunks = Array.from({ length: Math.ceil(requests.length / BATCH_WRITE_MAX) }, (_, i) => requests.slice(i * BATCH_WRITE_MAX, (i + 1) * BATCH_WRITE_MAX));
    await Promise.all(chunks.map((chunk) => writeAll(this.ddb, t.table, chunk, `batch write into ${t.table}`)));
  }

  async get(t: HotTable, key: Buffer): Promise<Entry | undefined> {
    const { table } = t;
    try {
      const out = await this.ddb.send(new GetItemCommand({ TableName: table, Key: keyOf(key, shardsOf(t)), ConsistentRead: true }));
      return out.Item ? fromHotItem(out.Item) : undefined;
    } catch (err) {
      return translate(err, `get from ${table}`);
    }
  }

  /**
   * The partition's records within the query's sk bounds, in its order, page by page: in a
   * sharded table every shard of the pk, merged in key order (each key lives in one shard).
   */
  query(t: HotTable, q: PartitionQuery, pageSize = q.limit + 1): AsyncIterable<Entry> {
    const shards = shardsOf(t);
    if (shards <= 1) return this.queryPartition(t.table, PK, q.pk, q, pageSize);
    const attribute = hotPartitionKey(shards);
    return new MergeIterator(partitionValuesOf(q.pk, shards).map((value) => this.queryPartition(t.table, attribute, value, q, pageSize)), { direction: q.direction });
  }

  /** One partition key value's records within the query's sk bounds. */
  private async *queryPartition(table: string, attribute: string, partition: string, q: PartitionQuery, pageSize: number): AsyncGenerator<Entry> {
    const names: Record<string, string> = { '#pk': attribute };
    const values: Item = { ':pk': { S: partition } };
    let cond = '#pk = :pk';
    if (q.from !== undefined || q.to !== undefined) names['#sk'] = SK;
    if (q.from !== undefined && q.to !== undefined) {
      cond += ' AND #sk BETWEEN :from AND :to';
      values[':from'] = { S: q.from };
      values[':to'] = { S: q.to };
    } else if (q.from !== undefined) {
      cond += q.fromExclusive ? ' AND #sk > :from' : ' AND #sk >= :from';
      values[':from'] = { S: q.from };
    } else if (q.to !== undefined) {
      cond += ' AND #sk < :to';
      values[':to'] = { S: q.to };
    }
    const pages = pagedItems(`query ${table}`, (start) =>
      this.ddb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: cond,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: q.direction === 'asc',
          ConsistentRead: true,
          Limit: Math.min(pageSize, 1000),
          ExclusiveStartKey: start,
        }),
      ),
    );
    for await (const item of pages) {
      const sk = item[SK]!.S!;
      // BETWEEN is inclusive at both ends; the API's bounds may be exclusive.
      if (q.to !== undefined && sk === q.to) continue;
      if (q.fromExclusive && sk === q.from) continue;
      yield fromHotItem(item);
    }
  }

  /**
   * One segment's records (unordered), a page at a time. A sample (`pageLimit`) reads one
   * page; a whole segment is read at `readUnitsPerSecond` when given, and waits out
   * throttling from where it was (counted in `throttled`), so its task never starts over.
   */
  scanSegment(
    table: string,
    segment: number,
    totalSegments: number,
    opts: { pageLimit?: number; readUnitsPerSecond?: number; throttled?: { throttled: number }; consistent?: boolean; from?: string | undefined; cursor?: { position?: string | undefined } } = {},
  ): BatchStream {
    const { pageLimit, readUnitsPerSecond } = opts;
    const pacer = readUnitsPerSecond !== undefined ? new Pacer(readUnitsPerSecond) : undefined;
    // Where the page just handed over ends: a caller records it to go on from there.
    const position: { next?: Item | undefined } = {};
    const pages = () => pagedBatches(
      `scan ${table}`,
      (start) =>
        this.ddb.send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: totalSegments,
            ConsistentRead: opts.consistent ?? true,
            ...(pageLimit ? { Limit: pageLimit } : {}),
            ...(pacer ? { ReturnConsumedCapacity: 'TOTAL' } : {}),
            ExclusiveStartKey: start,
          }),
        ),
      {
        ...(pageLimit !== undefined ? { onePage: true } : { patient: opts.throttled ?? { throttled: 0 } }),
        ...(pacer ? { pace: (units: number) => pacer.take(units) } : {}),
        from: opts.from !== undefined ? decodePosition(opts.from) : undefined,
        cursor: position,
      },
    );
    const cursor = opts.cursor;
    return new BatchStream(async function* () {
      for await (const items of pages()) {
        if (cursor) cursor.position = position.next !== undefined ? encodePosition(position.next) : undefined;
        yield items.map(fromHotItem);
      }
    });
  }

  /**
   * Creates a period's table with this capacity and `shards` write shards; idempotent (an
   * existing table is left as it is: rotation converges its capacity, and its shards are
   * what its key schema says). Returns its state once it is ACTIVE.
   */
  async create(table: string, capacity: TableCapacity, shards = 1): Promise<TableState> {
    const schema = hotTableSchema(shards);
    try {
      await this.ddb.send(
        new CreateTableCommand({
          TableName: table,
          ...billing(capacity),
          ...warmThroughputOf(capacity),
          AttributeDefinitions: schema.attributeDefinitions,
          KeySchema: schema.keySchema,
          Tags: [{ Key: 'alki:tier', Value: 'hot' }],
        }),
      );
    } catch (err) {
      if (errorName(err) !== 'ResourceInUseException') translate(err, `create ${table}`);
    }
    return this.waitActive(table);
  }

  /** The table's state, or undefined if it does not exist. */
  async describe(table: string): Promise<TableState | undefined> {
    try {
      const t = (await this.ddb.send(new DescribeTableCommand({ TableName: table }))).Table;
      if (!t) return undefined;
      const items = t.ItemCount ?? 0;
      return {
        status: t.TableStatus ?? 'UNKNOWN',
        // A table created without BillingMode is provisioned; DescribeTable then omits the summary.
        mode: t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'on-demand' : 'provisioned',
        readUnits: t.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
        writeUnits: t.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
        ...(items > 0 ? { itemBytes: (t.TableSizeBytes ?? 0) / items } : {}),
        shards: shardsOfPartitionKey(t.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '') ?? 1,
        bytes: t.TableSizeBytes ?? 0,
        items,
        readRate: readRateOf(t),
      };
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return undefined;
      return translate(err, `describe ${table}`);
    }
  }

  /**
   * Switches the table's billing mode (to provisioned: with the initial throughput), or on a
   * provisioned table sets its throughput. False when the table is busy with an earlier
   * update (ResourceInUseException): the next rotation tries again.
   */
  async setCapacity(table: string, capacity: TableCapacity, from: TableState['mode']): Promise<boolean> {
    const update = from === capacity.mode ? { ProvisionedThroughput: billing(capacity).ProvisionedThroughput } : billing(capacity);
    try {
      await this.ddb.send(new UpdateTableCommand({ TableName: table, ...update }));
      return true;
    } catch (err) {
      if (errorName(err) === 'ResourceInUseException') return false;
      return translate(err, `update the capacity of ${table}`);
    }
  }

  private async waitActive(table: string): Promise<TableState> {
    for (let attempt = 0; attempt < 120; attempt++) {
      const state = await this.describe(table);
      if (state?.status === 'ACTIVE') return state;
      await sleep(Math.min(1000, 50 * 2 ** attempt));
    }
    throw new Error(`${table} did not become ACTIVE`);
  }

  /** Deletes a table; idempotent. */
  async drop(table: string): Promise<void> {
    try {
      await this.ddb.send(new DeleteTableCommand({ TableName: table }));
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') translate(err, `delete ${table}`);
    }
  }
}

/** CreateTable's WarmThroughput for an on-demand table warmed past a new table's rates (AWS refuses values below them). */
function warmThroughputOf(c: TableCapacity): { WarmThroughput?: { WriteUnitsPerSecond?: number; ReadUnitsPerSecond?: number } } {
  if (c.mode !== 'on-demand' || (c.warmWrites === undefined && c.warmReads === undefined)) return {};
  return { WarmThroughput: { ...(c.warmWrites !== undefined ? { WriteUnitsPerSecond: c.warmWrites } : {}), ...(c.warmReads !== undefined ? { ReadUnitsPerSecond: c.warmReads } : {}) } };
}

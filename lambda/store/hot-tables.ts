/**
 * The hot tier's items (the tables themselves are hot-table-admin.ts's): one DynamoDB table per period. Items: pk, sk, v (JSON text, absent on a
 * tombstone), seq, and in a sharded table the partition key `pk<n>` = `<shard>#<pk>`
 * (core/hot-shards.ts). Conditional last-writer-wins puts; batch writes of 25 with
 * unprocessed items retried; consistent gets; paginated queries in both directions, over
 * every shard of the pk merged in key order.
 */
import { GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, TransactWriteItemsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeKey, splitKey } from '../core/keys.ts';
import type { PartitionQuery } from '../core/partition-query.ts';
import type { Entry } from '../core/record.ts';
import { HOT_TABLE, hotPartitionKey } from '../core/schema.ts';
import { partitionValueOf, partitionValuesOf } from '../core/hot-shards.ts';
import { MergeIterator } from '../core/merge.ts';
import { ThrottledError } from '../core/errors.ts';
import { Pacer } from '../core/token-bucket.ts';
import { errorName, translate } from './aws-errors.ts';
import { BATCH_WRITE_MAX, writeAll } from './batch-write.ts';
import { type DdbItem, decodePosition, encodePosition, pagedBatches, pagedItems } from './paging.ts';
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
} as const satisfies Record<string, readonly Grant[]>;

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

const { partitionKey: PK, sortKey: SK, value: V, seq: SEQ } = HOT_TABLE;

/** The item of a record in a table of `shards` shards. */
export function toHotItem(e: Entry, shards = 1): DdbItem {
  const { pk, sk } = decodeKey(e.key);
  const item: DdbItem = { [PK]: { S: pk }, [SK]: { S: sk }, [SEQ]: { N: String(e.seq) } };
  if (shards > 1) item[hotPartitionKey(shards)] = { S: partitionValueOf(e.key, pk, shards) };
  if (e.value !== null) item[V] = { S: e.value.toString('utf8') };
  return item;
}

export function fromHotItem(item: DdbItem): Entry {
  return {
    // encodeKey's bytes (pk 0x00 sk; a stored pk holds no NUL), in one allocation.
    key: Buffer.from(`${item[PK]!.S!}\u0000${item[SK]!.S!}`, 'utf8'),
    seq: Number(item[SEQ]!.N),
    value: item[V]?.S !== undefined ? Buffer.from(item[V].S, 'utf8') : null,
  };
}

/** The primary key of a record's item in a table of `shards` shards. */
function keyOf(key: Buffer, shards = 1): DdbItem {
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
        if (other.every((c) => c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded'))
          throw new ThrottledError(`the conditional write into ${table} was throttled`);
        throw new Error(`the conditional write into ${table} was cancelled: ${other.join(', ')}`);
      }
      return translate(err, `conditional put into ${table}`);
    }
  }

  /** Writes up to any number of entries, 25 per call; keys must be distinct. */
  /** A batch request's items, in BatchWriteItems of 25 sent together: the answer waits for the slowest, not for their sum. */
  async batchWrite(t: HotTable, entries: readonly Entry[]): Promise<void> {
    const requests = entries.map((e) => ({ PutRequest: { Item: toHotItem(e, shardsOf(t)) } }));
    const chunks = Array.from({ length: Math.ceil(requests.length / BATCH_WRITE_MAX) }, (_, i) =>
      requests.slice(i * BATCH_WRITE_MAX, (i + 1) * BATCH_WRITE_MAX),
    );
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
    return new MergeIterator(
      partitionValuesOf(q.pk, shards).map((value) => this.queryPartition(t.table, attribute, value, q, pageSize)),
      { direction: q.direction },
    );
  }

  /** One partition key value's records within the query's sk bounds. */
  private async *queryPartition(table: string, attribute: string, partition: string, q: PartitionQuery, pageSize: number): AsyncGenerator<Entry> {
    const names: Record<string, string> = { '#pk': attribute };
    const values: DdbItem = { ':pk': { S: partition } };
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
    opts: {
      pageLimit?: number;
      readUnitsPerSecond?: number;
      throttled?: { throttled: number };
      consistent?: boolean;
      from?: string | undefined;
      cursor?: { position?: string | undefined };
    } = {},
  ): BatchStream {
    const { pageLimit, readUnitsPerSecond } = opts;
    const pacer = readUnitsPerSecond !== undefined ? new Pacer(readUnitsPerSecond) : undefined;
    // Where the page just handed over ends: a caller records it to go on from there.
    const position: { next?: DdbItem | undefined } = {};
    const pages = () =>
      pagedBatches(
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
}

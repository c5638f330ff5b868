/**
 * A run's items in the index table: its sparse index (one item per index entry, keyed by the
 * entry's first key, in `run#<id>` or, for a run written by range, in each range's
 * `run#<id>#<range>` with pointers to them in `run#<id>`: core/schema.ts) and the key ranges it was written in (`ranges#<id>`, one
 * RangeSummary per range). The reader and the writer of runs share these queries.
 */
import { QueryCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { INDEX_TABLE, rangesPartition, runPartition, runRangePartition } from '../core/schema.ts';
import { BATCH_WRITE_MAX, writeBatch } from './batch-write.ts';
import { type DdbItem, pagedItems } from './paging.ts';

export type { DdbItem };
export const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;

/** The index item attribute holding a serialized IndexEntry. */
export const ENTRY = 'e';
/** A pointer's attributes (top level of a run written by range): its range's index, and the range's upper bound (absent: unbounded). */
export const POINTER = 'p';
export const POINTER_HI = 'h';
/** The attribute of a range summary item (JSON), and its sort key: the range's index. */
export const SUMMARY = 'r';
export const rangeSummaryKey = (index: number): Uint8Array => Buffer.from(String(index).padStart(8, '0'));

/** A query of one partition of a run's index items (not core/partition-query.ts's query of a data partition). */
export interface IndexQuery {
  /** A condition on the sort key against `key` (`#sk >= :k`). */
  readonly cond?: string;
  readonly key?: Buffer;
  readonly forward?: boolean;
  readonly limit?: number;
  readonly consistent?: boolean;
  readonly keysOnly?: boolean;
  /** Another of the run's partitions than its index (`ranges#<id>`). */
  readonly pk?: string;
}

export class RunIndex {
  readonly ddb: DynamoDBClient;
  readonly table: string;

  constructor(ddb: DynamoDBClient, table: string) {
    this.ddb = ddb;
    this.table = table;
  }

  /** The items of a run's partition, page by page: all of them, or those whose SK meets `cond` against `key`. */
  async *partition(runId: string, o: IndexQuery = {}): AsyncGenerator<DdbItem> {
    yield* pagedItems(`index of run ${runId}`, (start) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: o.cond ? `#pk = :pk AND ${o.cond}` : '#pk = :pk',
          // DynamoDB rejects an expression attribute name no expression uses.
          ExpressionAttributeNames: { '#pk': PK, ...(o.cond || o.keysOnly ? { '#sk': SK } : {}) },
          ExpressionAttributeValues: { ':pk': { S: o.pk ?? runPartition(runId) }, ...(o.key ? { ':k': { B: o.key } } : {}) },
          ScanIndexForward: o.forward ?? true,
          ...(o.limit ? { Limit: o.limit } : {}),
          ...(o.consistent ? { ConsistentRead: true } : {}),
          ...(o.keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
          ExclusiveStartKey: start,
        }),
      ),
    );
  }

  /**
   * Every partition key holding items of the run: its range partitions (found from its pointers
   * and from its range summaries, which also name the ranges of an earlier attempt), then its
   * top level and its range summaries, which say where the rest is: the order a delete goes in,
   * so an interrupted one can be run again.
   */
  async partitionsOf(runId: string): Promise<string[]> {
    const ranges = new Set<number>();
    for await (const it of this.partition(runId)) if (it[POINTER]) ranges.add(Number(it[POINTER].N));
    for await (const it of this.partition(runId, { keysOnly: true, pk: rangesPartition(runId) })) ranges.add(Number(Buffer.from(it[SK]!.B!).toString()));
    return [...[...ranges].sort((a, b) => a - b).map((r) => runRangePartition(runId, r)), runPartition(runId), rangesPartition(runId)];
  }

  /** Every index item of a run, partition by partition (ranges, the top level, the range summaries). */
  async *items(runId: string): AsyncGenerator<DdbItem> {
    for (const pk of await this.partitionsOf(runId)) yield* this.partition(runId, { pk });
  }

  /** Deletes items (keys only needed), 25 to a request, as they stream in. */
  async deleteItems(runId: string, items: AsyncIterable<DdbItem>): Promise<void> {
    let batch: WriteRequest[] = [];
    const flush = async (): Promise<void> => {
      await writeBatch(this.ddb, this.table, batch, `delete index items of run ${runId}`);
      batch = [];
    };
    for await (const it of items) {
      batch.push({ DeleteRequest: { Key: { [PK]: it[PK]!, [SK]: it[SK]! } } });
      if (batch.length === BATCH_WRITE_MAX) await flush();
    }
    await flush();
  }
}

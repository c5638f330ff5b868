/**
 * Which hot tables received writes: one marker item per table under the index table's
 * partition `written` (sort key: the table's name). The data plane puts a table's marker
 * before its first write to it (once per process), so an acknowledged write's table is always
 * marked; a read that listed the markers after a table was sealed skips the table when it is
 * not marked, since nothing acknowledged can be in it. GC forgets a marker with its table.
 * With the lifecycle paused for a week of hourly periods, most of the 168 sealed tables a read
 * would visit are empty: this is what keeps such reads fast.
 */
import { PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INDEX_TABLE } from '../core/schema.ts';
import type { WrittenTablesView } from '../core/read-path.ts';
import type { Clock } from '../core/seq.ts';
import { translate } from './aws-errors.ts';
import { writeAll } from './batch-write.ts';
import { grant, type Grant } from './grants.ts';
import { type DdbItem, pagedItems } from './paging.ts';
import { TtlCache } from './ttl-cache.ts';

export const WRITTEN_TABLES_GRANTS = {
  /** mark: the marker items only */
  mark: [grant('writtenMarks', 'dynamodb:PutItem')],
  /** list */
  read: [grant('indexTable', 'dynamodb:Query')],
  /** forget (GC, with the table) */
  forget: [grant('indexTable', 'dynamodb:BatchWriteItem')],
} as const satisfies Record<string, readonly Grant[]>;

const { partitionKey: PK, sortKey: SK, writtenPk } = INDEX_TABLE;
const keyOf = (table: string): DdbItem => ({ [PK]: { S: writtenPk }, [SK]: { B: Buffer.from(table, 'utf8') } });

export class WrittenTables {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;
  /** Tables this process has marked (a marker is put once, before the first write). */
  private readonly marked = new Map<string, Promise<void>>();

  constructor(ddb: DynamoDBClient, indexTable: string) {
    this.ddb = ddb;
    this.table = indexTable;
  }

  /** Marks a hot table as written, before the first write to it; idempotent. */
  mark(hotTable: string): Promise<void> {
    let done = this.marked.get(hotTable);
    if (!done) {
      done = this.ddb.send(new PutItemCommand({ TableName: this.table, Item: keyOf(hotTable) })).then(
        () => undefined,
        (err: unknown) => {
          this.marked.delete(hotTable);
          return translate(err, `mark ${hotTable} as written`);
        },
      );
      this.marked.set(hotTable, done);
    }
    return done;
  }

  /** Every marked table, read consistently. */
  async list(): Promise<Set<string>> {
    const out = new Set<string>();
    const items = pagedItems(`list written tables`, (start) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': { S: writtenPk } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      ),
    );
    for await (const it of items) out.add(Buffer.from(it[SK]!.B!).toString('utf8'));
    return out;
  }

  /** Forgets the markers of dropped tables. */
  async forget(hotTables: readonly string[]): Promise<void> {
    if (hotTables.length === 0) return;
    await writeAll(
      this.ddb,
      this.table,
      hotTables.map((t) => ({ DeleteRequest: { Key: keyOf(t) } })),
      'forget written tables',
    );
  }
}

/**
 * The marked tables as of a time, cached: the view is taken before the listing starts, so every
 * marker put before `knownAt` is in it. A stale view only skips fewer tables (a table sealed
 * after `knownAt` is read), so it may be kept for a while.
 */
export class WrittenTablesCache extends TtlCache<WrittenTablesView> {
  constructor(source: WrittenTables, sealGraceMs: number, ttlMs: number, now: Clock) {
    super((knownAt) => source.list().then((tables) => ({ tables, knownAt, sealGraceMs })), ttlMs, now);
  }
}

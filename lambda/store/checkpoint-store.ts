/**
 * Checkpoints in the index table: one item each under the partition `checkpoint`, sort key
 * the id, the checkpoint as JSON (a few runs' metadata: a manifest's worth at most).
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { isLive, makeCheckpoint, type Checkpoint } from '../core/checkpoint.ts';
import { NotFoundError } from '../core/errors.ts';
import type { StoreSettings } from '../core/settings.ts';
import { INDEX_TABLE } from '../core/schema.ts';
import { errorName, translate } from './aws-errors.ts';
import { writeAll } from './batch-write.ts';
import { grant, type Grant } from './grants.ts';
import type { ManifestStore } from './manifest-store.ts';
import { type DdbItem, pagedItems } from './paging.ts';

export const CHECKPOINT_PK = 'checkpoint';

export const CHECKPOINT_GRANTS = {
  /** get, list */
  read: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:Query')],
  /** get */
  get: [grant('indexTable', 'dynamodb:GetItem')],
  /** create, delete: the checkpoint items only */
  manage: [grant('checkpointRecords', 'dynamodb:PutItem', 'dynamodb:DeleteItem')],
  /** list, rebase (a conditional put), deleteExpired (batches): GC */
  collect: [grant('indexTable', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem')],
} as const satisfies Record<string, readonly Grant[]>;

const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;
const keyOf = (id: string): DdbItem => ({ [PK]: { S: CHECKPOINT_PK }, [SK]: { B: Buffer.from(id, 'utf8') } });
const itemOf = (c: Checkpoint): DdbItem => ({ ...keyOf(c.id), checkpoint: { S: JSON.stringify(c) } });
const parse = (it: DdbItem): Checkpoint => JSON.parse(it.checkpoint!.S!) as Checkpoint;

export class CheckpointStore {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;

  constructor(ddb: DynamoDBClient, table: string) {
    this.ddb = ddb;
    this.table = table;
  }

  /** Stores a new checkpoint (ids are unique: a clash is a bug, not a race). */
  async create(c: Checkpoint): Promise<void> {
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: itemOf(c),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (err) {
      translate(err, `create checkpoint ${c.id}`);
    }
  }

  async get(id: string): Promise<Checkpoint | undefined> {
    try {
      const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: keyOf(id), ConsistentRead: true }));
      return out.Item ? parse(out.Item) : undefined;
    } catch (err) {
      return translate(err, `read checkpoint ${id}`);
    }
  }

  /** The checkpoint if it lives; CheckpointNotFound (404) if it never existed, was deleted, or expired. */
  async live(id: string, nowMs: number): Promise<Checkpoint> {
    const c = await this.get(id);
    if (!c || !isLive(c, nowMs)) throw new NotFoundError('CheckpointNotFound', `no checkpoint ${id}: it never existed, was deleted, or expired`);
    return c;
  }

  /** Pins the store as of the end of the last sealed period, from the manifest as read now (a cached one could name a run GC is about to delete). */
  async take(
    manifests: Pick<ManifestStore, 'read'>,
    settings: Pick<StoreSettings, 'periodMs' | 'sealGraceMs'>,
    nowMs: number,
    ttlMs: number,
  ): Promise<Checkpoint> {
    const c = makeCheckpoint(await manifests.read(), `ck-${randomUUID()}`, nowMs, ttlMs, settings);
    await this.create(c);
    return c;
  }

  async list(): Promise<Checkpoint[]> {
    const out: Checkpoint[] = [];
    const items = pagedItems('list checkpoints', (start) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': { S: CHECKPOINT_PK } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      ),
    );
    for await (const it of items) out.push(parse(it));
    return out;
  }

  /** Deletes one; false if there was none. */
  async delete(id: string): Promise<boolean> {
    try {
      const out = await this.ddb.send(new DeleteItemCommand({ TableName: this.table, Key: keyOf(id), ReturnValues: 'ALL_OLD' }));
      return out.Attributes !== undefined;
    } catch (err) {
      return translate(err, `delete checkpoint ${id}`);
    }
  }

  /** Replaces a checkpoint's runs (GC moving a pin); nothing if it was deleted meanwhile. */
  async replace(c: Checkpoint): Promise<void> {
    try {
      await this.ddb.send(
        new PutItemCommand({ TableName: this.table, Item: itemOf(c), ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }),
      );
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return;
      translate(err, `update checkpoint ${c.id}`);
    }
  }

  async deleteAll(ids: readonly string[]): Promise<void> {
    await writeAll(
      this.ddb,
      this.table,
      ids.map((id) => ({ DeleteRequest: { Key: keyOf(id) } })),
      'delete expired checkpoints',
    );
  }
}

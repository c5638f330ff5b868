/**
 * Job specs in the index table (`PK = job#<id>`): the first attempt to prepare a job writes
 * its spec; every later attempt, and any concurrent execution, reads that same spec back.
 * So a re-run never re-plans with different splitters and object names.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INDEX_TABLE } from '../core/schema.ts';
import { errorName, translate } from './aws-errors.ts';
import { grant, type Grant } from './grants.ts';

export const JOB_GRANTS = {
  /** get, getOrCreate */
  use: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:PutItem')],
  /** delete */
  delete: [grant('indexTable', 'dynamodb:DeleteItem')],
} as const satisfies Record<string, readonly Grant[]>;

const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;
const key = (id: string) => ({ [PK]: { S: `job#${id}` }, [SK]: { B: Uint8Array.of(0) } });

export class JobStore {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;

  constructor(ddb: DynamoDBClient, table: string) {
    this.ddb = ddb;
    this.table = table;
  }

  async get<T>(id: string): Promise<T | undefined> {
    try {
      const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: key(id), ConsistentRead: true }));
      return out.Item ? (JSON.parse(out.Item.spec!.S!) as T) : undefined;
    } catch (err) {
      return translate(err, `read job ${id}`);
    }
  }

  /** The stored spec, or `make()`'s, stored if no other attempt stored one first. */
  async getOrCreate<T>(id: string, make: () => Promise<T>): Promise<T> {
    const existing = await this.get<T>(id);
    if (existing !== undefined) return existing;
    const spec = await make();
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...key(id), spec: { S: JSON.stringify(spec) }, createdAt: { S: new Date().toISOString() } },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return spec;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return (await this.get<T>(id))!;
      return translate(err, `store job ${id}`);
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await this.ddb.send(new DeleteItemCommand({ TableName: this.table, Key: key(id) }));
    } catch (err) {
      translate(err, `delete job ${id}`);
    }
  }
}

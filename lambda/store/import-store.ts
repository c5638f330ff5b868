/**
 * Import records in the index table (`PK = import#<id>`): state, counts and errors, read by
 * `GET /v1/imports/{id}` and written by the API and the import state machine's tasks.
 * Writes are conditional on the revision read, so two writers never lose each other's update.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ImportStatus } from '../core/import-format.ts';
import { ConflictError } from '../core/manifest.ts';
import { INDEX_TABLE } from '../core/schema.ts';
import { errorName, translate } from './aws-errors.ts';
import { grant, type Grant } from './grants.ts';

export const IMPORT_RECORD_GRANTS = {
  /** get */
  read: [grant('indexTable', 'dynamodb:GetItem')],
  /** get, put, update */
  write: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:PutItem')],
} as const satisfies Record<string, readonly Grant[]>;

const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;
const key = (id: string) => ({ [PK]: { S: `import#${id}` }, [SK]: { B: Uint8Array.of(0) } });

export class ImportStore {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;

  constructor(ddb: DynamoDBClient, table: string) {
    this.ddb = ddb;
    this.table = table;
  }

  async get(id: string): Promise<(ImportStatus & { readonly rev: number }) | undefined> {
    try {
      const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: key(id), ConsistentRead: true }));
      return out.Item ? { ...(JSON.parse(out.Item.doc!.S!) as ImportStatus), rev: Number(out.Item.rev!.N) } : undefined;
    } catch (err) {
      return translate(err, `read import ${id}`);
    }
  }

  /** Writes the record if its revision is still `rev` (0: it must not exist yet). */
  async put(status: ImportStatus, rev: number): Promise<ImportStatus> {
    const doc: ImportStatus = { ...status, updatedAt: new Date().toISOString() };
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...key(status.id), doc: { S: JSON.stringify(doc) }, rev: { N: String(rev + 1) } },
          ConditionExpression: rev === 0 ? 'attribute_not_exists(#pk)' : '#rev = :rev',
          ExpressionAttributeNames: rev === 0 ? { '#pk': PK } : { '#rev': 'rev' },
          ...(rev === 0 ? {} : { ExpressionAttributeValues: { ':rev': { N: String(rev) } } }),
        }),
      );
      return doc;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') throw new ConflictError(`import ${status.id} changed under this update; retry`);
      return translate(err, `write import ${status.id}`);
    }
  }

  /** Reads, changes and writes the record, again on a lost race. */
  async update(id: string, change: (s: ImportStatus) => ImportStatus): Promise<ImportStatus> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(id);
      if (!cur) throw new Error(`import ${id} does not exist`);
      const { rev, ...status } = cur;
      try {
        return await this.put(change(status), rev);
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
      }
    }
  }
}

/**
 * The index table itself, for those who make it outside the CDK app: the embedded system at
 * start, and recovery into a new table. The schema is core/schema.ts's INDEX_TABLE; on AWS the
 * stack makes it (lib/), with its protection and backups.
 */
import { CreateTableCommand, ScanCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INDEX_TABLE } from '../core/schema.ts';
import { errorName } from './aws-errors.ts';

/** Creates the index table on demand (a no-op if it exists) and waits until it is active; true if this call made it. */
export async function ensureIndexTable(ddb: DynamoDBClient, table: string): Promise<boolean> {
  let created = true;
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: INDEX_TABLE.attributeDefinitions.map((a) => ({ ...a })),
        KeySchema: INDEX_TABLE.keySchema.map((k) => ({ ...k })),
      }),
    );
  } catch (err) {
    if (errorName(err) !== 'ResourceInUseException') throw err;
    created = false;
  }
  await waitUntilTableExists({ client: ddb, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }, { TableName: table });
  return created;
}

/** Whether the table exists and holds no item at all. */
export async function isEmptyTable(ddb: DynamoDBClient, table: string): Promise<boolean> {
  const out = await ddb.send(
    new ScanCommand({ TableName: table, Limit: 1, ProjectionExpression: '#pk', ExpressionAttributeNames: { '#pk': INDEX_TABLE.partitionKey } }),
  );
  return (out.Items ?? []).length === 0;
}

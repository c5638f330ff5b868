/**
 * BatchWriteItem, 25 requests at a time, retrying what DynamoDB hands back unprocessed with
 * backoff; still unprocessed after 8 retries is throttling (the caller's state retries it).
 * One loop for every batch writer: hot tables, run index items, job records.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { backoffMs, sleep, translate } from './aws-errors.ts';

export const BATCH_WRITE_MAX = 25;
const MAX_RETRIES = 8;

/** One batch of at most 25 requests to one table. */
export async function writeBatch(ddb: DynamoDBClient, table: string, requests: readonly WriteRequest[], what: string): Promise<void> {
  let batch = [...requests];
  for (let attempt = 0; batch.length > 0; attempt++) {
    if (attempt > 0) await sleep(backoffMs(attempt));
    if (attempt > MAX_RETRIES) translate({ name: 'ThrottlingException' }, what);
    try {
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
      batch = out.UnprocessedItems?.[table] ?? [];
    } catch (err) {
      translate(err, what);
    }
  }
}

/** Any number of requests, 25 per call, in order; with `pace`, each batch first waits for its write units. */
export async function writeAll(ddb: DynamoDBClient, table: string, requests: readonly WriteRequest[], what: string, pace?: (units: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
    const batch = requests.slice(i, i + BATCH_WRITE_MAX);
    if (pace) await pace(batch.reduce((n, r) => n + putUnits(r), 0));
    await writeBatch(ddb, table, batch, what);
  }
}

/** Write units of a put as DynamoDB counts them: one per KB of attribute names and values (binary and string values; a delete costs one). */
function putUnits(r: WriteRequest): number {
  let bytes = 0;
  for (const [name, v] of Object.entries(r.PutRequest?.Item ?? {})) bytes += Buffer.byteLength(name) + (v.B ? v.B.length : v.S ? Buffer.byteLength(v.S) : v.N ? v.N.length : 1);
  return Math.max(1, Math.ceil(bytes / 1024));
}

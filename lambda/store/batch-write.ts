/**
 * BatchWriteItem, 25 requests at a time, retrying what DynamoDB hands back unprocessed with
 * backoff; still unprocessed after 8 retries is throttling (the caller's state retries it),
 * unless the writer is patient (a background task: it waits rather than start over). One
 * loop for every batch writer: hot tables, run index items, job records.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { isThrottling, Patience, translate } from './aws-errors.ts';
import { itemBytes, writeUnits } from './item-size.ts';

export const BATCH_WRITE_MAX = 25;
const MAX_RETRIES = 8;

/**
 * One batch of at most 25 requests to one table. `patient` (background writers): a batch
 * refused for rate, whole or in part, is sent again from where it was for up to
 * throttlePatience.ms without progress, instead of failing its task after 8 retries.
 */
export async function writeBatch(ddb: DynamoDBClient, table: string, requests: readonly WriteRequest[], what: string, patient = false): Promise<void> {
  let batch = [...requests];
  const patience = patient ? new Patience() : new Patience(25, 2000);
  for (let attempt = 0; batch.length > 0; attempt++) {
    if (attempt > 0) await patience.wait();
    if (patient ? patience.spent : attempt > MAX_RETRIES) translate({ name: 'ThrottlingException' }, what);
    try {
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
      const left = out.UnprocessedItems?.[table] ?? [];
      if (left.length < batch.length) patience.progressed();
      batch = left;
    } catch (err) {
      if (!patient || !isThrottling(err)) translate(err, what);
    }
  }
}

/** Any number of requests, 25 per call, in order; with `pace` (a background writer's), each batch first waits for its write units, and is patient with throttling. */
export async function writeAll(
  ddb: DynamoDBClient,
  table: string,
  requests: readonly WriteRequest[],
  what: string,
  pace?: (units: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
    const batch = requests.slice(i, i + BATCH_WRITE_MAX);
    if (pace) await pace(batch.reduce((n, r) => n + writeUnits(itemBytes(r.PutRequest?.Item ?? {})), 0));
    await writeBatch(ddb, table, batch, what, pace !== undefined);
  }
}

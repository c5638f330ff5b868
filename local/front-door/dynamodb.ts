/**
 * DynamoDB behind the front door: each call authorized (conditions such as
 * `dynamodb:LeadingKeys` included), rated against the table's and the key's throughput when
 * rates are enforced, transactions served by the local transaction layer, warm throughput
 * kept (dynalite knows none), and the rest forwarded to dynalite.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamodbChecks, UnknownOperationError, type Check } from '../iam/requests.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../iam/stack-model.ts';
import { AWS_RATES, type DynamoThroughput, type Refusal } from '../throughput.ts';
import { DynamoAnswerError, LocalTransactions } from '../transactions.ts';
import type { Authorizer, Principal } from './authorizer.ts';
import { forward, jsonAnswer, jsonError, type Call } from './http.ts';

export interface DynamoDbOptions {
  /** dynalite's endpoint. */
  readonly endpoint: string;
  /** dynalite, reached as the service itself. */
  readonly tables: DynamoDBClient;
  readonly authorizer: Authorizer;
  /** A table's partition key attribute, for `dynamodb:LeadingKeys` conditions. */
  readonly partitionKeyOf?: (table: string) => string | undefined;
  /** The rate buckets, when rates are enforced. */
  readonly throughput?: DynamoThroughput;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

/** DynamoDB operations that write items. */
const PLAIN_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** DynamoDB's answer to a throttled request, with its reason as ThrottlingReasons say it. */
function throttled(res: ServerResponse, r: Refusal): void {
  const body = JSON.stringify({
    __type: `com.amazonaws.dynamodb.v20120810#${r.type}`,
    message: r.message,
    ThrottlingReasons: [{ reason: r.reason, resource: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${r.table}` }],
  });
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** DynamoDB's error answer, with a cancelled transaction's reasons. */
function dynamoError(res: ServerResponse, err: DynamoAnswerError): void {
  const body = JSON.stringify({
    __type: `com.amazonaws.dynamodb.v20120810#${err.type}`,
    message: err.message,
    ...(err.reasons ? { CancellationReasons: err.reasons } : {}),
  });
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * DynamoDB's DescribeTable says a table's warm throughput (dynalite knows none): what it was
 * created or updated with, else a new on-demand table's 12,000 reads and 4,000 writes a
 * second, or a provisioned table's capacity.
 */
function withWarmThroughput(text: Buffer, rates: DynamoThroughput | undefined): Buffer {
  const answer = JSON.parse(text.toString('utf8')) as {
    Table?: {
      TableName?: string;
      BillingModeSummary?: { BillingMode?: string };
      ProvisionedThroughput?: { ReadCapacityUnits?: number; WriteCapacityUnits?: number };
    };
  };
  const t = answer.Table;
  if (!t) return text;
  const warm = rates?.warmOf(String(t.TableName)) ?? {};
  const onDemand = t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST';
  const read = Math.max(warm.read ?? 0, onDemand ? AWS_RATES.newTableReadUnits : (t.ProvisionedThroughput?.ReadCapacityUnits ?? 0));
  const write = Math.max(warm.write ?? 0, onDemand ? AWS_RATES.newTableWriteUnits : (t.ProvisionedThroughput?.WriteCapacityUnits ?? 0));
  return Buffer.from(
    JSON.stringify({ ...answer, Table: { ...t, WarmThroughput: { ReadUnitsPerSecond: read, WriteUnitsPerSecond: write, Status: 'ACTIVE' } } }),
  );
}

/** Serves DynamoDB's JSON 1.0 protocol: the operation is the `x-amz-target` header's. */
export function dynamoDbService(o: DynamoDbOptions): (call: Call<Principal>, target: string, parsed: Record<string, unknown>) => Promise<void> {
  const transactions = new LocalTransactions(o.tables);
  const throughput = o.throughput;
  return async ({ req, res, body, principal }, target, parsed) => {
    let checks: Check[];
    try {
      checks = dynamodbChecks(target, parsed, o.partitionKeyOf);
    } catch (err) {
      if (err instanceof UnknownOperationError) return jsonError(res, 400, 'UnknownOperationException', err.message);
      throw err;
    }
    const refused = o.authorizer.refusal(principal, checks);
    if (refused) return jsonError(res, 400, 'AccessDeniedException', refused);
    const op = target.split('.')[1] ?? '';
    let forwarded = body;
    if (op === 'CreateTable' || op === 'UpdateTable') {
      // dynalite knows no warm throughput: the front door keeps it, and rates the table by it.
      const { WarmThroughput: warm, ...rest } = parsed as { WarmThroughput?: { ReadUnitsPerSecond?: number; WriteUnitsPerSecond?: number } };
      if (warm !== undefined) {
        throughput?.setWarm(String(parsed.TableName), warm);
        forwarded = Buffer.from(JSON.stringify(rest));
        if (op === 'UpdateTable' && Object.keys(rest).length === 1)
          return jsonAnswer(res, await o.tables.send(new DescribeTableCommand({ TableName: String(parsed.TableName) })));
      }
      throughput?.forget(String(parsed.TableName));
    }
    if (op === 'DeleteTable') throughput?.forget(String(parsed.TableName), true);
    let pending: Awaited<ReturnType<DynamoThroughput['admit']>> | undefined;
    if (throughput) {
      pending = await throughput.admit(op, parsed);
      if ('refusal' in pending) return throttled(res, pending.refusal);
    }
    if (op === 'TransactWriteItems') {
      try {
        return jsonAnswer(res, await transactions.transactWrite(parsed));
      } catch (err) {
        if (!(err instanceof DynamoAnswerError)) throw err;
        return dynamoError(res, err);
      }
    }
    // Plain writes share a lock a transaction takes alone: none lands between its check and its put.
    if (PLAIN_WRITES.has(op)) return transactions.lock.shared(() => forward(o.endpoint, req, res, forwarded));
    if (op === 'DescribeTable')
      return forward(o.endpoint, req, res, forwarded, req.headers, (status, text) =>
        status === 200 ? { status, body: withWarmThroughput(text, throughput) } : undefined,
      );
    const owed = pending && 'pending' in pending ? pending.pending : [];
    if (throughput && READS.has(op) && owed.length > 0) {
      return forward(o.endpoint, req, res, forwarded, req.headers, (status, text) => {
        if (status === 200) void throughput.settle(op, parsed, owed, JSON.parse(text.toString('utf8')) as Record<string, unknown>);
        return undefined;
      });
    }
    return forward(o.endpoint, req, res, forwarded);
  };
}

/**
 * TransactWriteItems on the embedded system (dynalite has none; the front door serves it),
 * held to what DynamoDB documents: each action authorized as its own operation (a condition
 * check as dynamodb:ConditionCheckItem), all or nothing, a reason per action when cancelled,
 * no two actions on one item, at most 100 actions, and plain writes never landing between a
 * transaction's check and its write.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { HOT_TABLE } from '../../lambda/core/schema.ts';
import { errorName } from '../../lambda/store/aws-errors.ts';
import type { FrontDoor, Principal } from '../../local/front-door/front-door.ts';
import { dynamodbBehindFrontDoor, role } from '../support/front-door.ts';

const TABLES = 'arn:aws:dynamodb:us-east-1:000000000000:table/tx-*';
const ROLES: Record<string, Principal> = {
  WRITER: role('writer', [{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem'], Resource: TABLES }]),
  NO_CHECK: role('no-check', [{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: TABLES }]),
};

describe('transactions on the embedded DynamoDB', () => {
  let door: FrontDoor;
  let stop: () => Promise<void>;
  const ddb = (key: string) => new DynamoDBClient({ region: 'us-east-1', endpoint: door.url, credentials: { accessKeyId: key, secretAccessKey: 'x' } });
  const item = (pk: string, sk: string, seq: number) => ({ pk: { S: pk }, sk: { S: sk }, seq: { N: String(seq) } });
  const key = (pk: string, sk: string) => ({ pk: { S: pk }, sk: { S: sk } });
  const notExists = { ConditionExpression: 'attribute_not_exists(#s)', ExpressionAttributeNames: { '#s': 'seq' } };
  const seqIs = (n: number) => ({
    ConditionExpression: '#s = :v',
    ExpressionAttributeNames: { '#s': 'seq' },
    ExpressionAttributeValues: { ':v': { N: String(n) } },
  });
  const send = (k: string, items: TransactWriteItem[]) =>
    ddb(k)
      .send(new TransactWriteItemsCommand({ TransactItems: items }))
      .then(
        () => ({ name: 'ok', reasons: undefined as string[] | undefined, message: '' }),
        (err: unknown) => ({
          name: errorName(err),
          reasons: (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons?.map((r) => r.Code!),
          message: (err as Error).message,
        }),
      );
  const seqOf = async (table: string, pk: string, sk: string) =>
    (await ddb('OPERATOR').send(new GetItemCommand({ TableName: table, Key: key(pk, sk), ConsistentRead: true }))).Item?.seq?.N;

  beforeAll(async () => {
    ({ door, stop } = await dynamodbBehindFrontDoor(ROLES));
    for (const t of ['tx-a', 'tx-b']) {
      await ddb('OPERATOR').send(
        new CreateTableCommand({
          TableName: t,
          AttributeDefinitions: HOT_TABLE.attributeDefinitions.map((a) => ({ ...a })),
          KeySchema: HOT_TABLE.keySchema.map((k) => ({ ...k })),
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
  });
  afterAll(() => stop());

  it('commits every action or none, and names the reason of each when it cancels', async () => {
    const ok = await send('WRITER', [
      { Put: { TableName: 'tx-a', Item: item('p', 'k', 1), ...notExists } },
      { ConditionCheck: { TableName: 'tx-b', Key: key('p', 'k'), ...notExists } },
    ]);
    assert.equal(ok.name, 'ok');
    assert.equal(await seqOf('tx-a', 'p', 'k'), '1');
    // The check on tx-a now fails: the put into tx-b must not happen.
    const cancelled = await send('WRITER', [
      { Put: { TableName: 'tx-b', Item: item('p', 'k', 2), ...notExists } },
      { ConditionCheck: { TableName: 'tx-a', Key: key('p', 'k'), ...notExists } },
    ]);
    assert.deepEqual([cancelled.name, cancelled.reasons], ['TransactionCanceledException', ['None', 'ConditionalCheckFailed']]);
    assert.match(cancelled.message, /Transaction cancelled, please refer cancellation reasons for specific reasons \[None, ConditionalCheckFailed\]/);
    assert.equal(await seqOf('tx-b', 'p', 'k'), undefined);
    const update = await send('WRITER', [
      { Put: { TableName: 'tx-b', Item: item('p', 'k', 3), ...notExists } },
      { ConditionCheck: { TableName: 'tx-a', Key: key('p', 'k'), ...seqIs(1) } },
    ]);
    assert.equal(update.name, 'ok');
    assert.equal(await seqOf('tx-b', 'p', 'k'), '3');
  });

  it('authorizes each action as its own operation: a condition check needs dynamodb:ConditionCheckItem', async () => {
    const denied = await send('NO_CHECK', [
      { Put: { TableName: 'tx-a', Item: item('p', 'd', 1) } },
      { ConditionCheck: { TableName: 'tx-b', Key: key('p', 'd'), ...notExists } },
    ]);
    assert.equal(denied.name, 'AccessDeniedException');
    assert.match(denied.message, /not authorized to perform: dynamodb:ConditionCheckItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/tx-b/);
    assert.equal(await seqOf('tx-a', 'p', 'd'), undefined, 'nothing written');
    const outside = await send('WRITER', [{ Put: { TableName: 'other', Item: item('p', 'd', 1) } }]);
    assert.equal(outside.name, 'AccessDeniedException');
  });

  it('refuses what DynamoDB refuses: two actions on one item, more than 100 actions, a check without a condition, a missing table', async () => {
    const twice = await send('WRITER', [
      { Put: { TableName: 'tx-a', Item: item('p', 'x', 1) } },
      { ConditionCheck: { TableName: 'tx-a', Key: key('p', 'x'), ...notExists } },
    ]);
    assert.equal(twice.name, 'ValidationException');
    assert.match(twice.message, /multiple operations on one item/);
    const many = await send(
      'WRITER',
      Array.from({ length: 101 }, (_, i) => ({ Put: { TableName: 'tx-a', Item: item('p', `m${i}`, 1) } })),
    );
    assert.equal(many.name, 'ValidationException');
    assert.equal(await seqOf('tx-a', 'p', 'm0'), undefined);
    const bare = await send('WRITER', [{ ConditionCheck: { TableName: 'tx-a', Key: key('p', 'x') } } as unknown as TransactWriteItem]);
    assert.equal(bare.name, 'ValidationException');
    assert.equal((await send('OPERATOR', [{ Put: { TableName: 'tx-missing', Item: item('p', 'x', 1) } }])).name, 'ResourceNotFoundException');
    const unknown = await send('WRITER', [
      {
        Put: {
          TableName: 'tx-a',
          Item: item('p', 'x', 1),
          ConditionExpression: 'begins_with(#s, :v)',
          ExpressionAttributeNames: { '#s': 'sk' },
          ExpressionAttributeValues: { ':v': { S: 'x' } },
        },
      },
    ]);
    assert.equal(unknown.name, 'ValidationException', 'a condition the emulator cannot evaluate is refused, not guessed');
  });

  it("lets no plain write land between a transaction's check and its put", async () => {
    // Many transactions and conditional plain puts race on one key in two tables: at most one
    // of each pair of conflicting writes can hold, so exactly one "create" wins overall.
    for (let round = 0; round < 10; round++) {
      const sk = `race-${round}`;
      const results = await Promise.all([
        send('WRITER', [
          { Put: { TableName: 'tx-a', Item: item('p', sk, 1), ...notExists } },
          { ConditionCheck: { TableName: 'tx-b', Key: key('p', sk), ...notExists } },
        ]),
        send('WRITER', [
          { Put: { TableName: 'tx-b', Item: item('p', sk, 2), ...notExists } },
          { ConditionCheck: { TableName: 'tx-a', Key: key('p', sk), ...notExists } },
        ]),
        ddb('WRITER')
          .send(new PutItemCommand({ TableName: 'tx-a', Item: item('p', sk, 3), ...notExists }))
          .then(
            () => ({ name: 'ok' }),
            (err: unknown) => ({ name: errorName(err) }),
          ),
      ]);
      const a = await seqOf('tx-a', 'p', sk);
      const b = await seqOf('tx-b', 'p', sk);
      const txWins = results.slice(0, 2).filter((r) => r.name === 'ok').length;
      assert.ok(txWins <= 1, `round ${round}: both transactions committed`);
      assert.ok(!(a !== undefined && b !== undefined), `round ${round}: the key was created in both tables (${a}, ${b})`);
    }
  });
});

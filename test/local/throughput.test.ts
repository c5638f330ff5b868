/** The embedded system's rate limits (local/throughput.ts): capacity units as DynamoDB counts them, token buckets, and refusals as AWS words them. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { itemBytes, readUnits, writeUnits } from '../../local/capacity-units.ts';
import { Pacer, TokenBucket } from '../../lambda/core/token-bucket.ts';
import { DynamoThroughput, S3Throughput, type TableCapacity } from '../../local/throughput.ts';

function manualClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const put = (table: string, pk: string, bytes = 100) => ({ TableName: table, Item: { pk: { S: pk }, sk: { S: 'x' }, v: { S: 'a'.repeat(bytes) } } });

describe('capacity units', () => {
  it('sizes items as DynamoDB does: names and values, numbers by significant digits', () => {
    assert.equal(itemBytes({ pk: { S: 'abc' }, n: { N: '123' } }), 2 + 3 + 1 + 3);
    assert.equal(itemBytes({ b: { B: Buffer.from('hello').toString('base64') }, t: { BOOL: true } }), 1 + 5 + 1 + 1);
    assert.equal(itemBytes({ s: { S: 'é' } }), 1 + 2);
  });

  it('charges a write per KB and a read per 4 KB, half when eventually consistent, twice in a transaction', () => {
    assert.deepEqual([writeUnits(0), writeUnits(1024), writeUnits(1025), writeUnits(400, true)], [1, 1, 2, 2]);
    assert.deepEqual([readUnits(4096, true), readUnits(4096, false), readUnits(4097, true), readUnits(10, true, true)], [1, 0.5, 2, 2]);
  });
});

describe('token buckets', () => {
  it('admit while they hold capacity, go into debt by one request, and refill at their rate', () => {
    const c = manualClock();
    const b = new TokenBucket(10, 10, c.now);
    assert.ok(b.admits());
    b.charge(15);
    assert.ok(!b.admits());
    c.advance(500);
    assert.ok(!b.admits(), 'back to zero: still nothing to take');
    c.advance(100);
    assert.ok(b.admits());
    c.advance(60_000);
    b.charge(10);
    assert.ok(!b.admits(), 'it holds at most its capacity');
  });
});

describe('a pacer', () => {
  it("lets a writer ask for at most its rate over any window, plus one second's burst", async () => {
    const c = manualClock();
    const slept: number[] = [];
    const pacer = new Pacer(500, c.now, async (ms) => {
      slept.push(ms);
      c.advance(ms);
    });
    const start = c.now();
    let units = 0;
    for (let i = 0; i < 400; i++) {
      await pacer.take(8);
      units += 8;
      c.advance(1); // the write itself
    }
    const seconds = (c.now() - start) / 1000;
    assert.ok(units <= 500 * (seconds + 1), `${units} units in ${seconds} s`);
    assert.ok(units >= 500 * (seconds - 1), 'and it does not wait longer than it must');
    assert.ok(slept.length > 0 && pacer.waitedMs === slept.reduce((a, b) => a + b, 0));
  });

  it('does not wait while the writer stays under its rate', async () => {
    const c = manualClock();
    const pacer = new Pacer(500, c.now, () => Promise.reject(new Error('should not sleep')));
    for (let i = 0; i < 50; i++) {
      await pacer.take(5);
      c.advance(20);
    }
    assert.equal(pacer.waitedMs, 0);
  });
});

describe('DynamoDB rates', () => {
  const onDemand: TableCapacity = { mode: 'on-demand', read: 0, write: 0, partitionKey: 'pk' };
  const make = (capacity: TableCapacity = onDemand) => {
    const c = manualClock();
    return { c, t: new DynamoThroughput({ scale: 0.01, now: c.now, describe: async () => capacity }) };
  };

  it('refuses a partition key past 1,000 write units a second, as KeyRangeThroughputExceeded, while other keys go on', async () => {
    const { c, t } = make();
    for (let i = 0; i < 10; i++) assert.ok('pending' in (await t.admit('PutItem', put('tbl', 'hot'))), `write ${i}`);
    const refused = await t.admit('PutItem', put('tbl', 'hot'));
    assert.ok('refusal' in refused);
    assert.deepEqual([refused.refusal.type, refused.refusal.reason], ['ProvisionedThroughputExceededException', 'TableWriteKeyRangeThroughputExceeded']);
    assert.ok('pending' in (await t.admit('PutItem', put('tbl', 'cold'))));
    c.advance(1000);
    assert.ok('pending' in (await t.admit('PutItem', put('tbl', 'hot'))));
    // A 3 KB item costs 3 units.
    const { t: t2 } = make();
    for (let i = 0; i < 4; i++) assert.ok('pending' in (await t2.admit('PutItem', put('tbl', 'big', 3000))));
    assert.ok('refusal' in (await t2.admit('PutItem', put('tbl', 'big', 3000))));
  });

  it('holds a new on-demand table to 4,000 writes a second unless its warm throughput says more', async () => {
    const { t } = make();
    let refused = 0;
    for (let i = 0; i < 60; i++) if ('refusal' in (await t.admit('PutItem', put('tbl', `k${i}`)))) refused++;
    assert.equal(refused, 20);
    const { t: warm } = make();
    warm.setWarm('tbl', { WriteUnitsPerSecond: 10_000 });
    for (let i = 0; i < 60; i++) assert.ok('pending' in (await warm.admit('PutItem', put('tbl', `k${i}`))));
    const { t: t3 } = make();
    for (let i = 0; i < 40; i++) await t3.admit('PutItem', put('tbl', `k${i}`));
    const r = await t3.admit('PutItem', put('tbl', 'next'));
    assert.ok('refusal' in r && r.refusal.type === 'ThrottlingException' && r.refusal.reason === 'TableWriteAccountLimitExceeded');
  });

  it('holds a provisioned table to its capacity, with unused capacity as burst', async () => {
    const { c, t } = make({ mode: 'provisioned', read: 100, write: 500, partitionKey: 'pk' });
    for (let i = 0; i < 5; i++) assert.ok('pending' in (await t.admit('PutItem', put('tbl', `k${i}`))));
    const r = await t.admit('PutItem', put('tbl', 'k5'));
    assert.ok('refusal' in r && r.refusal.reason === 'TableWriteProvisionedThroughputExceeded');
    c.advance(10_000);
    for (let i = 0; i < 50; i++) assert.ok('pending' in (await t.admit('PutItem', put('tbl', `b${i}`))), 'ten idle seconds are burst');
  });

  it('charges reads from the answer: a query by its key, a scan by the table', async () => {
    const { t } = make();
    const q = {
      TableName: 'tbl',
      KeyConditionExpression: '#pk = :pk AND #sk > :s',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': { S: 'team' }, ':s': { S: 'a' } },
      ConsistentRead: true,
    };
    const a = await t.admit('Query', q);
    assert.ok('pending' in a);
    // 30 units of 4 KB each: the key's 30 a second is spent.
    const items = Array.from({ length: 30 }, () => ({ pk: { S: 'team' }, v: { S: 'a'.repeat(4090) } }));
    await t.settle('Query', q, a.pending, { Items: items });
    const again = await t.admit('Query', q);
    assert.ok('refusal' in again && again.refusal.reason === 'TableReadKeyRangeThroughputExceeded');
    assert.ok('pending' in (await t.admit('GetItem', { TableName: 'tbl', Key: { pk: { S: 'other' }, sk: { S: 'x' } } })));
  });
});

describe('S3 rates', () => {
  it('refuses a prefix past 3,500 writes and 5,500 reads a second; other prefixes go on', () => {
    const c = manualClock();
    const s3 = new S3Throughput(0.01, c.now);
    for (let i = 0; i < 35; i++) assert.ok(s3.admit('PUT', 'b', `spills/job/range-0001/seg-${i}`));
    assert.ok(!s3.admit('PUT', 'b', 'spills/job/range-0001/seg-x'));
    assert.ok(s3.admit('PUT', 'b', 'spills/job/range-0002/seg-x'));
    assert.ok(s3.admit('GET', 'b', 'spills/job/range-0001/seg-1'));
    c.advance(1000);
    assert.ok(s3.admit('PUT', 'b', 'spills/job/range-0001/seg-y'));
    assert.equal(S3Throughput.prefixOf('b', 'runs/r1/0001-000000.blob'), 'b/runs/r1/');
  });
});

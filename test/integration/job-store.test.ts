/**
 * A job's key ranges on the embedded system: a large job's spread over partition keys (one
 * per 250 ranges, at most 64), read back one at a time and all in order, deleted with the job
 * (also those of an attempt that lost the race to store the spec); a job stored by an
 * earlier release (its ranges under the spec's partition, no `rangeShards`) still reads.
 */
import assert from 'node:assert/strict';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { rangeShards } from '../../lambda/core/jobs.ts';
import { INDEX_TABLE } from '../../lambda/core/schema.ts';
import { JobStore } from '../../lambda/store/job-store.ts';
import type { LocalSystem } from '../../local/system.ts';
import { startTestSystem } from '../support/system.ts';

describe('job key ranges', () => {
  let sys: LocalSystem;
  let jobs: JobStore;
  beforeAll(async () => {
    sys = await startTestSystem({ prefix: 'jobs' });
    jobs = new JobStore(sys.store.ddb, sys.store.indexTable);
  });
  afterAll(() => sys?.stop());

  const itemsUnder = async (partition: string): Promise<number> =>
    (
      await sys.store.ddb.send(
        new QueryCommand({
          TableName: sys.store.indexTable,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': INDEX_TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': { S: partition } },
          Select: 'COUNT',
        }),
      )
    ).Count ?? 0;
  const ranges = (n: number) => Array.from({ length: n }, (_, index) => ({ index, lo: `k${String(index).padStart(6, '0')}` }));

  it("spreads a large job's ranges over partition keys, reads them back, and deletes them with the job", async () => {
    assert.deepEqual([rangeShards(1), rangeShards(250), rangeShards(251), rangeShards(1000), rangeShards(1_000_000)], [1, 1, 2, 4, 64]);
    const spec = await jobs.getOrCreate('big', async () => ({ spec: { kind: 'test' }, ranges: ranges(1000) }));
    assert.equal(spec.rangeShards, 4);
    assert.deepEqual(await Promise.all([0, 1, 2, 3].map((k) => itemsUnder(`job#big#r${k}`))), [250, 250, 250, 250]);
    assert.equal(await itemsUnder('job#big'), 1, 'the spec alone');
    assert.deepEqual(await jobs.range('big', spec, 777), { index: 777, lo: 'k000777' });
    const all = await jobs.ranges('big', spec);
    assert.deepEqual(
      all.map((r) => r.index),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    // Another attempt finds the spec and writes nothing more.
    const again = await jobs.getOrCreate('big', async () => ({ spec: { kind: 'test' }, ranges: ranges(7) }));
    assert.deepEqual([again.rangeSet, again.rangeCount], [spec.rangeSet, 1000]);
    await jobs.putRecord('big', 'merge', 3, { count: 1, setsum: 'x' } as never);
    await jobs.delete('big');
    assert.deepEqual(await Promise.all(['job#big', 'job#big#r0', 'job#big#r3'].map(itemsUnder)), [0, 0, 0]);
    assert.equal(await jobs.get('big'), undefined);
  });

  it("reads a job an earlier release stored, its ranges under the spec's partition", async () => {
    const put = (sk: string, attrs: Record<string, { S: string }>) =>
      sys.store.ddb.send(
        new PutItemCommand({
          TableName: sys.store.indexTable,
          Item: { [INDEX_TABLE.partitionKey]: { S: 'job#old' }, [INDEX_TABLE.sortKey]: { B: Buffer.from(sk) }, ...attrs },
        }),
      );
    const old = { kind: 'test', rangeCount: 300, rangeSet: 'abcd1234' };
    await sys.store.ddb.send(
      new PutItemCommand({
        TableName: sys.store.indexTable,
        Item: { [INDEX_TABLE.partitionKey]: { S: 'job#old' }, [INDEX_TABLE.sortKey]: { B: Uint8Array.of(0) }, spec: { S: JSON.stringify(old) } },
      }),
    );
    for (const r of ranges(300)) await put(`range#abcd1234#${String(r.index).padStart(8, '0')}`, { range: { S: JSON.stringify(r) } });
    const spec = await jobs.spec<typeof old>('old');
    assert.deepEqual(await jobs.range('old', spec, 299), { index: 299, lo: 'k000299' });
    assert.equal((await jobs.ranges('old', spec)).length, 300);
    await jobs.delete('old');
    assert.equal(await itemsUnder('job#old'), 0);
  });
});

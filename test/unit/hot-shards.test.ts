/** Write sharding: the shard function is a stored format (frozen here), spreads keys evenly, and the settings bound the count. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { MAX_HOT_SHARDS, partitionValuesOf, shardedPartitionValue, shardOf } from '../../lambda/core/hot-shards.ts';
import { encodeKey } from '../../lambda/core/keys.ts';
import { hotPartitionKey, hotTableSchema, shardsOfPartitionKey } from '../../lambda/core/schema.ts';
import { settingsFromEnv } from '../../lambda/core/settings.ts';

describe('hot shards', () => {
  it('places keys where every earlier release placed them (a stored format)', () => {
    const vectors: [string, string, number, number][] = [
      ['team-1', '2026-11-23T10:00:00Z#e1', 7, 47],
      ['a', 'b', 6, 14],
      ['ü', '😀', 1, 17],
      ['team-1', 'x', 1, 25],
    ];
    for (const [pk, sk, of8, of64] of vectors) assert.deepEqual([shardOf(encodeKey(pk, sk), 8), shardOf(encodeKey(pk, sk), 64)], [of8, of64], `${pk}/${sk}`);
    assert.equal(shardOf(encodeKey('a', 'b'), 1), 0);
    assert.equal(shardedPartitionValue('team#1', 3), '3#team#1');
    assert.deepEqual(partitionValuesOf('p', 1), ['p']);
    assert.deepEqual(partitionValuesOf('p', 3), ['0#p', '1#p', '2#p']);
  });

  it("spreads one pk's time-ordered keys evenly over the shards", () => {
    const counts = new Array<number>(8).fill(0);
    const n = 16_000;
    for (let i = 0; i < n; i++) counts[shardOf(encodeKey('team-1', `2026-11-23T10:${String(i).padStart(8, '0')}Z#e`), 8)]!++;
    for (const c of counts) assert.ok(Math.abs(c - n / 8) < 0.1 * (n / 8), `shard counts ${counts.join(', ')}`);
  });

  it("records the count in the partition key attribute's name, and reads it back", () => {
    assert.equal(hotPartitionKey(1), 'pk');
    assert.equal(hotPartitionKey(8), 'pk8');
    for (const n of [1, 2, 8, 64]) assert.equal(shardsOfPartitionKey(hotTableSchema(n).keySchema[0]!.AttributeName), n);
    assert.equal(shardsOfPartitionKey('PK'), undefined);
  });

  it('takes ALKI_HOT_SHARDS from 1 to 64, default 8', () => {
    assert.equal(settingsFromEnv({}).hotShards, 8);
    assert.equal(settingsFromEnv({ ALKI_HOT_SHARDS: '1' }).hotShards, 1);
    assert.throws(() => settingsFromEnv({ ALKI_HOT_SHARDS: '0' }), /ALKI_HOT_SHARDS must be an integer from 1 to 64/);
    assert.throws(() => settingsFromEnv({ ALKI_HOT_SHARDS: String(MAX_HOT_SHARDS + 1) }), /from 1 to 64/);
  });
});

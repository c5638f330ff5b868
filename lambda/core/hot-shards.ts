/**
 * Write sharding of the hot tables. DynamoDB serves one partition key at most 1,000 write
 * units a second, and an audit log's sort keys are time-ordered, so one team's writes all
 * land on one partition: a team writing faster than that is throttled however the table is
 * provisioned. A sharded table spreads each `pk` over `shards` partition keys. The shard is a
 * function of the whole key (pk and sk), so a point read, a conditional write and a
 * transaction each touch exactly one item; a range query reads every shard of its `pk` and
 * merges them in key order (a key lives in one shard only, so nothing is merged away).
 *
 * The count is recorded by the table itself, in the name of its partition key attribute
 * (`pk` unsharded, `pk<n>` with n shards), so a change of the setting applies to tables
 * created afterwards and every reader finds each table's count in its key schema or in the
 * hot run's manifest entry. This is a stored format: `shardOf` must never change.
 */
import { murmur3 } from './hash.ts';

/** At most this many shards: a range query reads every one. */
export const MAX_HOT_SHARDS = 64;

/** The default: one team at 5,000 writes/s (twice Alki's design load's share) stays under 625 per partition key. */
export const DEFAULT_HOT_SHARDS = 8;

/** Fixed seed of the shard hash (a stored format: never changes). */
const SHARD_SEED = 0x5a4c4b49;

/** The shard of an encoded key (pk, 0x00, sk) in a table of `shards` shards. */
export function shardOf(key: Uint8Array, shards: number): number {
  return shards <= 1 ? 0 : (murmur3(key, SHARD_SEED) >>> 0) % shards;
}

/** The partition key value of a record's shard: `<shard>#<pk>` (the shard is digits, so the first `#` ends it). */
export const shardedPartitionValue = (pk: string, shard: number): string => `${shard}#${pk}`;

/** The partition key value of the record with encoded key `key` (whose pk is `pk`) in a table of `shards` shards. */
export const partitionValueOf = (key: Uint8Array, pk: string, shards: number): string => (shards <= 1 ? pk : shardedPartitionValue(pk, shardOf(key, shards)));

/** Every partition key value a `pk` takes in a table of `shards` shards. */
export const partitionValuesOf = (pk: string, shards: number): string[] =>
  shards <= 1 ? [pk] : Array.from({ length: shards }, (_, i) => shardedPartitionValue(pk, i));

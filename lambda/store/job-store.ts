/**
 * Jobs in the index table (`PK = job#<id>`): the spec, and one record per task (core/jobs.ts);
 * a large job's key ranges spread over `job#<id>#r<k>` (`rangeShards`), since a planning writes
 * them all at once and one partition key takes at most 1,000 writes a second.
 * The first attempt to prepare a job writes its spec; every later attempt, and any concurrent
 * execution, reads that same spec back, so a re-run never re-plans with different splitters
 * and object names. A task writes its record when done; a re-run of it overwrites the record
 * with the same content. Whoever needs a job's lists (merge, verify, finish) queries them.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_RANGE_SHARDS, rangeShards, type JobRanges, type JobRecordKind, type JobRecords } from '../core/jobs.ts';
import type { RangeSpec } from '../core/key-ranges.ts';
import { INDEX_TABLE } from '../core/schema.ts';
import { errorName, translate } from './aws-errors.ts';
import { writeAll } from './batch-write.ts';
import { grant, type Grant } from './grants.ts';
import { type DdbItem, pagedItems } from './paging.ts';

export const JOB_GRANTS = {
  /** get, spec, getOrCreate (its ranges in batches), range, ranges, putRecord, record, records, allRecords: a job's own tasks */
  use: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem')],
  /** get, spec, range, ranges, record, records, allRecords */
  read: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:Query')],
  /** get, spec, record: a GetItem each */
  spec: [grant('indexTable', 'dynamodb:GetItem')],
  /** putRecord, for a function that must write nothing else (verification) */
  record: [grant('jobRecords', 'dynamodb:PutItem')],
  /** delete: the spec (read first: it says where the key ranges are) and every record */
  delete: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem')],
} as const satisfies Record<string, readonly Grant[]>;

const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;
const pk = (id: string) => ({ S: `job#${id}` });
/** The partition of key range `index` of a job whose ranges are spread over `shards` partition keys. */
const rangePk = (id: string, index: number, shards: number) => (shards <= 1 ? pk(id) : { S: `job#${id}#r${index % shards}` });
const SPEC_SK = Uint8Array.of(0);
const specKey = (id: string) => ({ [PK]: pk(id), [SK]: { B: SPEC_SK } });
/** Record sort keys sort by kind, then index: `scan#00000012`. */
const recordSk = (kind: JobRecordKind, index: number): Uint8Array => Buffer.from(`${kind}#${String(index).padStart(8, '0')}`);
/** A key range of one prepare attempt's set: `range#<set>#00000012`. */
const rangePrefix = (set: string): string => `range#${set}#`;
const rangeSk = (set: string, index: number): Uint8Array => Buffer.from(`${rangePrefix(set)}${String(index).padStart(8, '0')}`);
/** Range records written at once while a job is prepared: a million ranges in well under a minute. */
const RANGE_WRITERS = 16;

export class JobStore {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;

  constructor(ddb: DynamoDBClient, table: string) {
    this.ddb = ddb;
    this.table = table;
  }

  async get<T>(id: string): Promise<T | undefined> {
    try {
      const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: specKey(id), ConsistentRead: true }));
      return out.Item ? (JSON.parse(out.Item.spec!.S!) as T) : undefined;
    } catch (err) {
      return translate(err, `read job ${id}`);
    }
  }

  /** The spec, which the job's first prepare stored: a task of a job that was never prepared is an error. */
  async spec<T>(id: string): Promise<T> {
    const spec = await this.get<T>(id);
    if (spec === undefined) throw new Error(`job ${id} has no spec: it was never prepared, or it was collected`);
    return spec;
  }

  /**
   * The stored spec, or `make()`'s, stored if no other attempt stored one first. Its key ranges
   * are written first, as records of a set of their own, then the spec that names the set: an
   * attempt that loses the race leaves records of a set no spec names (deleted with the job).
   */
  async getOrCreate<S extends object>(id: string, make: () => Promise<{ spec: S; ranges: readonly RangeSpec[] }>): Promise<S & JobRanges> {
    const existing = await this.get<S & JobRanges>(id);
    if (existing !== undefined) return existing;
    const made = await make();
    const shards = rangeShards(made.ranges.length);
    const spec: S & JobRanges = {
      ...made.spec,
      rangeCount: made.ranges.length,
      rangeSet: randomUUID().slice(0, 8),
      ...(shards > 1 ? { rangeShards: shards } : {}),
    };
    const puts = made.ranges.map((r) => ({
      PutRequest: { Item: { [PK]: rangePk(id, r.index, shards), [SK]: { B: rangeSk(spec.rangeSet, r.index) }, range: { S: JSON.stringify(r) } } },
    }));
    const per = Math.ceil(puts.length / RANGE_WRITERS);
    await Promise.all(
      Array.from({ length: RANGE_WRITERS }, (_, w) => writeAll(this.ddb, this.table, puts.slice(w * per, (w + 1) * per), `store the key ranges of job ${id}`)),
    );
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...specKey(id), spec: { S: JSON.stringify(spec) }, createdAt: { S: new Date().toISOString() } },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return spec;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return (await this.get<S & JobRanges>(id))!;
      return translate(err, `store job ${id}`);
    }
  }

  /** Key range `index` of the job. */
  async range(id: string, job: JobRanges, index: number): Promise<RangeSpec> {
    if (!Number.isInteger(index) || index < 0 || index >= job.rangeCount) throw new Error(`job ${id} has ${job.rangeCount} key ranges, not range ${index}`);
    try {
      const out = await this.ddb.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { [PK]: rangePk(id, index, job.rangeShards ?? 1), [SK]: { B: rangeSk(job.rangeSet, index) } },
          ConsistentRead: true,
        }),
      );
      if (!out.Item) throw new Error(`job ${id} has no key range ${index}`);
      return JSON.parse(out.Item.range!.S!) as RangeSpec;
    } catch (err) {
      return translate(err, `read key range ${index} of job ${id}`);
    }
  }

  /** Every key range of the job, in order. */
  async ranges(id: string, job: JobRanges): Promise<RangeSpec[]> {
    const shards = job.rangeShards ?? 1;
    const parts = await Promise.all(
      Array.from({ length: shards }, async (_, k) => {
        const got: RangeSpec[] = [];
        for await (const item of this.query(rangePk(id, k, shards), rangePrefix(job.rangeSet), `read the key ranges of job ${id}`))
          got.push(JSON.parse(item.range!.S!) as RangeSpec);
        return got;
      }),
    );
    const out = parts.flat().sort((a, b) => a.index - b.index);
    if (out.length !== job.rangeCount) throw new Error(`job ${id}: ${out.length} key ranges stored, its spec says ${job.rangeCount}`);
    return out;
  }

  /** Stores what task `index` of the job did (a re-run writes the same again). */
  async putRecord<K extends JobRecordKind>(id: string, kind: K, index: number, record: JobRecords[K]): Promise<void> {
    try {
      await this.ddb.send(
        new PutItemCommand({ TableName: this.table, Item: { [PK]: pk(id), [SK]: { B: recordSk(kind, index) }, record: { S: JSON.stringify(record) } } }),
      );
    } catch (err) {
      translate(err, `record ${kind} ${index} of job ${id}`);
    }
  }

  /** The record of task `index` of one kind, if it recorded. */
  async record<K extends JobRecordKind>(id: string, kind: K, index: number): Promise<JobRecords[K] | undefined> {
    try {
      const out = await this.ddb.send(
        new GetItemCommand({ TableName: this.table, Key: { [PK]: pk(id), [SK]: { B: recordSk(kind, index) } }, ConsistentRead: true }),
      );
      return out.Item ? (JSON.parse(out.Item.record!.S!) as JobRecords[K]) : undefined;
    } catch (err) {
      return translate(err, `read ${kind} ${index} of job ${id}`);
    }
  }

  /** Every record of one kind, by task index. */
  async records<K extends JobRecordKind>(id: string, kind: K): Promise<Map<number, JobRecords[K]>> {
    const out = new Map<number, JobRecords[K]>();
    for await (const item of this.items(id, kind)) {
      const sk = Buffer.from(item[SK]!.B!).toString('utf8');
      out.set(Number(sk.slice(kind.length + 1)), JSON.parse(item.record!.S!) as JobRecords[K]);
    }
    return out;
  }

  /** The records of tasks `0..n-1`, in order; a missing one is an error (its task never finished). */
  async allRecords<K extends JobRecordKind>(id: string, kind: K, n: number): Promise<JobRecords[K][]> {
    const found = await this.records(id, kind);
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !found.has(i));
    if (missing.length > 0)
      throw new Error(
        `job ${id}: no ${kind} record for task${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''} of ${n}`,
      );
    return Array.from({ length: n }, (_, i) => found.get(i)!);
  }

  private items(id: string, kind?: JobRecordKind): AsyncGenerator<DdbItem> {
    return this.query(pk(id), kind ? `${kind}#` : undefined, `read the records of job ${id}`);
  }

  /** The items of one of a job's partitions, those whose sort key starts with `prefix` if given. */
  private query(partition: { S: string }, prefix: string | undefined, what: string): AsyncGenerator<DdbItem> {
    return pagedItems(what, (start) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK, ...(prefix ? { '#sk': SK } : {}) },
          ExpressionAttributeValues: { ':pk': partition, ...(prefix ? { ':prefix': { B: Buffer.from(prefix) } } : {}) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      ),
    );
  }

  /**
   * Deletes the spec, every record and every key range; idempotent. A job without a spec (an
   * attempt that stored its ranges and stopped before the spec) may have ranges under any of
   * the range partitions: all are looked at.
   */
  async delete(id: string): Promise<void> {
    const spec = await this.get<Partial<JobRanges>>(id);
    const shards = spec === undefined ? MAX_RANGE_SHARDS : (spec.rangeShards ?? 1);
    const partitions = [pk(id), ...(shards > 1 ? Array.from({ length: shards }, (_, k) => rangePk(id, k, shards)) : [])];
    const found = await Promise.all(
      partitions.map(async (p) => {
        const keys: DdbItem[] = [];
        for await (const item of this.query(p, undefined, `read job ${id}`)) keys.push({ [PK]: item[PK]!, [SK]: item[SK]! });
        return keys;
      }),
    );
    await writeAll(
      this.ddb,
      this.table,
      found.flat().map((Key) => ({ DeleteRequest: { Key } })),
      `delete job ${id}`,
    );
  }
}

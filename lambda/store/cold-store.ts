/**
 * Cold tier adapter: blobs in S3 and sparse-index items in the index table (DESIGN §3).
 * Reads implement the core's ColdRunIO; writes put a run's blobs and index items, which
 * stay invisible until a manifest commit names the run.
 */
import {
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { BlobSource, Direction } from '../core/blob-reader.ts';
import { BlobWriter, type BlobWriterOptions, type FinishedBlob } from '../core/blob-writer.ts';
import type { ColdRunIO } from '../core/cold-run.ts';
import type { RunMeta } from '../core/manifest.ts';
import { compareKeys } from '../core/keys.ts';
import type { KeyRange } from '../core/partition-query.ts';
import { keyRangeOfSpec, type RangeSpec, type RangeSummary } from '../core/key-ranges.ts';
import type { Entry } from '../core/record.ts';
import { INDEX_TABLE, OBJECTS, rangesPartition, runPartition } from '../core/schema.ts';
import { Setsum } from '../core/setsum.ts';
import { deserializeIndexEntry, serializeIndexEntry, type IndexEntry } from '../core/sparse-index.ts';
import { MissingDataError, UnavailableError } from '../core/errors.ts';
import { backoffMs, sleep, translate } from './aws-errors.ts';
import { BATCH_WRITE_MAX, writeAll, writeBatch } from './batch-write.ts';
import { pagedItems } from './paging.ts';
import { grant, type Grant } from './grants.ts';

/**
 * What each use of the cold tier calls. Whoever reads objects also lists the bucket: without
 * s3:ListBucket, S3 answers a missing key with 403 AccessDenied instead of 404 NoSuchKey.
 */
export const COLD_GRANTS = {
  /** floorEntry, entries, allEntries, blob, source: index queries and ranged reads of blobs */
  readRuns: [grant('indexTable', 'dynamodb:Query'), grant('runObjects', 's3:GetObject'), grant('bucket', 's3:ListBucket')],
  /** writeRun, putBlob: blobs and index items, then the range's sweep (list, delete, query, batch delete) */
  writeRuns: [grant('runObjects', 's3:PutObject', 's3:DeleteObject'), grant('indexTable', 'dynamodb:BatchWriteItem', 'dynamodb:Query'), grant('bucket', 's3:ListBucket')],
  /** deleteRun */
  deleteRuns: [grant('runObjects', 's3:DeleteObject'), grant('indexTable', 'dynamodb:Query', 'dynamodb:BatchWriteItem'), grant('bucket', 's3:ListBucket')],
  /** S3SpillStore: put, open */
  spills: [grant('spillObjects', 's3:PutObject', 's3:GetObject'), grant('bucket', 's3:ListBucket')],
  /** deletePrefix of a job's spills */
  deleteSpills: [grant('spillObjects', 's3:DeleteObject'), grant('bucket', 's3:ListBucket')],
  /** list and read uploaded import files */
  readImports: [grant('importObjects', 's3:GetObject'), grant('bucket', 's3:ListBucket')],
  /** list uploaded import files (is every file there?) */
  listImports: [grant('bucket', 's3:ListBucket')],
  /** deletePrefix of an import's uploads */
  deleteImports: [grant('importObjects', 's3:DeleteObject'), grant('bucket', 's3:ListBucket')],
} as const satisfies Record<string, readonly Grant[]>;

type Item = Record<string, AttributeValue>;
const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;
/** Reads of one range whose body breaks off before a read gives up. */
const BODY_READ_ATTEMPTS = 3;

/** Per-key DeleteObjects errors worth another try. */
const RETRYABLE_DELETE = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable']);

/** The index item attribute holding a serialized IndexEntry. */
export const ENTRY = 'e';
/** The attribute of a range summary item (JSON), and its sort key: the range's index. */
const SUMMARY = 'r';
const rangeSummaryKey = (index: number): Uint8Array => Buffer.from(String(index).padStart(8, '0'));

/** What a written run holds, for its manifest entry and for verification. */
export interface WrittenRun {
  readonly count: number;
  readonly bytes: number;
  readonly setsum: Setsum;
  readonly blobs: number;
  readonly minKey?: Buffer;
  readonly maxKey?: Buffer;
  readonly minSeq: number;
  readonly maxSeq: number;
}

export class ColdStore implements ColdRunIO {
  private readonly ddb: DynamoDBClient;
  private readonly s3: S3Client;
  readonly indexTable: string;
  readonly bucket: string;

  constructor(ddb: DynamoDBClient, s3: S3Client, indexTable: string, bucket: string) {
    this.ddb = ddb;
    this.s3 = s3;
    this.indexTable = indexTable;
    this.bucket = bucket;
  }

  async floorEntry(runId: string, key: Buffer): Promise<IndexEntry | undefined> {
    try {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.indexTable,
          KeyConditionExpression: '#pk = :pk AND #sk <= :k',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': { S: runPartition(runId) }, ':k': { B: key } },
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      const item = out.Items?.[0];
      return item ? deserializeIndexEntry(item[ENTRY]!.B!) : undefined;
    } catch (err) {
      return translate(err, `index of run ${runId}`);
    }
  }

  async *entries(runId: string, range: KeyRange, direction: Direction): AsyncGenerator<IndexEntry> {
    if (direction === 'asc') {
      const floor = await this.floorEntry(runId, range.lo);
      if (floor) yield floor;
      for await (const e of this.walk(runId, '#sk > :k', range.lo, true)) {
        if (Buffer.compare(e.firstKey, range.hi) >= 0) return;
        yield e;
      }
    } else {
      for await (const e of this.walk(runId, '#sk < :k', range.hi, false)) {
        yield e;
        if (Buffer.compare(e.firstKey, range.lo) <= 0) return;
      }
    }
  }

  private async *walk(runId: string, cond: string, key: Buffer, forward: boolean): AsyncGenerator<IndexEntry> {
    // Small first pages: most range reads need one or two entries.
    for await (const item of this.partition(runId, { cond, key, forward, limit: 8 })) yield deserializeIndexEntry(item[ENTRY]!.B!);
  }

  /** The index items of a run, page by page: all of them, or those whose SK meets `cond` against `key`. */
  private async *partition(
    runId: string,
    o: { cond?: string; key?: Buffer; forward?: boolean; limit?: number; consistent?: boolean; keysOnly?: boolean; pk?: string } = {},
  ): AsyncGenerator<Item> {
    yield* pagedItems(`index of run ${runId}`, (start) =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.indexTable,
          KeyConditionExpression: o.cond ? `#pk = :pk AND ${o.cond}` : '#pk = :pk',
          // DynamoDB rejects an expression attribute name no expression uses.
          ExpressionAttributeNames: { '#pk': PK, ...(o.cond || o.keysOnly ? { '#sk': SK } : {}) },
          ExpressionAttributeValues: { ':pk': { S: o.pk ?? runPartition(runId) }, ...(o.key ? { ':k': { B: o.key } } : {}) },
          ScanIndexForward: o.forward ?? true,
          ...(o.limit ? { Limit: o.limit } : {}),
          ...(o.consistent ? { ConsistentRead: true } : {}),
          ...(o.keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
          ExclusiveStartKey: start,
        }),
      ),
    );
  }

  /**
   * Ranged reads of a blob. A body that breaks mid-stream (a reset connection; the SDK
   * retries only until the headers arrive) is read again with backoff, then answered as
   * unavailable (503, retry later), never as missing data or a bad request.
   */
  blob(_runId: string, name: string): Pick<BlobSource, 'name' | 'read'> {
    return {
      name,
      read: async (offset, length) => {
        for (let attempt = 0; ; attempt++) {
          let out;
          try {
            out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: name, Range: `bytes=${offset}-${offset + length - 1}` }));
          } catch (err) {
            return translate(err, `read ${name}`);
          }
          try {
            return Buffer.from(await out.Body!.transformToByteArray());
          } catch (err) {
            if (attempt >= BODY_READ_ATTEMPTS - 1) throw new UnavailableError('StorageUnavailable', `read ${name}: the object's body broke off ${BODY_READ_ATTEMPTS} times (${(err as Error).message}); retry`, 1);
            await sleep(backoffMs(attempt + 1));
          }
        }
      },
    };
  }

  /** Writes one finished blob and its index items (invisible until committed). */
  async putBlob(runId: string, blob: FinishedBlob): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: blob.name, Body: blob.bytes }));
    } catch (err) {
      translate(err, `write ${blob.name}`);
    }
    const requests: WriteRequest[] = blob.index.map((e) => ({
      PutRequest: { Item: { [PK]: { S: runPartition(runId) }, [SK]: { B: e.firstKey }, [ENTRY]: { B: serializeIndexEntry(e) } } },
    }));
    await writeAll(this.ddb, this.indexTable, requests, `index items of run ${runId}`);
  }

  /**
   * Writes a whole run (or one key range of it) from sorted records; names are
   * deterministic, so a re-run overwrites the same objects.
   */
  async writeRun(runId: string, entries: AsyncIterable<Entry> | Iterable<Entry>, opts: Partial<BlobWriterOptions> = {}, range?: RangeSpec): Promise<WrittenRun> {
    const w = new BlobWriter((i) => (range === undefined ? OBJECTS.blob(runId, i) : OBJECTS.rangeBlob(runId, range.index, i)), opts);
    const names = new Set<string>();
    const firstKeys = new Set<string>();
    const setsum = new Setsum();
    let count = 0;
    let bytes = 0;
    let blobs = 0;
    let minKey: Buffer | undefined;
    let maxKey: Buffer | undefined;
    let minSeq = Infinity;
    let maxSeq = -Infinity;
    const done = async (b: FinishedBlob | undefined): Promise<void> => {
      if (!b) return;
      await this.putBlob(runId, b);
      names.add(b.name);
      for (const e of b.index) firstKeys.add(e.firstKey.toString('base64'));
      setsum.add(b.setsum);
      count += b.count;
      bytes += b.bytes.length;
      blobs++;
      minKey ??= b.firstKey;
      maxKey = b.lastKey;
      minSeq = Math.min(minSeq, b.minSeq);
      maxSeq = Math.max(maxSeq, b.maxSeq);
    };
    for await (const e of entries) await done(w.add(e));
    await done(w.finish());
    if (range !== undefined) {
      await this.sweepRange(runId, range, names, firstKeys);
      const summary: RangeSummary = { ...range, bytes, count };
      const item = { [PK]: { S: rangesPartition(runId) }, [SK]: { B: rangeSummaryKey(range.index) }, [SUMMARY]: { S: JSON.stringify(summary) } };
      await writeBatch(this.ddb, this.indexTable, [{ PutRequest: { Item: item } }], `record range ${range.index} of run ${runId}`);
    }
    return { count, bytes, setsum, blobs, ...(minKey ? { minKey } : {}), ...(maxKey ? { maxKey } : {}), minSeq, maxSeq };
  }

  /**
   * After a key range of a run is written: delete blobs and index items of that range that
   * this attempt did not write. A re-run writes the same names, so only what an earlier,
   * different attempt left (a corrupted write, other settings) goes; committed data, always
   * rewritten identically, is never touched.
   */
  private async sweepRange(runId: string, range: RangeSpec, names: ReadonlySet<string>, firstKeys: ReadonlySet<string>): Promise<void> {
    const stale = (await this.list(OBJECTS.rangeBlobPrefix(runId, range.index))).filter((o) => !names.has(o.key));
    if (stale.length > 0) await this.deleteObjects(stale.map((o) => o.key));
    const { lo, hi } = keyRangeOfSpec(range);
    const from = lo.length > 0 ? { cond: '#sk >= :k', key: lo } : {};
    const items = this.partition(runId, { ...from, consistent: true, keysOnly: true });
    await this.deleteItems(runId, (async function* () {
      for await (const it of items) {
        const sk = Buffer.from(it[SK]!.B!);
        if (compareKeys(sk, hi) >= 0) return;
        if (!firstKeys.has(sk.toString('base64'))) yield it;
      }
    })());
  }

  /** Deletes index items (keys only needed), 25 to a request, as they stream in. */
  private async deleteItems(runId: string, items: AsyncIterable<Item>): Promise<void> {
    let batch: WriteRequest[] = [];
    const flush = async (): Promise<void> => {
      await writeBatch(this.ddb, this.indexTable, batch, `delete index items of run ${runId}`);
      batch = [];
    };
    for await (const it of items) {
      batch.push({ DeleteRequest: { Key: { [PK]: it[PK]!, [SK]: it[SK]! } } });
      if (batch.length === BATCH_WRITE_MAX) await flush();
    }
    await flush();
  }

  /**
   * Deletes objects, 1,000 to a request. A 200 answer can still carry per-key Errors: keys
   * that failed for a passing reason (InternalError, SlowDown) are retried with backoff; any
   * other, or one that keeps failing, fails the delete naming the key and the code.
   */
  private async deleteObjects(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      let batch = keys.slice(i, i + 1000);
      for (let attempt = 0; batch.length > 0; attempt++) {
        if (attempt > 0) await sleep(backoffMs(attempt));
        let out;
        try {
          out = await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((k) => ({ Key: k })), Quiet: true } }));
        } catch (err) {
          translate(err, `delete ${batch[0]}`);
        }
        const errors = out.Errors ?? [];
        const fatal = errors.find((e) => !RETRYABLE_DELETE.has(e.Code ?? '') || attempt >= 5);
        if (fatal) translate(Object.assign(new Error(`${fatal.Key}: ${fatal.Code}: ${fatal.Message ?? ''}`), { name: fatal.Code ?? 'DeleteFailed' }), `delete ${fatal.Key}`);
        batch = errors.map((e) => e.Key!);
      }
    }
  }

  /** A blob's size and ranged reads, for whole-blob scans (verification, spills). */
  source(name: string, size: number): BlobSource {
    return { ...this.blob('', name), size };
  }

  /** ListObjectsV2 pages under a prefix (with `/` as delimiter: one level only), by the SDK's paginator. */
  private async *listPages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    try {
      yield* paginateListObjectsV2({ client: this.s3 }, { Bucket: this.bucket, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}) });
    } catch (err) {
      translate(err, `list ${prefix}`);
    }
  }

  /** Objects under a prefix, in key order, with sizes. */
  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const out: { key: string; size: number }[] = [];
    for await (const page of this.listPages(prefix)) for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The names one level below a prefix (`runs/` -> run ids), without listing every object. */
  async childNames(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.listPages(prefix, '/')) for (const p of page.CommonPrefixes ?? []) out.push(p.Prefix!.slice(prefix.length, -1));
    return out.sort();
  }

  async putObject(key: string, body: Buffer): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
    } catch (err) {
      translate(err, `write ${key}`);
    }
  }

  /** Deletes every object under a prefix; idempotent. */
  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    await this.deleteObjects(keys.map((k) => k.key));
    return keys.length;
  }

  /** Every index entry of a run, in key order. */
  async *allEntries(runId: string): AsyncGenerator<IndexEntry> {
    for await (const item of this.partition(runId, { consistent: true })) yield deserializeIndexEntry(item[ENTRY]!.B!);
  }

  /** The index entries whose first key is in [lo, hi), in key order, strongly consistent (verification of one range). */
  async *entriesWithin(runId: string, lo: Buffer, hi: Buffer): AsyncGenerator<IndexEntry> {
    // A binary key condition cannot compare with an empty value: an unbounded start reads from the first item.
    const items = lo.length > 0 ? this.partition(runId, { cond: '#sk >= :k', key: lo, consistent: true }) : this.partition(runId, { consistent: true });
    for await (const item of items) {
      if (Buffer.compare(Buffer.from(item[SK]!.B!), hi) >= 0) return;
      yield deserializeIndexEntry(item[ENTRY]!.B!);
    }
  }

  /** Deletes a run's blobs and index items; idempotent. */
  async deleteRun(runId: string): Promise<void> {
    await this.deletePrefix(OBJECTS.runPrefix(runId));
    await this.deleteItems(runId, this.partition(runId, { keysOnly: true }));
    await this.deleteItems(runId, this.partition(runId, { keysOnly: true, pk: rangesPartition(runId) }));
  }

  /** The key ranges the run was written in, in order; empty for a run written whole (or before runs kept them). */
  async rangeSummaries(runId: string): Promise<RangeSummary[]> {
    const out: RangeSummary[] = [];
    for await (const item of this.partition(runId, { pk: rangesPartition(runId), consistent: true })) out.push(JSON.parse(item[SUMMARY]!.S!) as RangeSummary);
    return out;
  }
}

/** The manifest entry of a run written at one level over a span of periods. */
export function coldRunMeta(id: string, level: number, periodStart: number, periodEnd: number, w: WrittenRun, now = new Date()): RunMeta {
  return {
    id,
    tier: 'cold',
    level,
    periodStart,
    periodEnd,
    minSeq: w.count > 0 ? w.minSeq : 0,
    maxSeq: w.count > 0 ? w.maxSeq : 0,
    ...(w.minKey ? { minKey: w.minKey.toString('base64') } : {}),
    ...(w.maxKey ? { maxKey: w.maxKey.toString('base64') } : {}),
    count: w.count,
    bytes: w.bytes,
    setsum: w.setsum.hexdigest(),
    blobs: w.blobs,
    createdAt: now.toISOString(),
  };
}

/** Spills in the cold bucket: temporary objects of offload and import jobs. */
export class S3SpillStore {
  private readonly cold: ColdStore;
  private readonly sizes = new Map<string, number>();

  constructor(cold: ColdStore) {
    this.cold = cold;
  }

  async put(name: string, bytes: Buffer): Promise<void> {
    await this.cold.putObject(name, bytes);
    this.sizes.set(name, bytes.length);
  }

  async open(name: string): Promise<BlobSource> {
    let size = this.sizes.get(name);
    if (size === undefined) {
      const found = (await this.cold.list(name)).find((o) => o.key === name);
      if (!found) throw new MissingDataError(`spill ${name} is missing`);
      size = found.size;
    }
    return this.cold.source(name, size);
  }
}

/**
 * Reading cold runs (DESIGN §3): a run's sparse index in the index table and ranged reads of
 * its blobs, as the core's ColdRunIO; whole-run walks for verification and planning.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { BlobSource, Direction } from '../core/blob-reader.ts';
import type { ColdRunIO } from '../core/cold-run.ts';
import type { RangeSummary } from '../core/key-ranges.ts';
import type { KeyRange } from '../core/partition-query.ts';
import { rangesPartition, runPartition } from '../core/schema.ts';
import { deserializeIndexEntry, type IndexEntry } from '../core/sparse-index.ts';
import { translate } from './aws-errors.ts';
import type { ColdBucket } from './cold-bucket.ts';
import { grant, type Grant } from './grants.ts';
import { ENTRY, PK, SK, SUMMARY, type RunIndex } from './run-index.ts';

/**
 * floorEntry, entries, allEntries, entriesWithin, rangeSummaries, blob: index queries and
 * ranged reads of blobs. Whoever reads objects also lists the bucket: without s3:ListBucket,
 * S3 answers a missing key with 403 AccessDenied instead of 404.
 */
export const RUN_READ_GRANTS = [grant('indexTable', 'dynamodb:Query'), grant('runObjects', 's3:GetObject'), grant('bucket', 's3:ListBucket')] as const satisfies readonly Grant[];

export class ColdReader implements ColdRunIO {
  private readonly index: RunIndex;
  private readonly bucket: ColdBucket;

  constructor(index: RunIndex, bucket: ColdBucket) {
    this.index = index;
    this.bucket = bucket;
  }

  async floorEntry(runId: string, key: Buffer): Promise<IndexEntry | undefined> {
    try {
      const out = await this.index.ddb.send(
        new QueryCommand({
          TableName: this.index.table,
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
    for await (const item of this.index.partition(runId, { cond, key, forward, limit: 8 })) yield deserializeIndexEntry(item[ENTRY]!.B!);
  }

  /** Ranged reads of a blob of the run. */
  blob(_runId: string, name: string): Pick<BlobSource, 'name' | 'read'> {
    return this.bucket.reader(name);
  }

  /** Every index entry of a run, in key order. */
  async *allEntries(runId: string): AsyncGenerator<IndexEntry> {
    for await (const item of this.index.partition(runId, { consistent: true })) yield deserializeIndexEntry(item[ENTRY]!.B!);
  }

  /** The index entries whose first key is in [lo, hi), in key order, strongly consistent (verification of one range). */
  async *entriesWithin(runId: string, lo: Buffer, hi: Buffer): AsyncGenerator<IndexEntry> {
    // A binary key condition cannot compare with an empty value: an unbounded start reads from the first item.
    const items = lo.length > 0 ? this.index.partition(runId, { cond: '#sk >= :k', key: lo, consistent: true }) : this.index.partition(runId, { consistent: true });
    for await (const item of items) {
      if (Buffer.compare(Buffer.from(item[SK]!.B!), hi) >= 0) return;
      yield deserializeIndexEntry(item[ENTRY]!.B!);
    }
  }

  /** The key ranges the run was written in, in order; empty for a run written whole (or before runs kept them). */
  async rangeSummaries(runId: string): Promise<RangeSummary[]> {
    const out: RangeSummary[] = [];
    for await (const item of this.index.partition(runId, { pk: rangesPartition(runId), consistent: true })) out.push(JSON.parse(item[SUMMARY]!.S!) as RangeSummary);
    return out;
  }
}

/**
 * Reading cold runs (docs/design.md §3): a run's sparse index in the index table and ranged reads of
 * its blobs, as the core's ColdRunIO; whole-run walks for verification and planning.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { BlobSource, Direction } from '../core/blob-reader.ts';
import type { ColdRunIO } from '../core/cold-run.ts';
import type { RangeSummary } from '../core/key-ranges.ts';
import type { KeyRange } from '../core/partition-query.ts';
import { compareKeys } from '../core/keys.ts';
import { rangesPartition, runPartition, runRangePartition } from '../core/schema.ts';
import { deserializeIndexEntry, type IndexEntry } from '../core/sparse-index.ts';
import { translate } from './aws-errors.ts';
import type { ColdBucket } from './cold-bucket.ts';
import { grant, type Grant } from './grants.ts';
import { ENTRY, PK, POINTER, POINTER_HI, SK, SUMMARY, type DdbItem, type RunIndex } from './run-index.ts';

/**
 * floorEntry, entries, allEntries, entriesWithin, rangeSummaries, blob: index queries and
 * ranged reads of blobs. Whoever reads objects also lists the bucket: without s3:ListBucket,
 * S3 answers a missing key with 403 AccessDenied instead of 404.
 */
export const RUN_READ_GRANTS = [
  grant('indexTable', 'dynamodb:Query'),
  grant('runObjects', 's3:GetObject'),
  grant('bucket', 's3:ListBucket'),
] as const satisfies readonly Grant[];

/** Pointers a reader keeps (runs are immutable once committed), most recently learned last. */
const POINTER_CACHE_RUNS = 256;
const POINTER_CACHE_PER_RUN = 64;

/** A pointer of a run's top level: keys in [lo, hi) have their entries in range `range`'s partition. */
interface Pointer {
  readonly lo: Buffer;
  readonly hi?: Buffer;
  readonly range: number;
}

const pointerOf = (item: DdbItem): Pointer | undefined =>
  item[POINTER]
    ? { lo: Buffer.from(item[SK]!.B!), range: Number(item[POINTER].N), ...(item[POINTER_HI] ? { hi: Buffer.from(item[POINTER_HI].B!) } : {}) }
    : undefined;

const entryOf = (item: DdbItem): IndexEntry => deserializeIndexEntry(item[ENTRY]!.B!);

export class ColdReader implements ColdRunIO {
  private readonly index: RunIndex;
  private readonly bucket: ColdBucket;
  private readonly pointers = new Map<string, Pointer[]>();

  constructor(index: RunIndex, bucket: ColdBucket) {
    this.index = index;
    this.bucket = bucket;
  }

  /** The item with the greatest sort key <= key in one partition. */
  private async floorItem(pk: string, runId: string, key: Buffer): Promise<DdbItem | undefined> {
    try {
      const out = await this.index.ddb.send(
        new QueryCommand({
          TableName: this.index.table,
          KeyConditionExpression: '#pk = :pk AND #sk <= :k',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': { S: pk }, ':k': { B: key } },
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      return out.Items?.[0];
    } catch (err) {
      return translate(err, `index of run ${runId}`);
    }
  }

  /**
   * A point read's entry: one query of the run's top level (skipped when a pointer learned
   * before covers the key) and, for a run written by range, one of the range's partition.
   * Point reads are of committed runs, which never change: their pointers can be kept.
   */
  async floorEntry(runId: string, key: Buffer): Promise<IndexEntry | undefined> {
    let pointer = this.pointers.get(runId)?.find((p) => compareKeys(p.lo, key) <= 0 && (!p.hi || compareKeys(key, p.hi) < 0));
    if (!pointer) {
      const top = await this.floorItem(runPartition(runId), runId, key);
      if (!top) return undefined;
      pointer = pointerOf(top);
      if (!pointer) return entryOf(top);
      this.remember(runId, pointer);
    }
    const item = await this.floorItem(runRangePartition(runId, pointer.range), runId, key);
    return item ? entryOf(item) : undefined;
  }

  private remember(runId: string, p: Pointer): void {
    const known = this.pointers.get(runId) ?? [];
    this.pointers.delete(runId);
    if (this.pointers.size >= POINTER_CACHE_RUNS) this.pointers.delete(this.pointers.keys().next().value!);
    this.pointers.set(runId, [...known.slice(known.length >= POINTER_CACHE_PER_RUN ? 1 : 0), p]);
  }

  async *entries(runId: string, range: KeyRange, direction: Direction): AsyncGenerator<IndexEntry> {
    if (direction === 'asc') {
      for await (const top of this.from(runPartition(runId), runId, range.lo)) {
        if (Buffer.compare(Buffer.from(top[SK]!.B!), range.hi) >= 0) return;
        for await (const e of this.expand(runId, top, 'asc', range.lo)) {
          if (Buffer.compare(e.firstKey, range.hi) >= 0) return;
          yield e;
        }
      }
    } else {
      for await (const top of this.index.partition(runId, { cond: '#sk < :k', key: range.hi, forward: false, limit: 8 })) {
        for await (const e of this.expand(runId, top, 'desc', range.hi)) {
          yield e;
          if (Buffer.compare(e.firstKey, range.lo) <= 0) return;
        }
      }
    }
  }

  /**
   * The entries a top-level item stands for, in order from `from`: itself, or its range's
   * (ascending: the floor of `from`, then those after it; descending: those before `from`).
   */
  private async *expand(runId: string, top: DdbItem, direction: Direction, from: Buffer): AsyncGenerator<IndexEntry> {
    const p = pointerOf(top);
    if (!p) return yield entryOf(top);
    const pk = runRangePartition(runId, p.range);
    const items = direction === 'asc' ? this.from(pk, runId, from) : this.index.partition(runId, { pk, cond: '#sk < :k', key: from, forward: false, limit: 8 });
    for await (const item of items) yield entryOf(item);
  }

  /**
   * A partition's items in key order from the floor of `key` (the last item at or before it).
   * Small first pages: most range reads need one or two entries. A key condition cannot hold
   * an empty binary value: from the empty key, the partition is read from its start.
   */
  private async *from(pk: string, runId: string, key: Buffer): AsyncGenerator<DdbItem> {
    if (key.length === 0) return yield* this.index.partition(runId, { pk, limit: 8 });
    const floor = await this.floorItem(pk, runId, key);
    if (floor) yield floor;
    yield* this.index.partition(runId, { pk, cond: '#sk > :k', key, limit: 8 });
  }

  /** Ranged reads of a blob of the run. */
  blob(_runId: string, name: string): Pick<BlobSource, 'name' | 'read'> {
    return this.bucket.reader(name);
  }

  /** Every index entry of a run, in key order, strongly consistent. */
  async *allEntries(runId: string): AsyncGenerator<IndexEntry> {
    yield* this.entriesWithin(runId, Buffer.alloc(0));
  }

  /** The index entries whose first key is in [lo, hi), in key order, strongly consistent (verification of one range). */
  async *entriesWithin(runId: string, lo: Buffer, hi?: Buffer): AsyncGenerator<IndexEntry> {
    const within = (sk: Buffer): boolean => compareKeys(sk, lo) >= 0 && (!hi || compareKeys(sk, hi) < 0);
    // A binary key condition cannot compare with an empty value: an unbounded start reads from the first item.
    const from = (pk?: string) => (lo.length > 0 ? { pk, cond: '#sk >= :k', key: lo, consistent: true } : { pk, consistent: true });
    // A range that starts before `lo` may hold entries after it: its pointer is the last item before `lo`.
    let before: DdbItem | undefined;
    if (lo.length > 0)
      for await (const it of this.index.partition(runId, { cond: '#sk < :k', key: lo, forward: false, limit: 1, consistent: true })) {
        before = it;
        break;
      }
    const spans = before && pointerOf(before) ? [before] : [];
    for await (const top of concat(spans, this.index.partition(runId, from()))) {
      const sk = Buffer.from(top[SK]!.B!);
      if (hi && compareKeys(sk, hi) >= 0) return;
      const p = pointerOf(top);
      if (!p) {
        yield entryOf(top);
        continue;
      }
      for await (const item of this.index.partition(runId, from(runRangePartition(runId, p.range)))) {
        const e = entryOf(item);
        if (!within(e.firstKey)) break;
        yield e;
      }
    }
  }

  /** The key ranges the run was written in, in order; empty for a run written whole (or before runs kept them). */
  async rangeSummaries(runId: string): Promise<RangeSummary[]> {
    const out: RangeSummary[] = [];
    for await (const item of this.index.partition(runId, { pk: rangesPartition(runId), consistent: true }))
      out.push(JSON.parse(item[SUMMARY]!.S!) as RangeSummary);
    return out;
  }
}

async function* concat<T>(first: readonly T[], rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield* first;
  yield* rest;
}

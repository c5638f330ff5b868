/**
 * Writing cold runs (docs/design.md §3): blobs in S3 and their sparse-index items, written by key
 * range (each range's entries under a partition key of its own, paced to its share of the
 * key's write rate, then a pointer to them in the run's top level; each range ends by sweeping
 * what an earlier, different attempt of it left) and invisible until a manifest commit names
 * the run; and deleting a run whole.
 */
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { BlobWriter, type BlobWriterOptions, type FinishedBlob } from '../core/blob-writer.ts';
import { compareKeys } from '../core/keys.ts';
import { keyRangeOfSpec, type RangeSpec, type RangeSummary } from '../core/key-ranges.ts';
import type { RunMeta } from '../core/manifest.ts';
import { batchesOf, type Source } from '../core/source.ts';
import { INDEX_KEY_WRITE_UNITS } from '../core/fan-out.ts';
import { OBJECTS, rangesPartition, runPartition, runRangePartition } from '../core/schema.ts';
import { Pacer } from '../core/token-bucket.ts';
import { RunStats } from '../core/run-stats.ts';
import type { Setsum } from '../core/setsum.ts';
import { serializeIndexEntry, type IndexEntry } from '../core/sparse-index.ts';
import { writeAll, writeBatch } from './batch-write.ts';
import type { ColdBucket } from './cold-bucket.ts';
import { grant, type Grant } from './grants.ts';
import { ENTRY, PK, POINTER, POINTER_HI, rangeSummaryKey, SK, SUMMARY, type DdbItem, type RunIndex } from './run-index.ts';

export const RUN_WRITE_GRANTS = {
  /** writeRun, putBlob: blobs, index items and range summaries, then the range's sweep (list, delete, query, batch delete) */
  write: [
    grant('runObjects', 's3:PutObject', 's3:DeleteObject'),
    grant('indexTable', 'dynamodb:BatchWriteItem', 'dynamodb:Query'),
    grant('bucket', 's3:ListBucket'),
  ],
  /** deleteRun */
  delete: [grant('runObjects', 's3:DeleteObject'), grant('indexTable', 'dynamodb:Query', 'dynamodb:BatchWriteItem'), grant('bucket', 's3:ListBucket')],
} as const satisfies Record<string, readonly Grant[]>;

/** What a written run holds, for its manifest entry and for verification. */
export interface WrittenRun {
  readonly count: number;
  readonly bytes: number;
  readonly setsum: Setsum;
  readonly blobs: number;
  readonly minKey?: Buffer;
  readonly maxKey?: Buffer;
  /** Seq bounds; 0 and 0 for an empty run. */
  readonly minSeq: number;
  readonly maxSeq: number;
}

export class ColdWriter {
  private readonly index: RunIndex;
  private readonly bucket: ColdBucket;

  /** Write units a second a range's writer asks of its index partition key. */
  private readonly indexKeyWriteUnits: number;

  constructor(index: RunIndex, bucket: ColdBucket, indexKeyWriteUnits = INDEX_KEY_WRITE_UNITS) {
    this.index = index;
    this.bucket = bucket;
    this.indexKeyWriteUnits = indexKeyWriteUnits;
  }

  /**
   * Writes one finished blob and its index items (invisible until committed): a range's under
   * the range's partition key (`pacer` keeps them to the key's share), a whole run's in its top level.
   */
  async putBlob(runId: string, blob: FinishedBlob, range?: number, pacer?: Pacer): Promise<void> {
    await this.bucket.putObject(blob.name, blob.bytes);
    await this.putIndexEntries(runId, blob.index, range, pacer);
  }

  /** A blob's index entries: a range's under the range's partition key, a whole run's in its top level. */
  async putIndexEntries(runId: string, entries: readonly IndexEntry[], range?: number, pacer?: Pacer): Promise<void> {
    const pk = range === undefined ? runPartition(runId) : runRangePartition(runId, range);
    const requests: WriteRequest[] = entries.map((e) => ({
      PutRequest: { Item: { [PK]: { S: pk }, [SK]: { B: e.firstKey }, [ENTRY]: { B: serializeIndexEntry(e) } } },
    }));
    await writeAll(this.index.ddb, this.index.table, requests, `index items of run ${runId}`, pacer && ((units) => pacer.take(units)));
  }

  /** What one key range of a run holds: a compaction of the run plans from it. */
  async putRangeSummary(runId: string, summary: RangeSummary): Promise<void> {
    const item = { [PK]: { S: rangesPartition(runId) }, [SK]: { B: rangeSummaryKey(summary.index) }, [SUMMARY]: { S: JSON.stringify(summary) } };
    await writeBatch(this.index.ddb, this.index.table, [{ PutRequest: { Item: item } }], `record range ${summary.index} of run ${runId}`);
  }

  /** The top level's pointer to a range's entries: from its first key, below `hi` (absent: unbounded). */
  async putPointer(runId: string, range: number, first: Buffer, hi?: Buffer): Promise<void> {
    const pointer = { [PK]: { S: runPartition(runId) }, [SK]: { B: first }, [POINTER]: { N: String(range) }, ...(hi ? { [POINTER_HI]: { B: hi } } : {}) };
    await writeBatch(this.index.ddb, this.index.table, [{ PutRequest: { Item: pointer } }], `point to range ${range} of run ${runId}`);
  }

  /**
   * Writes a whole run (or one key range of it, then its summary) from sorted records; names
   * are deterministic, so a re-run overwrites the same objects.
   */
  async writeRun(runId: string, entries: Source, opts: Partial<BlobWriterOptions> = {}, range?: RangeSpec): Promise<WrittenRun> {
    const w = new BlobWriter((i) => (range === undefined ? OBJECTS.blob(runId, i) : OBJECTS.rangeBlob(runId, range.index, i)), opts);
    const pacer = new Pacer(this.indexKeyWriteUnits);
    const names = new Set<string>();
    const firstKeys = new Set<string>();
    const stats = new RunStats();
    let bytes = 0;
    let blobs = 0;
    const done = async (b: FinishedBlob | undefined): Promise<void> => {
      if (!b) return;
      await this.putBlob(runId, b, range?.index, pacer);
      names.add(b.name);
      for (const e of b.index) firstKeys.add(e.firstKey.toString('base64'));
      stats.append(b.stats);
      bytes += b.bytes.length;
      blobs++;
    };
    for await (const batch of batchesOf(entries)) {
      for (const e of batch) {
        const b = w.add(e);
        if (b) await done(b);
      }
    }
    await done(w.finish());
    const { count, setsum, minKey, maxKey } = stats;
    if (range !== undefined) {
      await this.sweepRange(runId, range, names, firstKeys, minKey);
      await this.putRangeSummary(runId, { ...range, bytes, count });
    }
    return { count, bytes, setsum, blobs, ...(minKey ? { minKey } : {}), ...(maxKey ? { maxKey } : {}), ...stats.seqBounds };
  }

  /**
   * After a key range of a run is written: delete blobs and index items of that range that
   * this attempt did not write. A re-run writes the same names, so only what an earlier,
   * different attempt left (a corrupted write, other settings) goes; committed data, always
   * rewritten identically, is never touched.
   */
  private async sweepRange(
    runId: string,
    range: RangeSpec,
    names: ReadonlySet<string>,
    firstKeys: ReadonlySet<string>,
    first: Buffer | undefined,
  ): Promise<void> {
    const stale = (await this.bucket.list(OBJECTS.rangeBlobPrefix(runId, range.index))).filter((o) => !names.has(o.key));
    if (stale.length > 0) await this.bucket.deleteObjects(stale.map((o) => o.key));
    const own = this.index.partition(runId, { pk: runRangePartition(runId, range.index), consistent: true, keysOnly: true });
    await this.index.deleteItems(
      runId,
      filtered(own, (sk) => !firstKeys.has(sk.toString('base64'))),
    );
    // The pointer, once the entries it leads to are all there; then whatever else the top level
    // holds in the range: pointers or entries of an attempt with other splitters.
    const { lo, hi } = keyRangeOfSpec(range);
    if (first) await this.putPointer(runId, range.index, first, range.hi ? hi : undefined);
    const from = lo.length > 0 ? { cond: '#sk >= :k', key: lo } : {};
    const top = this.index.partition(runId, { ...from, consistent: true, keysOnly: true });
    await this.index.deleteItems(
      runId,
      filtered(
        top,
        (sk) => !(first && sk.equals(first)),
        (sk) => compareKeys(sk, hi) >= 0,
      ),
    );
  }

  /**
   * Deletes a run's blobs (with `allVersions`, every version of them), index items and range
   * summaries; idempotent. Range partitions are found from the pointers and the summaries;
   * the top level and the summaries go last, so an interrupted delete can be run again.
   */
  async deleteRun(runId: string, allVersions = false): Promise<void> {
    await this.bucket.deletePrefix(OBJECTS.runPrefix(runId), allVersions);
    for (const pk of await this.index.partitionsOf(runId)) await this.index.deleteItems(runId, this.index.partition(runId, { keysOnly: true, pk }));
  }
}

/** Items whose sort key passes `keep`, until one meets `stop`. */
async function* filtered(items: AsyncIterable<DdbItem>, keep: (sk: Buffer) => boolean, stop: (sk: Buffer) => boolean = () => false): AsyncGenerator<DdbItem> {
  for await (const it of items) {
    const sk = Buffer.from(it[SK]!.B!);
    if (stop(sk)) return;
    if (keep(sk)) yield it;
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
    minSeq: w.minSeq,
    maxSeq: w.maxSeq,
    ...(w.minKey ? { minKey: w.minKey.toString('base64') } : {}),
    ...(w.maxKey ? { maxKey: w.maxKey.toString('base64') } : {}),
    count: w.count,
    bytes: w.bytes,
    setsum: w.setsum.hexdigest(),
    blobs: w.blobs,
    createdAt: now.toISOString(),
  };
}

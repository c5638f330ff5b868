/**
 * The read path over all runs of a manifest (docs/design.md §7): which runs can hold a key or a
 * range, how their answers combine (newest seq wins; a tombstone or an expired record is
 * absent), with the I/O behind `RunReaders`.
 */
import type { Direction } from './blob-reader.ts';
import { coldGet, coldScan, type ColdRunIO } from './cold-run.ts';
import { compareKeys, partitionPrefix } from './keys.ts';
import type { Manifest, RunMeta } from './manifest.ts';
import { MergeIterator, type Source } from './merge.ts';
import { keyRangeOf, type KeyRange, type PartitionQuery } from './partition-query.ts';
import type { Entry } from './record.ts';

export interface HotRunIO {
  /** Consistent read of one key from a hot run's table. */
  get(run: RunMeta, key: Buffer): Promise<Entry | undefined>;
  /** The partition's records in the query's bounds and order. */
  query(run: RunMeta, q: PartitionQuery): AsyncIterable<Entry>;
}

export interface RunReaders {
  readonly hot: HotRunIO;
  readonly cold: ColdRunIO;
}

export interface ReadOptions {
  /** Records with seq below this are expired (retention). */
  readonly retentionCutoff?: number;
  /**
   * The reader's time (ms). A write lands in the table of its own time's period, so the
   * tables rotation made for later periods (rotateAhead) hold nothing yet: a read skips them
   * rather than pay a request for each (with 7 periods ahead, 8 reads of hot tables instead
   * of 1). Writers' clocks may run ahead of this one by up to CLOCK_TOLERANCE_MS.
   */
  readonly readAt?: number;
  /** Which hot tables received writes, as of when: a sealed table not among them holds nothing acknowledged. */
  readonly written?: WrittenTablesView;
}

export interface WrittenTablesView {
  /** Tables marked as written before their first write (store/written-tables.ts). */
  readonly tables: ReadonlySet<string>;
  /** The markers were listed after this (ms). */
  readonly knownAt: number;
  readonly sealGraceMs: number;
}

/** Whether a hot run's table can be skipped: sealed before the markers were listed, and not marked (no acknowledged write). */
function knownEmpty(r: RunMeta, w: WrittenTablesView | undefined): boolean {
  return w !== undefined && r.table !== undefined && !w.tables.has(r.table) && w.knownAt >= r.periodEnd + w.sealGraceMs + CLOCK_TOLERANCE_MS;
}

/** How far a writer's clock may run ahead of a reader's (Lambda hosts keep time by NTP, to milliseconds). */
export const CLOCK_TOLERANCE_MS = 1000;

function keyBounds(run: RunMeta): { min?: Buffer; max?: Buffer } {
  return {
    ...(run.minKey !== undefined ? { min: Buffer.from(run.minKey, 'base64') } : {}),
    ...(run.maxKey !== undefined ? { max: Buffer.from(run.maxKey, 'base64') } : {}),
  };
}

/** Runs that may hold records for the range, newest first; runs wholly expired are skipped. */
export function runsFor(m: Manifest, range: KeyRange, opts: ReadOptions = {}): RunMeta[] {
  const cutoff = opts.retentionCutoff ?? -Infinity;
  return m.runs.filter((r) => {
    if (r.maxSeq < cutoff) return false;
    if (r.tier === 'hot') return (opts.readAt === undefined || r.periodStart <= opts.readAt + CLOCK_TOLERANCE_MS) && !knownEmpty(r, opts.written);
    if (r.count === 0) return false;
    const { min, max } = keyBounds(r);
    return !(max && compareKeys(max, range.lo) < 0) && !(min && compareKeys(min, range.hi) >= 0);
  });
}

/** The single-key range [key, key+0x00). */
export function pointRange(key: Buffer): KeyRange {
  return { lo: key, hi: Buffer.concat([key, Buffer.of(0)]) };
}

/** Newest of the versions found, or undefined when none or when it is a tombstone or expired. */
export function newestVisible(found: readonly (Entry | undefined)[], opts: ReadOptions = {}): Entry | undefined {
  let best: Entry | undefined;
  for (const e of found) if (e && (!best || e.seq > best.seq)) best = e;
  if (!best || best.value === null || best.seq < (opts.retentionCutoff ?? -Infinity)) return undefined;
  return best;
}

/** A run a point read asked, and the version of the key it holds. */
export interface RunVersion {
  readonly run: RunMeta;
  readonly entry: Entry | undefined;
}

/** The key's version in every admitted run, read in parallel (a conditional write needs each hot table's). */
export async function pointVersions(m: Manifest, io: RunReaders, key: Buffer, opts: ReadOptions = {}): Promise<RunVersion[]> {
  const runs = runsFor(m, pointRange(key), opts);
  return mapBounded(runs, POINT_READ_CONCURRENCY, async (run) => ({
    run,
    entry: await (run.tier === 'hot' ? io.hot.get(run, key) : coldGet(io.cold, run.id, key)),
  }));
}

/** Runs a point read asks at once: with the lifecycle behind, a read may have a hundred sealed tables to visit. */
export const POINT_READ_CONCURRENCY = 16;

/** `fn` over `items`, at most `limit` at once, results in order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Point read: every admitted run in parallel; the newest version wins. */
export async function pointGet(m: Manifest, io: RunReaders, key: Buffer, opts: ReadOptions = {}): Promise<Entry | undefined> {
  return newestVisible(
    (await pointVersions(m, io, key, opts)).map((v) => v.entry),
    opts,
  );
}

/** Range query: one ordered source per admitted run, merged newest-wins, tombstones hidden. */
export function rangeQuery(m: Manifest, io: RunReaders, q: PartitionQuery, opts: ReadOptions = {}): MergeIterator {
  const range = keyRangeOf(q);
  // An empty range (from at or after to) reads nothing.
  const runs = compareKeys(range.lo, range.hi) < 0 ? runsFor(m, range, opts) : [];
  const partition = partitionPrefix(q.pk);
  const sources: Source[] = runs.map((r) => (r.tier === 'hot' ? io.hot.query(r, q) : coldScan(io.cold, r.id, range, q.direction as Direction, { partition })));
  return new MergeIterator(sources, {
    direction: q.direction,
    dropTombstones: true,
    ...(opts.retentionCutoff !== undefined ? { retentionCutoff: opts.retentionCutoff } : {}),
  });
}

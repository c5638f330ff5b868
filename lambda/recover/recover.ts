/**
 * Recovery from the bucket alone (`alki recover`): the index table's manifest and every live
 * run's sparse index, rebuilt from what S3 holds. The newest readable manifest snapshot
 * (core/manifest-snapshot.ts; each commit writes one) names the runs; each cold run's blobs
 * are read back whole, their index entries made again as the writer made them
 * (core/index-entry-builder.ts), and their records checked against the run's count and
 * setsum, so a rebuilt run is a verified one. Objects of runs the snapshot does not name
 * (never committed, or already collected) are ignored. Hot tables that still exist are
 * registered again, found by name too, and marked written, so nothing written since the last
 * offload is lost. The manifest is written last, and only when every run was rebuilt: a
 * report names the runs that could not be, and a re-run, once their objects are restored,
 * starts again (the index items it writes are the same).
 */
import { readFooter, scanBlocks } from '../core/blob-reader.ts';
import { AlkiError } from '../core/errors.ts';
import { IndexEntryBuilder } from '../core/index-entry-builder.ts';
import { INDEX_KEY_WRITE_UNITS } from '../core/fan-out.ts';
import { decodeSnapshot, type ManifestSnapshot } from '../core/manifest-snapshot.ts';
import { compareRunsNewestFirst, type Manifest, type RunMeta } from '../core/manifest.ts';
import { FORMAT_DEFAULTS } from '../core/limits.ts';
import { importRunId, OBJECTS, periodOfHotTable } from '../core/schema.ts';
import { RunStats, type StatsPart } from '../core/run-stats.ts';
import { mapBounded } from '../core/read-path.ts';
import type { IndexEntry } from '../core/sparse-index.ts';
import { batchesOf } from '../core/source.ts';
import { Pacer } from '../core/token-bucket.ts';
import { hotRunMeta } from '../rotate/rotate.ts';
import type { ColdBucket } from '../store/cold-bucket.ts';
import type { ColdWriter } from '../store/cold-writer.ts';
import type { TableState } from '../store/hot-table-admin.ts';
import type { ManifestStore } from '../store/manifest-store.ts';

export interface RecoverDeps {
  readonly bucket: ColdBucket;
  readonly coldWriter: ColdWriter;
  /** The index table's manifest: must hold none (a new table, or one emptied). */
  readonly manifests: ManifestStore;
  /** The store's hot tables that exist now, by name, and a table's state (undefined: gone). */
  readonly hotTables: () => Promise<string[]>;
  readonly describe: (table: string) => Promise<TableState | undefined>;
  /** Marks a hot table written (reads skip sealed tables that are not). */
  readonly markWritten: (table: string) => Promise<void>;
  readonly prefix: string;
  /** Blobs read at once. */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

export interface RebuiltRun {
  readonly id: string;
  readonly blobs: number;
  readonly records: number;
  readonly bytes: number;
  readonly entries: number;
}

export interface RecoveryReport {
  /** The snapshot recovered from: its name, version and when it was committed. */
  readonly snapshot: { readonly name: string; readonly version: number; readonly committedAt: string };
  /** Newer snapshots that could not be read, and why. */
  readonly skippedSnapshots: readonly { readonly name: string; readonly reason: string }[];
  readonly rebuilt: readonly RebuiltRun[];
  /** Runs that could not be rebuilt (objects missing or corrupt), and why: nothing was committed. */
  readonly failed: readonly { readonly id: string; readonly reason: string }[];
  /** Hot tables kept from the snapshot, registered again from their names, and named by the snapshot but gone. */
  readonly hotTables: { readonly kept: readonly string[]; readonly registered: readonly string[]; readonly missing: readonly string[] };
  /** The manifest version written (absent when a run failed). */
  readonly manifestVersion?: number;
}

export class RecoveryError extends AlkiError {
  constructor(message: string) {
    super('RecoveryFailed', message);
  }
}

export async function recover(d: RecoverDeps): Promise<RecoveryReport> {
  const log = d.log ?? (() => undefined);
  const existing = await d.manifests.read();
  if (existing.version > 0)
    throw new RecoveryError(`the index table already holds a manifest (version ${existing.version}): recover into a new table, or an emptied one`);
  const { snapshot, name, skipped } = await newestSnapshot(d.bucket);
  log(`snapshot ${name}: version ${snapshot.version}, committed ${snapshot.committedAt}, ${snapshot.runs.length} runs`);

  const rebuilt: RebuiltRun[] = [];
  const failed: { id: string; reason: string }[] = [];
  for (const run of snapshot.runs.filter((r) => r.tier === 'cold')) {
    try {
      const r = await rebuildRun(d, run);
      rebuilt.push(r);
      log(`run ${run.id}: ${r.blobs} blobs, ${r.records} records, ${r.entries} index entries`);
    } catch (err) {
      failed.push({ id: run.id, reason: (err as Error).message });
      log(`run ${run.id}: cannot be rebuilt: ${(err as Error).message}`);
    }
  }

  const hot = await hotRunsOf(d, snapshot);
  const report = {
    snapshot: { name, version: snapshot.version, committedAt: snapshot.committedAt },
    skippedSnapshots: skipped,
    rebuilt,
    failed,
    hotTables: hot.report,
  };
  if (failed.length > 0) return report;
  for (const r of hot.runs) await d.markWritten(r.table!);
  const manifest: Manifest = {
    version: snapshot.version + 1,
    runs: [...snapshot.runs.filter((r) => r.tier === 'cold'), ...hot.runs].sort(compareRunsNewestFirst),
    ...(snapshot.garbage ? { garbage: snapshot.garbage } : {}),
    ...(snapshot.spent ? { spent: snapshot.spent } : {}),
  };
  await d.manifests.restore(manifest);
  log(`manifest version ${manifest.version} written: ${manifest.runs.length} runs`);
  return { ...report, manifestVersion: manifest.version };
}

/** The newest snapshot that reads as one; the newer ones that do not, with why. */
async function newestSnapshot(bucket: ColdBucket): Promise<{ snapshot: ManifestSnapshot; name: string; skipped: { name: string; reason: string }[] }> {
  const skipped: { name: string; reason: string }[] = [];
  // Names count down: the listing starts at the newest.
  for (const o of await bucket.list(OBJECTS.manifestsRoot)) {
    try {
      return { snapshot: decodeSnapshot(o.key, await bucket.reader(o.key).read(0, o.size)), name: o.key, skipped };
    } catch (err) {
      skipped.push({ name: o.key, reason: (err as Error).message });
    }
  }
  throw new RecoveryError(
    `no readable manifest snapshot under ${OBJECTS.manifestsRoot} in bucket ${bucket.name}${skipped.length > 0 ? ` (${skipped.length} unreadable)` : ''}: a store's first snapshot is written by its first commit`,
  );
}

/**
 * Reads every blob of a run, rebuilds its index entries and writes them (a run written by key
 * range keeps its layout: entries per range, a pointer and a summary per range), and checks
 * blob count, record count and setsum against the run's manifest entry.
 */
async function rebuildRun(d: RecoverDeps, run: RunMeta): Promise<RebuiltRun> {
  const objects = (await d.bucket.list(OBJECTS.runPrefix(run.id))).filter((o) => o.key.endsWith('.blob'));
  if (run.blobs !== undefined && objects.length !== run.blobs) {
    throw new RecoveryError(`${objects.length} of its ${run.blobs} blobs are in the bucket`);
  }
  // Blob names sort in key order; a range's start with its 4-digit index and a dash.
  const rangeOf = (key: string): number | undefined => {
    const m = /^(\d{4})-\d{6}\.blob$/.exec(key.slice(OBJECTS.runPrefix(run.id).length));
    return m ? Number(m[1]) : undefined;
  };
  // Each blob's entries are written as soon as it is read, so memory stays at a few blobs
  // whatever the run's size; they are invisible until a manifest names the run, and a re-run
  // writes the same items. Each range's writes are paced to its partition key's share.
  const pacers = new Map<number | undefined, Pacer>();
  const pacerOf = (range: number | undefined): Pacer => pacers.get(range) ?? pacers.set(range, new Pacer(INDEX_KEY_WRITE_UNITS)).get(range)!;
  const results = await mapBounded(objects, d.concurrency ?? 4, async (o): Promise<BlobIndex> => {
    const range = rangeOf(o.key);
    const b = await indexBlob(d.bucket, o.key, o.size);
    await d.coldWriter.putIndexEntries(run.id, b.entries, range, pacerOf(range));
    return { range, firstKey: b.firstKey, bytes: o.size, stats: b.stats, entries: b.entries.length };
  });

  const stats = new RunStats();
  for (const r of results) stats.append(r.stats);
  const { count: records, setsum } = stats;
  if (records !== run.count) throw new RecoveryError(`its blobs hold ${records} records, its manifest entry ${run.count}`);
  if (setsum.hexdigest() !== run.setsum) throw new RecoveryError(`its blobs' setsum ${setsum.hexdigest()} is not its manifest entry's ${run.setsum}`);

  // Only for a run that adds up: each range's pointer and summary (a run written whole has neither).
  const ranges = new Map<number, BlobIndex[]>();
  for (const r of results) if (r.range !== undefined) (ranges.get(r.range) ?? ranges.set(r.range, []).get(r.range)!).push(r);
  const order = [...ranges.entries()];
  for (const [k, [range, blobs]] of order.entries()) {
    const first = blobs[0]!.firstKey;
    const nextFirst = order[k + 1]?.[1][0]!.firstKey;
    await d.coldWriter.putPointer(run.id, range, first, nextFirst);
    await d.coldWriter.putRangeSummary(run.id, {
      index: range,
      lo: first.toString('base64'),
      ...(nextFirst ? { hi: nextFirst.toString('base64') } : {}),
      bytes: blobs.reduce((n, b) => n + b.bytes, 0),
      count: blobs.reduce((n, b) => n + b.stats.count, 0),
    });
  }
  return { id: run.id, blobs: objects.length, records, bytes: results.reduce((n, r) => n + r.bytes, 0), entries: results.reduce((n, r) => n + r.entries, 0) };
}

/** What a run's blob contributes once its entries are written: nothing that keeps a decoded block alive. */
interface BlobIndex {
  readonly range: number | undefined;
  readonly firstKey: Buffer;
  readonly bytes: number;
  readonly stats: StatsPart;
  readonly entries: number;
}

/** One blob read back: its index entries as its writer made them, its records counted and summed, checked against its footer. */
async function indexBlob(bucket: ColdBucket, key: string, size: number): Promise<{ firstKey: Buffer; stats: StatsPart; entries: IndexEntry[] }> {
  const src = bucket.source(key, size);
  const footer = await readFooter(src);
  const builder = new IndexEntryBuilder(FORMAT_DEFAULTS);
  const stats = new RunStats();
  let block = 0;
  // Every block holds records, so the scan's batches are the footer's blocks, in order.
  for await (const batch of batchesOf(scanBlocks(src, footer.blocks))) {
    for (const e of batch) {
      builder.addKey(e.key);
      stats.add(e);
    }
    builder.addBlock(footer.blocks[block++]!, key);
  }
  if (stats.count !== footer.count || !stats.setsum.equals(footer.setsum)) throw new RecoveryError(`${key}: its records do not match its footer`);
  // Copies and plain numbers: the footer's key and the stats' keys are views of buffers read.
  const { count, setsum, minSeq, maxSeq } = stats;
  return { firstKey: Buffer.from(footer.firstKey), stats: { count, setsum, minSeq, maxSeq }, entries: builder.finishBlob(key) };
}

/**
 * The hot runs to register: the snapshot's whose tables exist (with the table's own shards),
 * and tables found by name that the snapshot does not name, whose period no cold run holds and
 * no commit released (a rotation committed after the snapshot).
 */
async function hotRunsOf(d: RecoverDeps, snapshot: ManifestSnapshot): Promise<{ runs: RunMeta[]; report: RecoveryReport['hotTables'] }> {
  const runs: RunMeta[] = [];
  const kept: string[] = [];
  const missing: string[] = [];
  const registered: string[] = [];
  for (const r of snapshot.runs.filter((x) => x.tier === 'hot')) {
    const state = await d.describe(r.table!);
    if (!state) {
      missing.push(r.table!);
      continue;
    }
    const { shards: _named, ...rest } = r;
    runs.push(state.shards > 1 ? { ...rest, shards: state.shards } : rest);
    kept.push(r.table!);
  }
  const named = new Set([...snapshot.runs.map((r) => r.table), ...(snapshot.garbage ?? []).filter((g) => g.kind === 'table').map((g) => g.target)]);
  const cold = snapshot.runs.filter((r) => r.tier === 'cold');
  for (const table of (await d.hotTables()).sort()) {
    const period = periodOfHotTable(d.prefix, table);
    if (!period || named.has(table)) continue;
    // Already offloaded (an import's run holds no period's writes).
    if (cold.some((r) => !r.id.startsWith(importRunId('')) && r.periodStart <= period.start && period.start + period.periodMs <= r.periodEnd)) continue;
    const state = await d.describe(table);
    if (!state) continue;
    runs.push(hotRunMeta({ prefix: d.prefix, periodMs: period.periodMs, hotShards: state.shards }, period.start));
    registered.push(table);
  }
  return { runs, report: { kept, registered, missing } };
}

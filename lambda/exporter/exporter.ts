/**
 * The export state machine's tasks: plan key ranges over the checkpoint's runs, write each
 * range as sorted gzip NDJSON objects (every live record once: no tombstone, no shadowed
 * or expired version), read each range's objects back, and add up: the ranges' inputs must
 * be the runs' records (count and setsum against the manifest), and what was read back must
 * be the inputs less what the merges left out. Only then is the export marked succeeded.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { coldScan } from '../core/cold-run.ts';
import { ValidationError } from '../core/errors.ts';
import {
  exportLine,
  exportObjectRawBytes,
  parseExportLine,
  type ExportObject,
  type ExportRangeRecord,
  type ExportStatus,
  type ExportVerifyRecord,
} from '../core/export-format.ts';
import type { ExportJob, JobRanges } from '../core/jobs.ts';
import { sumTallies, totalOf } from '../core/tally.ts';
import { compareKeys } from '../core/keys.ts';
import { keyRangeOfSpec, rangesFrom, type RangeSpec } from '../core/key-ranges.ts';
import type { Manifest, RunMeta } from '../core/manifest.ts';
import { MergeIterator } from '../core/merge.ts';
import { inRange } from '../core/partition-query.ts';
import type { Entry } from '../core/record.ts';
import { EXECUTION_TIMEOUT_SECONDS } from '../core/limits.ts';
import { OBJECTS, offloadRunId } from '../core/schema.ts';
import { maxCheckpointTtlMs, retentionCutoff } from '../core/settings.ts';
import { Setsum } from '../core/setsum.ts';
import { splittersOverRuns } from '../run-ranges.ts';
import type { Stores } from '../store/stores.ts';
import type { ExportRef, TaskDone } from '../task-contract.ts';

async function statusOf(s: Stores, exportId: string): Promise<ExportStatus> {
  const status = await s.exports.get(exportId);
  if (!status) throw new ValidationError('InvalidExport', `no export ${exportId}`);
  return status;
}

/** The cold run holding a hot run's records once it is offloaded; undefined while it is not. */
function offloaded(m: Manifest, r: RunMeta, periodMs: number): RunMeta | undefined {
  if (r.tier === 'cold') return r;
  const released = (m.garbage ?? []).find((g) => g.kind === 'table' && g.target === r.table);
  return released?.replacedBy ?? m.runs.find((x) => x.id === offloadRunId(r.periodStart, periodMs));
}

/**
 * The job: the checkpoint's runs and key ranges between the export's bounds. A checkpoint
 * naming a hot table not offloaded yet is not ready (a table is not read in key order):
 * the machine waits and asks again.
 */
export async function prepareExport(s: Stores, exportId: string, nowMs: number): Promise<{ ready: false } | ({ ready: true } & ExportRef)> {
  const status = await statusOf(s, exportId);
  const existing = await s.jobs.get<ExportJob>(exportId);
  let job: ExportJob;
  if (existing) {
    job = existing;
  } else {
    const c = await s.checkpoints.live(status.checkpoint, nowMs);
    // The checkpoint keeps the export's runs from GC: it lives at least as long as the export may run.
    // Never past what a purge deadline allows a checkpoint: the deadline wins over an export.
    const until = nowMs + Math.min(EXECUTION_TIMEOUT_SECONDS.export * 1000, maxCheckpointTtlMs(s.settings, Infinity));
    if (c.expiresAt < until) await s.checkpoints.replace({ ...c, expiresAt: until });
    const m = await s.manifests.read();
    const runs = c.runs.map((r) => offloaded(m, r, s.settings.periodMs));
    if (runs.some((r) => r === undefined)) return { ready: false };
    const cold = runs as RunMeta[];
    const lo = status.from === undefined ? undefined : Buffer.from(status.from, 'base64');
    const hi = status.to === undefined ? undefined : Buffer.from(status.to, 'base64');
    job = await s.jobs.getOrCreate<Omit<ExportJob, keyof JobRanges>>(exportId, async () => {
      const splitters = await splittersOverRuns(s, cold, s.settings.rangeBytes, { ...(lo ? { lo } : {}), ...(hi ? { hi } : {}) });
      const ranges = rangesFrom(splitters).map((r, i, all): RangeSpec => ({
        ...r,
        ...(i === 0 && lo ? { lo: lo.toString('base64') } : {}),
        ...(i === all.length - 1 && hi ? { hi: hi.toString('base64') } : {}),
      }));
      const cutoff = retentionCutoff(s.settings, c.asOf);
      return {
        spec: {
          exportId,
          runs: cold.map((r) => r.id),
          inputTotal: totalOf(cold),
          ...(cutoff !== undefined ? { retentionCutoff: cutoff } : {}),
        },
        ranges,
      };
    });
  }
  const maps = await s.maps.write(exportId, { ranges: job.rangeCount });
  return { ready: true, runId: exportId, ranges: job.rangeCount, maps };
}

/** Merges one key range of the runs and writes its live records as objects of bounded size. */
export async function writeExportRange(s: Stores, exportId: string, range: number): Promise<TaskDone> {
  const job = await s.jobs.spec<ExportJob>(exportId);
  const spec = await s.jobs.range(exportId, job, range);
  const kr = keyRangeOfSpec(spec);
  const merge = new MergeIterator(
    job.runs.map((id) => coldScan(s.coldReader, id, kr, 'asc')),
    { dropTombstones: true, trackSetsums: true, ...(job.retentionCutoff !== undefined ? { retentionCutoff: job.retentionCutoff } : {}) },
  );
  const limit = exportObjectRawBytes(s.settings.rangeBytes);
  const objects: ExportObject[] = [];
  let lines: string[] = [];
  let raw = 0;
  let first: Entry | undefined;
  let last: Entry | undefined;
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return;
    const key = OBJECTS.exportObject(exportId, range, objects.length);
    const body = gzipSync(`${lines.join('\n')}\n`);
    await s.exportObjects.put(key, body);
    objects.push({ key, records: lines.length, bytes: body.length, firstKey: first!.key.toString('base64'), lastKey: last!.key.toString('base64') });
    lines = [];
    raw = 0;
    first = undefined;
  };
  for await (const batch of merge.batches()) {
    for (const e of batch) {
      const line = exportLine(e);
      if (raw > 0 && raw + line.length + 1 > limit) await flush();
      first ??= e;
      last = e;
      lines.push(line);
      raw += line.length + 1;
    }
  }
  await flush();
  const stats = merge.stats;
  const record: ExportRangeRecord = {
    input: { count: stats.input.count, setsum: stats.input.setsum.hexdigest() },
    dropped: { count: stats.dropped.count, setsum: stats.dropped.setsum.hexdigest() },
    objects,
  };
  await s.jobs.putRecord(exportId, 'export', range, record);
  return { index: range, count: stats.output.count };
}

/** Reads one range's objects back: lines parse, keys strictly increase and stay in the range; their count and setsum. */
export async function verifyExportRange(s: Stores, exportId: string, range: number): Promise<TaskDone> {
  const job = await s.jobs.spec<ExportJob>(exportId);
  const spec = await s.jobs.range(exportId, job, range);
  const kr = keyRangeOfSpec(spec);
  const written = (await s.jobs.records(exportId, 'export')).get(range);
  const problems: string[] = [];
  const setsum = new Setsum();
  let count = 0;
  let prev: Buffer | undefined;
  if (!written) problems.push(`range ${range} was never written`);
  for (const o of written?.objects ?? []) {
    try {
      const text = gunzipSync(await s.exportObjects.read(o.key, o.bytes)).toString('utf8');
      const lines = text.split('\n');
      if (lines.pop() !== '') throw new Error('the last line has no newline');
      if (lines.length !== o.records) problems.push(`${o.key}: ${lines.length} lines, its manifest says ${o.records}`);
      for (const line of lines) {
        const e = parseExportLine(line, o.key);
        if (prev && compareKeys(prev, e.key) >= 0) throw new Error('keys out of order');
        if (!inRange(e.key, kr)) throw new Error(`a key outside range ${range}`);
        prev = e.key;
        setsum.insertEntry(e);
        count++;
      }
    } catch (err) {
      problems.push(`${o.key}: ${(err as Error).message}`);
    }
  }
  const record: ExportVerifyRecord = { count, setsum: setsum.hexdigest(), problems };
  await s.jobs.putRecord(exportId, 'exportVerify', range, record);
  return { index: range, count };
}

/** Adds the ranges up; writes the manifest and marks the export succeeded, or failed with what is wrong. */
export async function finishExport(s: Stores, exportId: string, nowMs: number): Promise<{ state: ExportStatus['state'] }> {
  const status = await statusOf(s, exportId);
  if (status.state !== 'running') return { state: status.state };
  const job = await s.jobs.spec<ExportJob>(exportId);
  const written = await s.jobs.allRecords(exportId, 'export', job.rangeCount);
  const read = await s.jobs.allRecords(exportId, 'exportVerify', job.rangeCount);
  const problems = read.flatMap((r) => r.problems);
  const input = sumTallies(written.map((w) => w.input));
  const dropped = sumTallies(written.map((w) => w.dropped));
  const back = sumTallies(read);
  // Bounded exports read part of each run: the inputs are checked against the runs only when whole.
  const whole = status.from === undefined && status.to === undefined;
  if (whole && (input.count !== job.inputTotal.count || !input.setsum.equals(Setsum.fromHex(job.inputTotal.setsum)))) {
    problems.push(`the ranges read ${input.count} versions and another setsum than the runs hold (${job.inputTotal.count})`);
  }
  const expected = input.setsum.clone().subtract(dropped.setsum);
  if (back.count !== input.count - dropped.count || !back.setsum.equals(expected)) {
    problems.push(`the objects hold ${back.count} records, the merges wrote ${input.count - dropped.count} (or another setsum)`);
  }
  const at = new Date(nowMs).toISOString();
  if (problems.length > 0) {
    await s.exports.put({ ...status, state: 'failed', updatedAt: at, cause: `verification failed: ${problems.slice(0, 5).join('; ')}` });
    return { state: 'failed' };
  }
  const objects = written.flatMap((w) => w.objects);
  await s.exportObjects.putManifest(exportId, objects);
  await s.exports.put({
    ...status,
    state: 'succeeded',
    updatedAt: at,
    records: back.count,
    bytes: objects.reduce((a, o) => a + o.bytes, 0),
    objects: objects.length,
  });
  await s.jobs.delete(exportId);
  await s.bucket.deletePrefix(`${OBJECTS.spillPrefix(exportId)}/`);
  return { state: 'succeeded' };
}

/** The execution failed (a Catch): the export says so, with the error. */
export async function failExport(s: Stores, exportId: string, error: { Error?: string; Cause?: string }, nowMs: number): Promise<{ state: 'failed' }> {
  const status = await statusOf(s, exportId);
  if (status.state === 'running')
    await s.exports.put({
      ...status,
      state: 'failed',
      updatedAt: new Date(nowMs).toISOString(),
      cause: `${error.Error ?? 'Error'}: ${error.Cause ?? ''}`.slice(0, 1000),
    });
  return { state: 'failed' };
}

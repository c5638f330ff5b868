/**
 * Lifecycle benchmarks on the embedded system, the real ASL executed by the local runner on
 * a manual clock: offload records/s as a ratio to a raw parallel scan of the same table;
 * compaction input MB/s; bytes in S3 and in the index per logical byte; and write
 * amplification of a long simulated history.
 */
import { BatchWriteItemCommand, DeleteTableCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { scanBlob } from '../../lambda/core/blob-reader.ts';
import { OBJECTS } from '../../lambda/core/schema.ts';
import { batchesOf } from '../../lambda/core/source.ts';
import { recoverStore } from '../../lambda/recover/from-env.ts';
import { DEFAULT_POLICY_OPTIONS } from '../../lambda/core/compaction.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { DEFAULT_SETTINGS, type StoreSettings } from '../../lambda/core/settings.ts';
import { hotTableOf, toHotItem, type HotTable } from '../../lambda/store/hot-tables.ts';
import { itemBytes } from '../../lambda/store/item-size.ts';
import { RunIndex } from '../../lambda/store/run-index.ts';
import type { ExecutionRecord } from '../../local/step-functions.ts';
import { startLocal, type LocalSystem } from '../../local/system.ts';
import { pool, type Figure } from '../harness.ts';
import { simulate } from '../simulator.ts';
import { bufferSource, uploadAndCommit } from '../../bin/import-files.ts';
import { AlkiClient } from '../../client/index.ts';
import { auditRecords } from './engine.ts';

const N = 100_000;
const SEGMENTS = 4;

async function load(sys: LocalSystem, { table, shards }: HotTable, entries: readonly Entry[]): Promise<void> {
  const chunks = Array.from({ length: Math.ceil(entries.length / 25) }, (_, i) => entries.slice(i * 25, (i + 1) * 25));
  await pool(chunks, 8, async (c) => {
    let req: Record<string, { PutRequest: { Item: Record<string, AttributeValue> } }[]> | undefined = {
      [table]: c.map((e) => ({ PutRequest: { Item: toHotItem(e, shards) } })),
    };
    while (req && Object.keys(req).length > 0) {
      const out = await sys.store.ddb.send(new BatchWriteItemCommand({ RequestItems: req }));
      req = out.UnprocessedItems as typeof req;
    }
  });
}

/** The baseline: a raw parallel Scan of the table, counting items, as fast as the SDK goes. */
async function rawScan(sys: LocalSystem, table: string): Promise<number> {
  let n = 0;
  await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await sys.store.ddb.send(
          new ScanCommand({ TableName: table, Segment: segment, TotalSegments: SEGMENTS, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        n += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
    }),
  );
  return n;
}

/**
 * The execution named `name`, once it has ended: a job's record says it succeeded from within
 * its last task, before the runner has recorded that task's exit.
 */
async function ended(sys: LocalSystem, name: string): Promise<ExecutionRecord> {
  for (;;) {
    const exec = sys.stepFunctions.executions().find((e) => e.name === name);
    if (exec && exec.status !== 'RUNNING') return exec;
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** Seconds from a state's first entry to another state's last exit, from the execution's events. */
function span(r: ExecutionRecord, from: string, to: string): number {
  const t = (type: string, state: string) => r.events.filter((e) => e.type === type && e.state === state).map((e) => Date.parse(e.timestamp));
  const a = Math.min(...t('StateEntered', from));
  const b = Math.max(...t('StateExited', to));
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`execution ${r.name} has no ${from}..${to}`);
  return (b - a) / 1000;
}

/** Seconds from the first entry of `from` to the first exit of `to` after it (the first of several loops). */
function firstSpan(r: ExecutionRecord, from: string, to: string): number {
  const a = r.events.find((e) => e.type === 'StateEntered' && e.state === from);
  const b = a && r.events.find((e) => e.type === 'StateExited' && e.state === to && Date.parse(e.timestamp) >= Date.parse(a.timestamp));
  if (!a || !b) throw new Error(`execution ${r.name} has no ${from}..${to}`);
  return (Date.parse(b.timestamp) - Date.parse(a.timestamp)) / 1000;
}

/**
 * A rewrite (what the sparse-rewrite and purge strategies run) of a run most of whose records a
 * newer run deletes, against the compaction that made that run, in one store: both read about
 * as much; the rewrite writes less and decides what is shadowed from the newer run.
 */
/** The embedded system on a clock that moves a period at each lifecycle run, and the table taking writes now. */
async function benchStore(
  settings: StoreSettings,
): Promise<{ sys: LocalSystem; hotTable(): Promise<HotTable & { start: number }>; runLifecycle(): Promise<ExecutionRecord> }> {
  let now = Date.UTC(2026, 10, 23, 0, 0, 30);
  const sys = await startLocal({ dataDir: undefined, port: 0, settings, schedule: false, retryIntervalMs: 0, clock: () => now });
  return {
    sys,
    async hotTable() {
      const r = (await sys.dataPlane.manifests.read()).runs.find((x) => x.tier === 'hot' && x.periodStart <= now && now < x.periodEnd)!;
      return { ...hotTableOf(r), start: r.periodStart };
    },
    runLifecycle() {
      now += settings.periodMs;
      return sys.runLifecycle();
    },
  };
}

async function rewriteFigures(settings: StoreSettings, fig: (name: string, value: number, unit: string, baseline?: string) => void): Promise<void> {
  const { sys, hotTable: table, runLifecycle: next } = await benchStore({ ...settings, prefix: 'benchrw', maxLevel: 1, compaction: 'multi' });
  try {
    const a = await table();
    const first = auditRecords(N, 31, a.start * 1000);
    await load(sys, a, first);
    await next();
    const b = await table();
    const second = auditRecords(N, 32, b.start * 1000);
    await load(sys, b, second);
    // The two level-0 runs merge into one level-1 run (maxLevel 1: never merged again).
    const compactSeconds = firstSpan(await next(), 'PlanCompaction', 'CommitCompaction');
    const c = await table();
    const doomed = [...first, ...second].filter((_, i) => i % 10 < 7).map((e, i) => ({ key: e.key, seq: c.start * 1000 + i, value: null }));
    await load(sys, c, doomed);
    const r = await next();
    if (!(await sys.dataPlane.manifests.read()).runs.some((x) => x.madeBy === 'rewrite')) throw new Error('no rewrite ran');
    const rewriteSeconds = firstSpan(r, 'PlanCompaction', 'CommitCompaction');
    fig('rewrite of a run 70% deleted by a newer run (reads both, writes the rest)', (2 * N) / rewriteSeconds, 'input records/s');
    fig('rewrite input records/s / compaction input records/s', compactSeconds / rewriteSeconds, 'ratio', 'the compaction that made the run, same store');
  } finally {
    await sys.stop();
  }
}

async function indexBytes(sys: LocalSystem, runId: string): Promise<number> {
  let bytes = 0;
  // DynamoDB bills an item as its attribute names plus values.
  for await (const it of new RunIndex(sys.store.ddb, sys.store.indexTable).items(runId)) bytes += itemBytes(it);
  return bytes;
}

/** Seconds the export state machine takes (Prepare entered to Finish exited) for the whole store, at a checkpoint of now. */
async function exportOnce(sys: LocalSystem): Promise<number> {
  const res = await fetch(`${sys.url}/v1/exports`, { method: 'POST', body: JSON.stringify({ format: 'ndjson' }) });
  if (res.status !== 202) throw new Error(`export: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const r = (await (await fetch(`${sys.url}/v1/exports/${id}`)).json()) as { state: string; cause?: string };
    if (r.state === 'failed') throw new Error(`export failed: ${r.cause}`);
    if (r.state === 'succeeded') break;
    await new Promise((done) => setTimeout(done, 100));
  }
  return span(await ended(sys, id), 'Prepare', 'Finish');
}

/** Seconds the import state machine takes (Prepare entered to Finish exited) for this NDJSON. */
async function importOnce(sys: LocalSystem, text: Buffer): Promise<number> {
  const client = new AlkiClient({ url: sys.url });
  const id = await uploadAndCommit(client, [bufferSource('bench.ndjson', text)]);
  const s = await client.waitForImport(id, { pollMs: 100 });
  if (s.state !== 'succeeded') throw new Error(`import failed: ${s.cause}`);
  return span(await ended(sys, `${id}-1`), 'Prepare', 'Finish');
}

/** Every record of every cold run read back from S3, one blob at a time: what recovery reads, without what it does with it. */
async function readRuns(sys: LocalSystem): Promise<number> {
  let n = 0;
  for (const r of (await sys.manifests.read()).runs.filter((x) => x.tier === 'cold')) {
    for (const o of await sys.cold.bucket.list(OBJECTS.runPrefix(r.id))) {
      for await (const batch of batchesOf(scanBlob(sys.cold.bucket.source(o.key, o.size)))) n += batch.length;
    }
  }
  return n;
}

async function recoveryFigures(sys: LocalSystem, fig: (name: string, value: number, unit: string, baseline?: string) => void): Promise<void> {
  const t0 = performance.now();
  const read = await readRuns(sys);
  const readSeconds = (performance.now() - t0) / 1000;
  await sys.store.ddb.send(new DeleteTableCommand({ TableName: sys.store.indexTable }));
  const t1 = performance.now();
  const report = await recoverStore(sys.env, { createTable: true, concurrency: 1 });
  const recoverSeconds = (performance.now() - t1) / 1000;
  const records = report.rebuilt.reduce((n, r) => n + r.records, 0);
  if (report.failed.length > 0 || records !== read) throw new Error(`recovery rebuilt ${records} of ${read} records: ${JSON.stringify(report.failed)}`);
  fig('recovery from the bucket (read back, verify, rebuild the index), one worker', records / recoverSeconds, 'records/s');
  fig('recovery records/s / reading the same runs, one worker', readSeconds / recoverSeconds, 'ratio', 'every blob of the same runs scanned, one at a time');
}

export async function lifecycleSuite(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const fig = (name: string, value: number, unit: string, baseline?: string): void => {
    figures.push({ suite: 'lifecycle', name, value, unit, ...(baseline ? { baseline } : {}) });
  };
  const settings: StoreSettings = {
    ...DEFAULT_SETTINGS,
    prefix: 'bench',
    periodMs: 60_000,
    sealGraceMs: 1000,
    gcGraceMs: 1000,
    rangeBytes: 8 << 20,
    spillBytes: 16 << 20,
  };
  const { sys, hotTable, runLifecycle } = await benchStore(settings);
  try {
    // Period 1: N audit records, written straight into the period's table.
    const p1 = await hotTable();
    const first = auditRecords(N, 21, p1.start * 1000);
    const logical = first.reduce((s, e) => s + e.key.length + (e.value?.length ?? 0), 0);
    await load(sys, p1, first);
    const t0 = performance.now();
    const scanned = await rawScan(sys, p1.table);
    const scanSeconds = (performance.now() - t0) / 1000;
    if (scanned !== N) throw new Error(`raw scan saw ${scanned} of ${N}`);

    const r1 = await runLifecycle();
    const offloadSeconds = span(r1, 'Prepare', 'Commit');
    fig('offload (plan, scan, merge, verify with re-scan, commit)', N / offloadSeconds, 'records/s');
    fig('offload / raw parallel Scan of the same table', scanSeconds / offloadSeconds, 'ratio', `raw Scan, ${SEGMENTS} segments`);
    // Verification: each range read back, each segment re-scanned, the sum.
    fig('offload verification share of offload time', span(r1, 'VerifyRanges', 'Verify') / offloadSeconds, 'ratio');
    const run1 = (await sys.dataPlane.manifests.read()).runs.find((r) => r.tier === 'cold')!;
    fig('bytes in S3 per logical byte', run1.bytes / logical, 'ratio', 'key + value bytes written');
    fig('bytes in the index per logical byte', (await indexBytes(sys, run1.id)) / logical, 'ratio', 'key + value bytes written');

    // Period 2: half the keys overwritten, half new; its offload makes two level-0 runs, which compact.
    const p2 = await hotTable();
    const fresh = auditRecords(N / 2, 22, p2.start * 1000);
    const overwrites = first.filter((_, i) => i % 2 === 0).map((e, i) => ({ ...e, seq: p2.start * 1000 + N + i }));
    await load(sys, p2, [...fresh, ...overwrites]);
    const r2 = await runLifecycle();
    const m = await sys.dataPlane.manifests.read();
    const merged = m.runs.find((r) => r.tier === 'cold' && r.level === 1);
    if (!merged) throw new Error('no compaction ran');
    let run2Bytes = 0;
    for (let v = m.version; v > 0 && run2Bytes === 0; v--) {
      const h = await sys.dataPlane.manifests.history(v);
      if (h?.edit?.kind === 'offload') run2Bytes = h.edit.add[0]!.bytes;
    }
    const inputBytes = run1.bytes + run2Bytes;
    const compactSeconds = span(r2, 'PlanCompaction', 'CommitCompaction');
    const inputRecords = N + N;
    fig('compaction input', inputBytes / 2 ** 20 / compactSeconds, 'MB/s (stored)');
    fig('compaction input records', inputRecords / compactSeconds, 'records/s');
    fig('compaction records/s / offload records/s', inputRecords / compactSeconds / (N / offloadSeconds), 'ratio', 'offload in the same run');

    // An export of the compacted store (150,000 live records) through the export state machine.
    const exportSeconds = await exportOnce(sys);
    const live = N + N / 2;
    fig('export (plan, write sorted gzip NDJSON, read back, add up) of the compacted store', live / exportSeconds, 'records/s');
    fig('export records/s / compaction input records/s', live / exportSeconds / (inputRecords / compactSeconds), 'ratio', 'compaction in the same run');

    // Last, so it changes no figure above: the first period's records as an import: NDJSON uploaded in parts, then the import state machine.
    const text = Buffer.from(
      first
        .map((e) => {
          const [pk, sk] = e.key.toString('utf8').split('\u0000') as [string, string];
          return `{"pk":${JSON.stringify(pk)},"sk":${JSON.stringify(sk)},"value":${e.value!.toString()},"seq":${e.seq}}`;
        })
        .join('\n') + '\n',
    );
    const importSeconds = await importOnce(sys, text);
    fig('import (parse, spill, merge, verify, commit) of the same records', N / importSeconds, 'records/s');
    fig('import records/s / offload records/s', offloadSeconds / importSeconds, 'ratio', 'offload of the same records in the same run');

    await rewriteFigures(settings, fig);

    // Last of all: the index table lost and rebuilt from the bucket, one worker, against one worker reading the same runs' blobs.
    await recoveryFigures(sys, fig);

    const sim = simulate({ periods: 1095, fanout: DEFAULT_POLICY_OPTIONS.fanout, maxLevel: DEFAULT_POLICY_OPTIONS.maxLevel });
    fig('write amplification, 3 years of daily periods, fanout 2 (simulated)', sim.writeAmplification, 'x', 'bytes offloaded');
    fig('runs after 3 years of daily periods (simulated)', sim.runs, 'runs');
  } finally {
    await sys.stop();
  }
  return figures;
}

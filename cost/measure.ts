/**
 * What the cost report multiplies by prices, measured on the embedded system: a period of
 * audit records written one PUT at a time through the ingest function's own clients, point
 * reads while hot and after offload through the read function's, and the lifecycle that
 * offloads the period (its tasks timed, its state transitions and S3 requests counted).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DEFAULT_SETTINGS, type StoreSettings } from '../lambda/core/settings.ts';
import { RunIndex } from '../lambda/store/run-index.ts';
import { UNITS, unitOfPlaceholder } from '../lambda/units.ts';
import type { TaskHandler } from '../local/step-functions.ts';
import { startLocal } from '../local/system.ts';
import { pool } from '../bench/harness.ts';
import { rng } from '../bench/rng.ts';
import { itemBytes, readUnits, STORAGE_OVERHEAD_BYTES, writeUnits } from '../lambda/store/item-size.ts';
import { measureFrontEnd, stdoutBytes, type FrontEndMeasurement } from './front-end.ts';
import { observe } from './sdk-calls.ts';
import { throughputsFromBench, type Throughputs } from '../bench/scale-model.ts';

export interface Measurement {
  /** When and on what it was measured. */
  readonly measuredAt: string;
  readonly records: number;
  /** Key and value bytes of a record, on average (pk + sk + the value's JSON). */
  readonly recordBytes: number;
  /** The record as a DynamoDB item in a period's table, and what one PUT costs. */
  readonly hotItemBytes: number;
  readonly writeUnitsPerRecord: number;
  readonly readUnitsPerHotRead: number;
  readonly readUnitsPerColdRead: number;
  readonly s3GetsPerColdRead: number;
  /** Stored bytes per logical (key + value) byte. */
  readonly s3BytesPerLogicalByte: number;
  /** Index items, as DynamoDB bills their storage (100 bytes of overhead each), per logical byte. */
  readonly indexBytesPerLogicalByte: number;
  /** Write units of a run's index items per logical GB: what writing them costs, and deleting them (DynamoDB bills a delete by the item's size). */
  readonly indexWriteUnitsPerLogicalGb: number;
  /** The lifecycle execution that offloaded the period, per logical GB offloaded (Lambda GB-seconds as the embedded system spent them, emulators included: for comparison; the bill takes the scale model's). */
  readonly offloadPerLogicalGb: { readonly s3Puts: number; readonly s3Gets: number; readonly lambdaGbSeconds: number };
  /** State transitions of the execution (they grow with the period's fan-out, up to the planner's caps). */
  readonly transitionsPerExecution: number;
  /** What a write request costs in front of the tables (cost/front-end.ts). */
  readonly frontEnd: FrontEndMeasurement;
  /** Log bytes of the lifecycle: its functions' lines and metrics per task invocation (INFO), the state machine's (ALL, with data) per state entered. */
  readonly lifecycleLogs: { readonly bytesPerTask: number; readonly bytesPerTransition: number };
  /** The bench's throughputs the scale model times the lifecycle's tasks with, at the scenario's size (bench/results/latest.json). */
  readonly throughputs: Throughputs;
}

export interface MeasureOptions {
  readonly records?: number;
  /** Target bytes of key + value per record. */
  readonly recordBytes?: number;
  readonly reads?: number;
  readonly log?: (line: string) => void;
}

const DETAIL_WORDS = [
  'aws-cli/2.17.0',
  'Python/3.11.8',
  'Linux/6.1',
  'exe/x86_64',
  'Mozilla/5.0',
  'session',
  'mfa=true',
  'mfa=false',
  'region=us-east-1',
  'region=eu-west-1',
  'GetObject',
  'PutObject',
  'ListBucket',
  'AssumeRole',
  'console',
  'sdk',
  'status=200',
  'status=403',
  'tls=1.3',
];

/** An audit record of about `bytes` key and value bytes. */
function auditRecord(r: () => number, i: number, periodStart: number, bytes: number): { pk: string; sk: string; value: Record<string, unknown> } {
  const pk = `team-${String(Math.floor(r() * 500)).padStart(4, '0')}`;
  const sk = `${new Date(periodStart + Math.floor(r() * 60_000)).toISOString()}#${i.toString(36)}`;
  const value: Record<string, unknown> = {
    actor: `user-${Math.floor(r() * 5000)}@example.com`,
    action: ['login', 'logout', 'read', 'write', 'delete', 'grant'][Math.floor(r() * 6)],
    resource: `arn:aws:s3:::bucket-${Math.floor(r() * 100)}/path/${Math.floor(r() * 1e6)}`,
    ip: `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
    ok: r() > 0.05,
  };
  const used = pk.length + sk.length + JSON.stringify(value).length;
  // The rest as such records carry it: a request id, a user agent, an event's details.
  let detail = `req=${Math.floor(r() * 2 ** 48).toString(16)}`;
  while (detail.length < bytes - used - 12) detail += ` ${DETAIL_WORDS[Math.floor(r() * DETAIL_WORDS.length)]}`;
  value.detail = detail.slice(0, Math.max(0, bytes - used - 12));
  return { pk, sk, value };
}

/** A run's index items in the index table, as stored. */
const GB = 1e9;

/** The ingest function as deployed logs (INFO) and publishes metrics: on a system of its own, on the real clock. */
async function frontEnd(targetBytes: number): Promise<FrontEndMeasurement> {
  const periodMs = 3_600_000;
  // The real clock's pace from the middle of a period: the measurement never straddles a period's end, where a GET
  // would look in the new period's table first.
  const t0 = Date.now();
  const from = Math.floor(t0 / periodMs) * periodMs + periodMs / 2;
  const sys = await startLocal({
    dataDir: undefined,
    port: 0,
    clock: () => from + (Date.now() - t0),
    settings: { ...DEFAULT_SETTINGS, prefix: 'costfe', periodMs },
    schedule: false,
    logLevel: 'INFO',
    throughputScale: 0,
  });
  try {
    await sys.runLifecycle();
    const r = rng(11);
    const start = Date.now();
    return await measureFrontEnd(sys, (i) => auditRecord(r, i, start, targetBytes));
  } finally {
    await sys.stop();
  }
}

export async function measure(o: MeasureOptions = {}): Promise<Measurement> {
  const n = o.records ?? 20_000;
  const targetBytes = o.recordBytes ?? 400;
  const reads = o.reads ?? 500;
  const log = o.log ?? (() => undefined);
  // The functions publish their metrics as deployed (the embedded system otherwise turns them off): they are log bytes too.
  const metricsWere = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    // What the functions print (their log lines, their metrics) is measured where it counts and never shown: stdout is the report's.
    const { result } = await stdoutBytes(async () => {
      log('the front end: single and batch write requests through the ingest handler');
      const front = await frontEnd(targetBytes);
      return { ...(await measureStore(n, targetBytes, reads, log)), frontEnd: front, throughputs: throughputsFromBench() };
    });
    return result;
  } finally {
    if (metricsWere === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = metricsWere;
  }
}

async function measureStore(
  n: number,
  targetBytes: number,
  reads: number,
  log: (line: string) => void,
): Promise<Omit<Measurement, 'frontEnd' | 'throughputs'>> {
  const settings: StoreSettings = { ...DEFAULT_SETTINGS, prefix: 'cost', periodMs: 60_000, sealGraceMs: 1000, gcGraceMs: 1000 };
  let now = Date.UTC(2026, 10, 23, 0, 0, 30);
  const taskSeconds = new Map<string, number>();
  let taskInvocations = 0;
  const time = (tasks: Readonly<Record<string, TaskHandler>>): Record<string, TaskHandler> =>
    Object.fromEntries(
      Object.entries(tasks).map(([placeholder, task]) => [
        placeholder,
        async (input) => {
          taskInvocations++;
          const t0 = performance.now();
          try {
            return await task(input);
          } finally {
            taskSeconds.set(placeholder, (taskSeconds.get(placeholder) ?? 0) + (performance.now() - t0) / 1000);
          }
        },
      ]),
    );
  const sys = await startLocal({
    dataDir: undefined,
    port: 0,
    settings,
    schedule: false,
    retryIntervalMs: 0,
    clock: () => now,
    wrapTasks: time,
    logLevel: 'INFO',
  });
  try {
    const m0 = await sys.dataPlane.manifests.read();
    const hot = m0.runs.find((r) => r.tier === 'hot' && r.periodStart <= now && now < r.periodEnd)!;

    let writeUnitsTotal = 0;
    let hotItemBytesTotal = 0;
    let puts = 0;
    observe(sys.functionStores.ingest.ddb, ({ command, input, output }) => {
      // The records' puts; the table's written mark (one per process and period) is not a record's.
      if (!output || command !== 'PutItem' || input.TableName !== hot.table) return;
      const bytes = itemBytes(input.Item as Record<string, AttributeValue>);
      hotItemBytesTotal += bytes;
      writeUnitsTotal += writeUnits(bytes);
      puts++;
    });
    let readUnitsTotal = 0;
    observe(sys.functionStores.read.ddb, ({ command, input, output }) => {
      if (!output) return;
      const consistent = input.ConsistentRead === true;
      if (command === 'GetItem') readUnitsTotal += readUnits(output.Item ? itemBytes(output.Item as Record<string, AttributeValue>) : 0, consistent);
      if (command === 'Query')
        readUnitsTotal += readUnits(
          ((output.Items ?? []) as Record<string, AttributeValue>[]).reduce((s, it) => s + itemBytes(it), 0),
          consistent,
        );
    });
    let s3Gets = 0;
    observe(sys.functionStores.read.s3, ({ command, output }) => {
      if (output && command === 'GetObject') s3Gets++;
    });

    log(`writing ${n} records of about ${targetBytes} bytes, one PUT each`);
    const r = rng(7);
    const records = Array.from({ length: n }, (_, i) => auditRecord(r, i, hot.periodStart, targetBytes));
    const logical = records.reduce((s, x) => s + Buffer.byteLength(x.pk) + Buffer.byteLength(x.sk) + Buffer.byteLength(JSON.stringify(x.value)), 0);
    await pool(records, 16, async (x) => void (await sys.functionDataPlanes.ingest.put(x.pk, x.sk, x.value)));
    if (puts !== n) throw new Error(`${puts} PutItem calls for ${n} records`);

    const sample = Array.from({ length: reads }, () => records[Math.floor(r() * n)]!);
    readUnitsTotal = 0;
    for (const x of sample) await sys.functionDataPlanes.read.get(x.pk, x.sk);
    const readUnitsPerHotRead = readUnitsTotal / reads;

    log('offloading the period');
    now = hot.periodEnd + settings.sealGraceMs + 1;
    const before = new Map(sys.iam.all().map((e) => [`${e.principal}\t${e.action}`, e.count]));
    taskInvocations = 0;
    const { result: exec, bytes: lifecycleLogBytes } = await stdoutBytes(() => sys.runLifecycle());
    const entered = exec.events.filter((e) => e.type === 'StateEntered').length;
    // The state machine logs every history event with its data (LogLevel.ALL): as the runner records them.
    const executionLogBytes = exec.events.reduce((a, e) => a + Buffer.byteLength(JSON.stringify(e)), 0);
    const lifecycleCalls = (action: string): number =>
      sys.iam
        .all()
        .filter((e) => e.action === action && e.allowed && !e.principal.endsWith('-ingest') && !e.principal.endsWith('-read'))
        .reduce((s, e) => s + e.count - (before.get(`${e.principal}\t${e.action}`) ?? 0), 0);
    const gbSeconds = [...taskSeconds].reduce((s, [placeholder, seconds]) => s + (seconds * UNITS[unitOfPlaceholder(placeholder)!].memoryMb) / 1024, 0);
    const m1 = await sys.dataPlane.manifests.read();
    const run = m1.runs.find((x) => x.tier === 'cold');
    if (!run) throw new Error('the period was not offloaded');

    let indexBytes = 0;
    let indexWriteUnits = 0;
    for await (const it of new RunIndex(sys.store.ddb, sys.store.indexTable).items(run.id)) {
      const bytes = itemBytes(it);
      indexBytes += bytes + STORAGE_OVERHEAD_BYTES;
      indexWriteUnits += writeUnits(bytes);
    }

    sys.refreshManifests();
    readUnitsTotal = 0;
    s3Gets = 0;
    for (const x of sample) await sys.functionDataPlanes.read.get(x.pk, x.sk);

    const offloadGb = logical / GB;
    return {
      measuredAt: new Date().toISOString(),
      records: n,
      recordBytes: logical / n,
      hotItemBytes: hotItemBytesTotal / n,
      writeUnitsPerRecord: writeUnitsTotal / n,
      readUnitsPerHotRead,
      readUnitsPerColdRead: readUnitsTotal / reads,
      s3GetsPerColdRead: s3Gets / reads,
      s3BytesPerLogicalByte: run.bytes / logical,
      indexBytesPerLogicalByte: indexBytes / logical,
      indexWriteUnitsPerLogicalGb: indexWriteUnits / (logical / GB),
      offloadPerLogicalGb: {
        s3Puts: lifecycleCalls('s3:PutObject') / offloadGb,
        s3Gets: lifecycleCalls('s3:GetObject') / offloadGb,
        lambdaGbSeconds: gbSeconds / offloadGb,
      },
      transitionsPerExecution: entered,
      lifecycleLogs: { bytesPerTask: lifecycleLogBytes / Math.max(1, taskInvocations), bytesPerTransition: executionLogBytes / Math.max(1, entered) },
    };
  } finally {
    await sys.stop();
  }
}

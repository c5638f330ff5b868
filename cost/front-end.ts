/**
 * What each request costs in front of the tables, measured on the embedded system: the
 * ingest and read functions' own time per invocation (a single PUT, a batch of 100, a GET), as a deployed
 * function would spend it, and the bytes it writes to its log at the deployed log level. The
 * embedded DynamoDB's time is taken out of the handler's and replaced by DynamoDB's own
 * latency per call (FRONT_END_LATENCY_MS), so the figure is the handler's, not the
 * emulator's. API Gateway's access log line is rendered from the format the API deploys.
 */
import { httpEvent } from '../lambda/api/event.ts';
import { ACCESS_LOG_FORMAT } from '../lib/api.ts';
import type { LocalSystem } from '../local/system.ts';
import { observe } from './sdk-calls.ts';

/**
 * DynamoDB's time per call from a function in its region, in milliseconds: AWS's
 * single-digit milliseconds for one item; a BatchWriteItem of 25 items about twice that.
 * An assumption, stated here, not a measurement.
 */
export const FRONT_END_LATENCY_MS: Readonly<Record<string, number>> = {
  PutItem: 6,
  GetItem: 5,
  Query: 8,
  BatchWriteItem: 12,
  TransactWriteItems: 12,
  UpdateItem: 6,
};

export interface InvocationCost {
  /** Milliseconds per invocation as deployed: the handler's own, and DynamoDB's latency for its calls. */
  readonly durationMs: number;
  /** Of which the handler's own (JSON, validation, encoding; the emulator's time taken out). */
  readonly ownMs: number;
  /** SDK calls per invocation, by command. */
  readonly calls: Readonly<Record<string, number>>;
  /** Log bytes per invocation at the deployed level (application lines and metrics lines). */
  readonly logBytes: number;
}

export interface FrontEndMeasurement {
  readonly single: InvocationCost;
  /** A GET of one item (written moments before: a hot read) through the read function. */
  readonly read: InvocationCost;
  /** A batch write request of `batchItems` items. */
  readonly batch: InvocationCost;
  readonly batchItems: number;
  /** API Gateway's access log line per request, as the API's format renders a typical one. */
  readonly accessLogBytes: number;
}

/** Records each SDK call's command and when it was in flight (into `log`, shared by several clients). */
function timeCalls(
  client: Parameters<typeof observe>[0],
  log: { calls: { command: string; start: number; end: number }[] } = { calls: [] },
): { calls: { command: string; start: number; end: number }[] } {
  observe(client, ({ command, start, end }) => void log.calls.push({ command, start, end }));
  return log;
}

/** Milliseconds at least one of the intervals is open. */
function union(intervals: readonly { start: number; end: number }[]): number {
  let total = 0;
  let until = -Infinity;
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    if (i.end <= until) continue;
    total += i.end - Math.max(i.start, until);
    until = i.end;
  }
  return total;
}

/** Bytes written to stdout while `f` runs (the functions' log lines). */
export async function stdoutBytes<T>(f: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await f(), bytes };
  } finally {
    process.stdout.write = write;
  }
}

/** A typical line of the API's access log: a request id, an IAM caller, a route, timings. */
export function accessLogLine(): string {
  const example: Record<string, string> = {
    '$context.requestId': 'Ab1CdEfGhIjKlMn=',
    '$context.identity.sourceIp': '10.20.30.40',
    '$context.identity.caller': 'AROAEXAMPLEROLEID12345:app-session',
    '$context.identity.userArn': 'arn:aws:sts::123456789012:assumed-role/app-role/app-session',
    '$context.requestTime': '04/Dec/2026:23:05:00 +0000',
    '$context.httpMethod': 'PUT',
    '$context.routeKey': 'PUT /v1/items/{pk}/{sk+}',
    '$context.status': '200',
    '$context.responseLength': '28',
    '$context.responseLatency': '18',
    '$context.integrationLatency': '16',
    '$context.integrationErrorMessage': '-',
  };
  return ACCESS_LOG_FORMAT.replace(/\$context\.[\w.]+/g, (v) => example[v] ?? '-');
}

/**
 * Invokes the ingest handler as API Gateway would, `n` single PUTs and `n / batchItems`
 * batches, after warming it. `sys` must run the source handlers with metrics enabled and the
 * deployed log level (INFO).
 */
export async function measureFrontEnd(
  sys: LocalSystem,
  make: (i: number) => { pk: string; sk: string; value: unknown },
  n = 1000,
  batchItems = 100,
): Promise<FrontEndMeasurement> {
  // Each record made once: the GETs read the keys the PUTs wrote.
  const made = new Map<number, { pk: string; sk: string; value: unknown }>();
  const record = (i: number) => made.get(i) ?? made.set(i, make(i)).get(i)!;
  const ingestTimed = timeCalls(sys.functionStores.ingest.ddb);
  const readTimed = timeCalls(sys.functionStores.read.ddb);
  timeCalls(sys.functionStores.read.s3, readTimed);
  const invoke = async (events: ReturnType<typeof httpEvent>['event'][], unit: 'ingest' | 'read' = 'ingest'): Promise<InvocationCost> => {
    const timed = unit === 'ingest' ? ingestTimed : readTimed;
    timed.calls.length = 0;
    let wall = 0;
    const { bytes } = await stdoutBytes(async () => {
      for (const e of events) {
        const t0 = performance.now();
        const r = await sys.handlers[unit](e);
        wall += performance.now() - t0;
        if (r.statusCode !== 200) throw new Error(`${unit} answered ${r.statusCode}: ${r.body}`);
      }
    });
    const calls: Record<string, number> = {};
    for (const c of timed.calls) calls[c.command] = (calls[c.command] ?? 0) + 1 / events.length;
    const emulated = union(timed.calls);
    const summed = timed.calls.reduce((s, c) => s + c.end - c.start, 0);
    // Calls made together overlap as much on AWS: DynamoDB's latency for each, times how much they overlapped here.
    const overlap = summed > 0 ? emulated / summed : 1;
    const awaited = timed.calls.reduce((s, c) => s + (FRONT_END_LATENCY_MS[c.command] ?? 10), 0) * overlap;
    const ownMs = Math.max(0, wall - emulated) / events.length;
    return { ownMs, durationMs: ownMs + awaited / events.length, calls, logBytes: bytes / events.length };
  };
  const put = (i: number) => {
    const x = record(i);
    return httpEvent({
      method: 'PUT',
      url: `/v1/items/${encodeURIComponent(x.pk)}/${encodeURIComponent(x.sk)}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(x.value),
    }).event;
  };
  const batch = (b: number) =>
    httpEvent({
      method: 'POST',
      url: '/v1/batch/write',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: Array.from({ length: batchItems }, (_, j) => record(n + b * batchItems + j)) }),
    }).event;
  // Warm: the first invocations load modules and open connections, as a cold start does.
  await invoke(Array.from({ length: 20 }, (_, i) => put(10 * n + i)));
  const single = await invoke(Array.from({ length: n }, (_, i) => put(i)));
  // As many batch requests as single ones would publish metrics lines for: one per 100 values of a metric.
  const batches = await invoke(Array.from({ length: Math.max(100, Math.floor(n / batchItems)) }, (_, b) => batch(b)));
  const get = (i: number) => {
    const x = record(i);
    return httpEvent({ method: 'GET', url: `/v1/items/${encodeURIComponent(x.pk)}/${encodeURIComponent(x.sk)}`, headers: {} }).event;
  };
  await invoke(
    Array.from({ length: 20 }, (_, i) => get(i)),
    'read',
  );
  const read = await invoke(
    Array.from({ length: n }, (_, i) => get(i)),
    'read',
  );
  return { single, read, batch: batches, batchItems, accessLogBytes: Buffer.byteLength(accessLogLine()) + 1 };
}

/**
 * The embedded Alki: DynamoDB (dynalite) and S3 (fauxqs) in-process, the index table and
 * bucket created from the same definitions the CDK app uses, the HTTP API on 127.0.0.1, and
 * rotation on the local clock. Handlers and core cannot tell it from AWS: only the SDK
 * endpoints differ.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { json } from '../lambda/api/http.ts';
import { INDEX_TABLE, indexTableName } from '../lambda/core/schema.ts';
import { systemClock, type Clock } from '../lambda/core/seq.ts';
import { settingsToEnv, type StoreSettings } from '../lambda/core/settings.ts';
import { createIngestHandler } from '../lambda/ingest/handler.ts';
import { createReadHandler } from '../lambda/read/handler.ts';
import { createImportsHandler, importsDepsFrom } from '../lambda/imports/handler.ts';
import type { ExecutionStarter } from '../lambda/store/executions.ts';
import { localTaskHandlers } from './tasks.ts';
import { ENDPOINT_ENV, storeEnvFrom, type StoreEnv } from '../lambda/store/clients.ts';
import { errorName } from '../lambda/store/aws-errors.ts';
import { DataPlane } from '../lambda/store/data-plane.ts';
import { serve, type Handlers } from './gateway.ts';
import { LocalStepFunctions, type ExecutionRecord, type TaskHandler } from './step-functions.ts';

/** Locally the lifecycle runs every quarter period (at least every 250 ms, at most hourly). */
export function lifecycleIntervalMs(s: StoreSettings): number {
  return Math.min(3_600_000, Math.max(250, Math.floor(s.periodMs / 4)));
}

export interface LocalOptions {
  /** Where data lives; undefined keeps everything in memory (tests). */
  readonly dataDir: string | undefined;
  /** 0 picks a free port. */
  readonly port: number;
  readonly settings: StoreSettings;
  /** Run the lifecycle state machine on its schedule; default on (tests start it by hand). */
  readonly schedule?: boolean;
  /** Replaces every ASL Retry interval (tests: 0). */
  readonly retryIntervalMs?: number;
  /** The clock of the data plane and every task (tests move time by hand); default the system's. */
  readonly clock?: Clock;
  /** Wraps the state machines' task handlers (tests inject faults). */
  readonly wrapTasks?: (tasks: Readonly<Record<string, TaskHandler>>) => Record<string, TaskHandler>;
}

export interface LocalSystem {
  readonly url: string;
  /** The environment a handler would see: endpoints, names, settings. */
  readonly env: Record<string, string>;
  readonly store: StoreEnv;
  readonly dataPlane: DataPlane;
  readonly handlers: Handlers;
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  readonly stepFunctions: LocalStepFunctions;
  /** The handler of each Task placeholder, as the runner calls them (tests wrap them to inject faults). */
  readonly tasks: Readonly<Record<string, TaskHandler>>;
  /** The clock of the data plane and the tasks. */
  readonly clock: Clock;
  /** Runs the lifecycle state machine once and waits for it (rotation: creates and registers the periods' tables). */
  runLifecycle(): Promise<ExecutionRecord>;
  /** The same, under the name tests use before writing. */
  rotateNow(): Promise<void>;
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startLocal(opts: LocalOptions): Promise<LocalSystem> {
  const { settings } = opts;
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });

  const ddbServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.dataDir ? { path: join(opts.dataDir, 'dynamodb') } : {}) });
  const ddbPort = await listen(ddbServer, 0);
  const s3 = await startFauxqs({
    port: 0,
    logger: false,
    ...(opts.dataDir ? { dataDir: join(opts.dataDir, 's3-meta'), s3StorageDir: join(opts.dataDir, 's3') } : {}),
  });
  const dynamodbEndpoint = `http://127.0.0.1:${ddbPort}`;
  const s3Endpoint = s3.address;
  const env: Record<string, string> = {
    ...settingsToEnv(settings),
    AWS_REGION: 'us-east-1',
    [ENDPOINT_ENV.dynamodb]: dynamodbEndpoint,
    [ENDPOINT_ENV.s3]: s3Endpoint,
    [ENDPOINT_ENV.bucket]: `${settings.prefix}-cold`,
    [ENDPOINT_ENV.indexTable]: indexTableName(settings.prefix),
  };
  const store = storeEnvFrom(env);

  // The index table and bucket: on AWS the CDK app makes them, from the same schema.
  try {
    await store.ddb.send(
      new CreateTableCommand({
        TableName: store.indexTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: INDEX_TABLE.attributeDefinitions.map((a) => ({ ...a })),
        KeySchema: INDEX_TABLE.keySchema.map((k) => ({ ...k })),
      }),
    );
  } catch (err) {
    if (errorName(err) !== 'ResourceInUseException') throw err;
  }
  await store.ddb.send(new DescribeTableCommand({ TableName: store.indexTable }));
  try {
    await store.s3.send(new CreateBucketCommand({ Bucket: store.bucket }));
  } catch (err) {
    const name = errorName(err);
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }

  const clock = opts.clock ?? systemClock;
  const dataPlane = DataPlane.fromStoreEnv(store, clock);

  const quiet = (): void => undefined;
  const tasks = localTaskHandlers(() => env, quiet, clock);
  const stepFunctions = new LocalStepFunctions(settings.prefix, opts.wrapTasks ? opts.wrapTasks(tasks) : tasks, opts.retryIntervalMs === undefined ? {} : { retryIntervalMs: opts.retryIntervalMs });
  const starter: ExecutionStarter = { start: async (name, input) => stepFunctions.startOnce('import', name, input as never) };
  const handlers: Handlers = {
    ingest: createIngestHandler(() => dataPlane),
    read: createReadHandler(() => dataPlane),
    imports: createImportsHandler(() => importsDepsFrom(env, starter, clock)),
  };
  const runLifecycle = async (): Promise<ExecutionRecord> => {
    const r = await stepFunctions.start('lifecycle', {}).done;
    if (r.status !== 'SUCCEEDED') throw new Error(`lifecycle execution ${r.name} ${r.status}: ${r.error}: ${String(r.cause)}`);
    return r;
  };
  await runLifecycle();

  let ready = true;
  const http = createServer((req, res) => {
    void serve(handlers, req, res, async (r) => {
      if (r.url === '/healthz') return ready ? json(200, { ok: true }) : json(503, { ok: false });
      if (r.method === 'GET' && r.url?.split('?')[0] === '/local/executions') return json(200, { executions: stepFunctions.executions() });
      return undefined;
    });
  });
  const port = await listen(http, opts.port);

  // The lifecycle on a schedule, as EventBridge starts it on AWS: every quarter period locally.
  let timer: NodeJS.Timeout | undefined;
  if (opts.schedule ?? true) {
    // A tick that finds the last execution still running skips, rather than pile executions up.
    let running = false;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      runLifecycle()
        .catch((err) => console.error((err as Error).message))
        .finally(() => (running = false));
    }, lifecycleIntervalMs(settings));
    timer.unref();
  }

  return {
    url: `http://127.0.0.1:${port}`,
    env,
    store,
    dataPlane,
    handlers,
    dynamodbEndpoint,
    s3Endpoint,
    stepFunctions,
    tasks,
    clock,
    runLifecycle,
    rotateNow: async () => void (await runLifecycle()),
    async stop() {
      ready = false;
      if (timer) clearInterval(timer);
      await stepFunctions.drain();
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections();
      store.ddb.destroy();
      store.s3.destroy();
      await s3.stop();
      await new Promise<void>((r) => ddbServer.close(() => r()));
    },
  };
}

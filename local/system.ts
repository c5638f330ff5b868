/**
 * The embedded Alki: DynamoDB (dynalite) and S3 (fauxqs) in-process behind a front door that
 * authorizes every call against the calling function's role from the synthesized template,
 * the index table and bucket created from the same definitions the CDK app uses, the HTTP
 * API on 127.0.0.1, and the state machines on the local clock. Handlers and core cannot
 * tell it from AWS: only the SDK endpoints differ, and each function holds its own role's key.
 */
import { createServer } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { HOT_TABLE, hotTablePrefix, INDEX_TABLE, indexTableName } from '../lambda/core/schema.ts';
import { systemClock, type Clock } from '../lambda/core/seq.ts';
import type { StoreSettings } from '../lambda/core/settings.ts';
import { storeEnvFrom, type StoreEnv } from '../lambda/store/clients.ts';
import { coldFrom, type Cold } from '../lambda/store/cold.ts';
import { startFrontDoor, type FrontDoor } from './front-door/front-door.ts';
import type { LocalVersions } from './s3-versions.ts';
import { IamLog } from './iam/iam-log.ts';
import { stackModel, type StackModel } from './iam/stack-model.ts';
import { synthesizedAssembly } from './iam/synth.ts';
import type { LoadedBundle } from './lambda-runtime.ts';
import { Schedule } from './schedules.ts';
import { arnPlaceholder, type UnitName } from '../lambda/units.ts';
import { errorName } from '../lambda/store/aws-errors.ts';
import { DataPlane } from '../lambda/data-plane/data-plane.ts';
import { ManifestStore } from '../lambda/store/manifest-store.ts';
import { ensureIndexTable } from '../lambda/store/index-table.ts';
import { serve, type Handlers } from './gateway.ts';
import { listen, startBackends } from './backends.ts';
import { loadFunctions } from './functions.ts';
import { localPrincipals, stateMachineAccessKey } from './identities.ts';
import { localRoutes, type ScheduleName } from './local-routes.ts';
import { localEnvironments } from './environments.ts';
import { LocalStepFunctions, type ExecutionRecord, type TaskHandler } from './step-functions.ts';

export type { ScheduleName } from './local-routes.ts';

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
  /** Wraps the state machines' task handlers (tests inject faults, or switch builds mid-execution). */
  readonly wrapTasks?: (tasks: Readonly<Record<string, TaskHandler>>) => Record<string, TaskHandler>;
  /** State machine definitions by name, instead of statemachines/<name>.asl.json (an earlier release's: tests of upgrades). */
  readonly definitions?: Readonly<Record<string, unknown>>;
  /** Progress lines (synthesis); default silent. */
  readonly log?: (line: string) => void;
  /**
   * `source` (default): the handlers' TypeScript, in this process. `bundles`: each function's
   * bundle from the synthesized assembly, loaded as Lambda loads it (on the system clock).
   */
  readonly runtime?: 'source' | 'bundles';
  /** The functions' Powertools log level (POWERTOOLS_LOG_LEVEL); default $ALKI_LOG_LEVEL, else WARN. */
  readonly logLevel?: string;
  /**
   * AWS's request rates times this are enforced by the front door (local/throughput.ts):
   * default $ALKI_LOCAL_THROUGHPUT_SCALE, else 1 (AWS's own numbers); 0 or `off` enforces none.
   */
  readonly throughputScale?: number;
}

/** The rate scale of $ALKI_LOCAL_THROUGHPUT_SCALE: a positive number, or 0 / `off`; default 1. */
export function throughputScaleFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  if (value === 'off') return 0;
  const f = Number(value);
  if (!Number.isFinite(f) || f < 0) throw new Error(`ALKI_LOCAL_THROUGHPUT_SCALE must be a number of at least 0 or "off", not "${value}"`);
  return f;
}

export interface LocalSystem {
  readonly url: string;
  /** The operator's environment: endpoints, names, settings, and an administrator's key. */
  readonly env: Record<string, string>;
  /** The environment one function sees, as Lambda would give it: its role's key among it. */
  envOf(unit: UnitName): Record<string, string>;
  /** What an application in direct mode has (AlkiClient.direct({ env })): the store's environment, and the key of a role the grant methods made. */
  readonly applicationEnv: Record<string, string>;
  /** The operator's clients (tests, the AWS CLI): not bound by any function's role. */
  readonly store: StoreEnv;
  /** The operator's data plane (tests write and inspect through it). */
  readonly dataPlane: DataPlane;
  /** The clients and data plane of each data-plane function, with its own role. */
  readonly functionStores: { readonly ingest: StoreEnv; readonly read: StoreEnv };
  readonly functionDataPlanes: { readonly ingest: DataPlane; readonly read: DataPlane };
  /** The template's roles as the front door enforces them. */
  readonly stack: StackModel;
  /** Every authorization decision made for a function's role: action, resource, statement. */
  readonly iam: IamLog;
  readonly handlers: Handlers;
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  readonly stepFunctions: LocalStepFunctions;
  /** The cold tier with the operator's credentials: for tests and tools that write or list runs and objects directly. */
  readonly cold: Cold;
  /** The manifest with the operator's credentials: tests commit through it (the data plane's only reads). */
  readonly manifests: ManifestStore;
  /** What the versioned bucket keeps besides its current objects (noncurrent versions, delete markers). */
  readonly versions: LocalVersions;
  /** The front door's rate buckets (undefined when no rate is enforced): what they admitted and refused. */
  readonly throughput: FrontDoor['throughput'];
  /** Another runner of this system's state machines (its roles, its IAM log, its S3), with other task handlers. */
  runnerWith(tasks: Readonly<Record<string, TaskHandler>>, opts?: { retryIntervalMs?: number }): LocalStepFunctions;
  /** The handler of each Task placeholder, as the runner calls them (tests wrap them to inject faults). */
  readonly tasks: Readonly<Record<string, TaskHandler>>;
  /** The clock of the data plane and the tasks. */
  readonly clock: Clock;
  /** The lifecycle and rotation schedules (paused and resumed through `/local/schedules`). */
  readonly schedules: Readonly<Record<ScheduleName, Schedule>>;
  /** The loaded bundles, when the runtime is `bundles`: sizes and load times. */
  readonly bundles: Readonly<Record<UnitName, LoadedBundle>> | undefined;
  /** Forgets every data plane's cached manifest, as if their caches had expired. */
  refreshManifests(): void;
  /** Runs the lifecycle state machine once and waits for it (rotation: creates and registers the periods' tables). */
  runLifecycle(): Promise<ExecutionRecord>;
  stop(): Promise<void>;
}

export async function startLocal(opts: LocalOptions): Promise<LocalSystem> {
  const { settings } = opts;
  const backends = await startBackends(opts.dataDir);
  const names = { prefix: settings.prefix, indexTable: indexTableName(settings.prefix), bucket: `${settings.prefix}-cold` };
  const stack = stackModel(synthesizedAssembly(opts.log), names);
  const iam = new IamLog();
  const principals = localPrincipals(stack, settings.prefix);
  // The runner is made after the front door (it needs the tasks, which need the endpoint).
  const runner: { current?: LocalStepFunctions } = {};
  const door = await startFrontDoor({
    dynamodb: backends.dynamodb,
    s3: backends.s3,
    principalOf: (key) => principals.get(key),
    bucketPolicy: stack.bucketPolicy,
    partitionKeyOf: (table) =>
      table === names.indexTable ? INDEX_TABLE.partitionKey : table.startsWith(hotTablePrefix(settings.prefix)) ? HOT_TABLE.partitionKey : undefined,
    onDecision: (who, check, d) => iam.record(who, check, d),
    throughputScale: opts.throughputScale ?? throughputScaleFromEnv(process.env.ALKI_LOCAL_THROUGHPUT_SCALE),
    stepFunctions: {
      start: async (arn, name, input) => {
        if (!runner.current) throw Object.assign(new Error('not ready'), { name: 'ServiceUnavailable' });
        return runner.current.startByArn(arn, name, JSON.parse(input) as never);
      },
      list: (arn, status) => runner.current?.list(arn, status as never) ?? [],
    },
  });
  const dynamodbEndpoint = door.url;
  const s3Endpoint = door.url;
  const { env, envOf, applicationEnv } = localEnvironments({
    settings,
    stack,
    names,
    endpoint: door.url,
    logLevel: opts.logLevel ?? process.env.ALKI_LOG_LEVEL ?? 'WARN',
  });
  const store = storeEnvFrom(env);

  // The index table and bucket: on AWS the CDK app makes them, from the same schema.
  await ensureIndexTable(store.ddb, store.indexTable);
  try {
    await store.s3.send(new CreateBucketCommand({ Bucket: store.bucket }));
  } catch (err) {
    const name = errorName(err);
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }

  const clock = opts.clock ?? systemClock;
  const dataPlane = DataPlane.fromStoreEnv(store, clock);
  const functionStores = { ingest: storeEnvFrom(envOf('ingest')), read: storeEnvFrom(envOf('read')) };
  const functionDataPlanes = {
    ingest: DataPlane.fromStoreEnv(functionStores.ingest, clock),
    read: DataPlane.fromStoreEnv(functionStores.read, clock),
  };

  // In this process every function's metrics would interleave on one stdout (on AWS each
  // function's stdout is its own log group): off here. Bundles run one worker per function,
  // with metrics on and their output kept per function (LoadedBundle.output).
  if (opts.runtime !== 'bundles') process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  if (opts.runtime === 'bundles' && opts.clock) throw new Error('bundles run on the system clock; a test clock needs runtime "source"');
  const functions = await loadFunctions({
    runtime: opts.runtime ?? 'source',
    stack,
    prefix: settings.prefix,
    envOf,
    clock,
    dataPlanes: functionDataPlanes,
  });
  const { tasks, handlers, bundles: fromBundles } = functions;
  // One S3 client per state machine role, for its Distributed Maps' items and results.
  const machineS3: Record<string, StoreEnv['s3']> = {};
  const runnerOptions = {
    roles: stack.stateMachines,
    onDecision: (who, check, d) => iam.record(who, check, d),
    objects: (machine: string) => {
      const s3 = (machineS3[machine] ??= storeEnvFrom({ ...env, AWS_ACCESS_KEY_ID: stateMachineAccessKey(machine) }).s3);
      return {
        get: async (Bucket: string, Key: string) => (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString(),
        put: async (Bucket: string, Key: string, body: string) => void (await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }))),
      };
    },
  } satisfies ConstructorParameters<typeof LocalStepFunctions>[2];
  const sfn = new LocalStepFunctions(settings.prefix, opts.wrapTasks ? opts.wrapTasks(tasks) : tasks, {
    ...(opts.retryIntervalMs === undefined ? {} : { retryIntervalMs: opts.retryIntervalMs }),
    ...(opts.definitions ? { definitions: opts.definitions } : {}),
    ...runnerOptions,
  });
  runner.current = sfn;
  const runLifecycle = async (): Promise<ExecutionRecord> => {
    const r = await sfn.start('lifecycle', {}).done;
    if (r.status !== 'SUCCEEDED') throw new Error(`lifecycle execution ${r.name} ${r.status}: ${r.error}: ${String(r.cause)}`);
    return r;
  };
  await runLifecycle();

  // The two EventBridge rules of the CDK app: every quarter period locally.
  const schedules: Record<ScheduleName, Schedule> = {
    lifecycle: new Schedule('lifecycle', lifecycleIntervalMs(settings), runLifecycle),
    // As the rotation rule invokes the rotate function directly, with a scheduled event.
    rotation: new Schedule('rotation', lifecycleIntervalMs(settings), () =>
      tasks[arnPlaceholder('rotate')]!({ source: 'aws.events', 'detail-type': 'Scheduled Event' }),
    ),
  };
  let ready = true;
  const local = localRoutes({ stepFunctions: sfn, schedules, ready: () => ready, url: () => `http://127.0.0.1:${port}` });
  const http = createServer((req, res) => void serve(handlers, req, res, local));
  const port = await listen(http, opts.port);

  if (opts.schedule ?? true) for (const s of Object.values(schedules)) s.start();

  const cold = coldFrom(store.ddb, store.s3, store.indexTable, store.bucket);
  return {
    url: `http://127.0.0.1:${port}`,
    env,
    envOf,
    applicationEnv,
    store,
    dataPlane,
    functionStores,
    functionDataPlanes,
    stack,
    iam,
    handlers,
    dynamodbEndpoint,
    s3Endpoint,
    stepFunctions: sfn,
    cold,
    manifests: new ManifestStore(store.ddb, store.indexTable, cold.bucket),
    versions: door.versions,
    throughput: door.throughput,
    runnerWith: (t, o = {}) => new LocalStepFunctions(settings.prefix, t, { ...o, ...runnerOptions }),
    tasks,
    clock,
    runLifecycle,
    bundles: fromBundles,
    schedules,
    refreshManifests: () => {
      for (const dp of [dataPlane, functionDataPlanes.ingest, functionDataPlanes.read]) dp.refreshManifest();
    },
    async stop() {
      ready = false;
      for (const sch of Object.values(schedules)) sch.stop();
      await sfn.drain();
      await Promise.all(Object.values(fromBundles ?? {}).map((b) => b.stop()));
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections();
      for (const e of [store, functionStores.ingest, functionStores.read]) for (const c of [e.ddb, e.s3, e.s3Presigner]) c.destroy();
      await door.close();
      iam.flush();
      await backends.stop();
    },
  };
}

/**
 * AlkiStore: one store, complete: index table, cold bucket, HTTP API with its functions,
 * the lifecycle state machine and its schedule, a dashboard and alarms. Each function gets
 * only the actions it uses, on its own resources.
 */
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { OBJECTS } from '../lambda/core/schema.ts';
import { acknowledgeWildcards, arnRef } from './nag.ts';
import { settingsToEnv } from '../lambda/core/settings.ts';
import { ENDPOINT_ENV } from '../lambda/store/clients.ts';
import { arnPlaceholder, UNITS, type UnitName } from '../lambda/units.ts';
import { Api } from './api.ts';
import { UnitFunction } from './function.ts';
import { FileStateMachine, Lifecycle } from './lifecycle.ts';
import { IMPORT_STATE_MACHINE_ENV } from '../lambda/store/executions.ts';
import { Observability } from './observability.ts';
import { storeSettings, type AlkiStoreProps } from './props.ts';
import { Storage } from './storage.ts';

const RUN_OBJECTS = `${OBJECTS.runsRoot}*`;
const SPILL_OBJECTS = `${OBJECTS.spillPrefix('')}*`;
const IMPORT_OBJECTS = `${OBJECTS.importsRoot}*`;

function retentionDays(days: number): RetentionDays {
  const known = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number' && v > 0).sort((a, b) => a - b);
  return known.find((d) => d >= days) ?? RetentionDays.INFINITE;
}

export class AlkiStore extends Construct {
  readonly storage: Storage;
  readonly functions: Record<UnitName, UnitFunction>;
  readonly api: Api;
  readonly lifecycle: Lifecycle;
  readonly importMachine: FileStateMachine;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: AlkiStoreProps = {}) {
    super(scope, id);
    const settings = storeSettings(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = retentionDays(props.logRetentionDays ?? 30);
    const logRemoval = RemovalPolicy.DESTROY;

    this.storage = new Storage(this, 'Storage', {
      prefix: settings.prefix,
      removalPolicy,
      noncurrentVersionDays: props.noncurrentVersionDays ?? 30,
      spillExpirationDays: props.spillExpirationDays ?? 7,
    });
    const { indexTable, bucket } = this.storage;
    const environment = {
      ...settingsToEnv(settings),
      [ENDPOINT_ENV.bucket]: bucket.bucketName,
      [ENDPOINT_ENV.indexTable]: indexTable.tableName,
    };
    const unit = (u: UnitName): UnitFunction => new UnitFunction(this, UNITS[u].name, { unit: u, prefix: settings.prefix, environment, logRetention, removalPolicy: logRemoval });
    this.functions = {
      ingest: unit('ingest'),
      read: unit('read'),
      rotate: unit('rotate'),
      offload: unit('offload'),
      verify: unit('verify'),
      compact: unit('compact'),
      commit: unit('commit'),
      gc: unit('gc'),
      imports: unit('imports'),
      importer: unit('importer'),
    };

    // Least privilege, per function.
    const hotTables = this.storage.hotTablesArn();
    const allow = (u: UnitName, actions: string[], resources: string[]): void => {
      this.functions[u].role.addToPolicy(new PolicyStatement({ actions, resources }));
    };
    allow('ingest', ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'], [hotTables]);
    allow('ingest', ['dynamodb:GetItem'], [indexTable.tableArn]);
    allow('read', ['dynamodb:GetItem', 'dynamodb:Query'], [hotTables, indexTable.tableArn]);
    allow('read', ['s3:GetObject'], [bucket.arnForObjects(RUN_OBJECTS)]);
    allow('rotate', ['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:TagResource'], [hotTables]);
    allow('rotate', ['dynamodb:GetItem', 'dynamodb:PutItem'], [indexTable.tableArn]);
    // Offload: read sealed tables, write spills and runs, read and write job specs and index items.
    allow('offload', ['dynamodb:Scan', 'dynamodb:DescribeTable'], [hotTables]);
    allow('offload', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'], [indexTable.tableArn]);
    allow('offload', ['s3:PutObject', 's3:GetObject'], [bucket.arnForObjects(RUN_OBJECTS), bucket.arnForObjects(SPILL_OBJECTS)]);
    allow('offload', ['s3:ListBucket'], [bucket.bucketArn]);
    // Verify reads only; it cannot write the manifest or any object.
    allow('verify', ['dynamodb:Scan'], [hotTables]);
    allow('verify', ['dynamodb:Query'], [indexTable.tableArn]);
    allow('verify', ['s3:GetObject'], [bucket.arnForObjects(RUN_OBJECTS)]);
    allow('verify', ['s3:ListBucket'], [bucket.bucketArn]);
    allow('compact', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'], [indexTable.tableArn]);
    allow('compact', ['s3:GetObject', 's3:PutObject'], [bucket.arnForObjects(RUN_OBJECTS)]);
    // Commit also reads an import's record, so a late retry never re-adds a compacted run.
    allow('commit', ['dynamodb:GetItem', 'dynamodb:PutItem'], [indexTable.tableArn]);
    allow('gc', ['dynamodb:DeleteTable'], [hotTables]);
    allow('gc', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'], [indexTable.tableArn]);
    allow('gc', ['s3:DeleteObject'], [bucket.arnForObjects(RUN_OBJECTS), bucket.arnForObjects(SPILL_OBJECTS)]);
    allow('gc', ['s3:ListBucket'], [bucket.bucketArn]);
    allow('gc', ['s3:DeleteObject'], [bucket.arnForObjects(IMPORT_OBJECTS)]);
    // Imports API: its records, and presigned uploads (the URLs carry this role's rights to imports/ only).
    allow('imports', ['dynamodb:GetItem', 'dynamodb:PutItem'], [indexTable.tableArn]);
    allow('imports', ['s3:PutObject'], [bucket.arnForObjects(IMPORT_OBJECTS)]);
    allow('imports', ['s3:ListBucket'], [bucket.bucketArn]);
    // Importer: read uploads, write spills and the run, its job spec and import record.
    allow('importer', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'], [indexTable.tableArn]);
    allow('importer', ['s3:GetObject'], [bucket.arnForObjects(IMPORT_OBJECTS)]);
    allow('importer', ['s3:PutObject', 's3:GetObject'], [bucket.arnForObjects(RUN_OBJECTS), bucket.arnForObjects(SPILL_OBJECTS)]);
    allow('importer', ['s3:ListBucket'], [bucket.bucketArn]);

    const hotReason = `Hot tables are created per period at run time by rotate; all share this store's name prefix "${settings.prefix}-hot-".`;
    const hotArn = 'arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/' + `${settings.prefix}-hot-*`;
    for (const u of ['ingest', 'read', 'rotate', 'offload', 'verify', 'gc'] as const) acknowledgeWildcards(this.functions[u].role, [{ resource: hotArn, reason: hotReason }]);
    const runsReason = 'Cold runs are written at run time as runs/<runId>/<part>.blob; this function needs any run, nothing else in the bucket.';
    const spillsReason = 'Spills are temporary objects spills/<jobId>/..., created per offload job at run time.';
    for (const u of ['read', 'offload', 'verify', 'compact', 'gc'] as const) acknowledgeWildcards(this.functions[u].role, [{ resource: `${arnRef(bucket)}/${RUN_OBJECTS}`, reason: runsReason }]);
    for (const u of ['offload', 'gc', 'importer'] as const) acknowledgeWildcards(this.functions[u].role, [{ resource: `${arnRef(bucket)}/${SPILL_OBJECTS}`, reason: spillsReason }]);
    acknowledgeWildcards(this.functions.importer.role, [{ resource: `${arnRef(bucket)}/${RUN_OBJECTS}`, reason: runsReason }]);
    const importsReason = 'Import files are uploaded at run time as imports/<importId>/input-<n>.ndjson; nothing else in the bucket.';
    for (const u of ['imports', 'importer', 'gc'] as const) acknowledgeWildcards(this.functions[u].role, [{ resource: `${arnRef(bucket)}/${IMPORT_OBJECTS}`, reason: importsReason }]);

    this.api = new Api(this, 'Api', {
      prefix: settings.prefix,
      functions: { ingest: this.functions.ingest.fn, read: this.functions.read.fn, imports: this.functions.imports.fn },
      rateLimit: props.apiRateLimit ?? 2000,
      burstLimit: props.apiBurstLimit ?? 4000,
      logRetention,
      removalPolicy: logRemoval,
    });

    const quarterPeriod = Math.max(60_000, Math.floor(settings.periodMs / 4));
    const every = props.lifecycleEvery !== undefined ? Duration.minutes(Math.max(1, Math.round(parseEvery(props.lifecycleEvery) / 60_000))) : Duration.minutes(Math.min(60, Math.round(quarterPeriod / 60_000)));
    this.lifecycle = new Lifecycle(this, 'Lifecycle', {
      prefix: settings.prefix,
      functions: Object.fromEntries((['rotate', 'offload', 'verify', 'compact', 'commit', 'gc'] as const).map((u) => [arnPlaceholder(u), this.functions[u].fn])),
      every,
      logRetention,
      removalPolicy: logRemoval,
    });
    acknowledgeMachine(this.lifecycle);

    this.importMachine = new FileStateMachine(this, 'Import', {
      prefix: settings.prefix,
      machine: 'import',
      functions: Object.fromEntries((['importer', 'verify', 'commit'] as const).map((u) => [arnPlaceholder(u), this.functions[u].fn])),
      logRetention,
      removalPolicy: logRemoval,
      timeout: Duration.hours(12),
    });
    acknowledgeMachine(this.importMachine);
    this.importMachine.stateMachine.grantStartExecution(this.functions.imports.fn);
    this.functions.imports.fn.addEnvironment(IMPORT_STATE_MACHINE_ENV, this.importMachine.stateMachine.stateMachineArn);

    this.observability = new Observability(this, 'Observability', {
      prefix: settings.prefix,
      api: this.api.httpApi,
      functions: Object.fromEntries(Object.entries(this.functions).map(([k, f]) => [k, f.fn])),
      lifecycle: this.lifecycle.stateMachine,
      lifecycleLogs: this.lifecycle.logs,
      lifecycleEvery: every,
    });

    // Stable output keys, so scripts can find them: aws cloudformation describe-stacks ... OutputKey=='ApiUrl'.
    const output = (key: string, value: string, description: string): void => {
      new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
    };
    output('ApiUrl', this.api.url, 'HTTP API (IAM auth: sign requests with SigV4)');
    output('BucketName', bucket.bucketName, 'Cold tier bucket');
    output('IndexTableName', indexTable.tableName, 'Manifest and sparse index');
    output('LifecycleStateMachineArn', this.lifecycle.stateMachine.stateMachineArn, 'Lifecycle state machine');
    output('ImportStateMachineArn', this.importMachine.stateMachine.stateMachineArn, 'Bulk import state machine');
    output('DashboardName', this.observability.dashboard.dashboardName, 'CloudWatch dashboard');
  }
}

/** What every state machine's role needs and cdk-nag flags: its own functions' versions, log delivery and X-Ray. */
function acknowledgeMachine(m: { stateMachine: StateMachine; functions: Readonly<Record<string, IFunction>> }): void {
  acknowledgeWildcards(m.stateMachine.role, [
    ...Object.values(m.functions).map((fn) => ({ resource: `${arnRef(fn)}:*`, reason: 'Invoking the function\'s versions and aliases (":*") of the state machine\'s own Task functions.' })),
    { resource: '*', reason: 'CloudWatch Logs delivery (logs:CreateLogDelivery and related) and X-Ray accept only Resource "*" (AWS requirement).' },
  ]);
}

function parseEvery(text: string): number {
  const m = /^(\d+)(m|h)$/.exec(text);
  if (!m) throw new Error(`lifecycleEvery must be minutes or hours like 15m or 1h, not "${text}"`);
  return Number(m[1]) * (m[2] === 'h' ? 3_600_000 : 60_000);
}

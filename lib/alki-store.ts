/**
 * AlkiStore: one store, complete: index table, cold bucket, HTTP API with its functions,
 * the lifecycle state machine and its schedule, a dashboard and alarms. Each function gets
 * only the actions it uses, on its own resources.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant as IamGrant, PolicyStatement, type IGrantable, type IPrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { OBJECTS } from '../lambda/core/schema.ts';
import { acknowledgeWildcards, arnRef, refOf } from './nag.ts';
import { defaultLifecycleIntervalMs, formatDuration, hotBoundMs, rotationIntervalMs, settingsToEnv } from '../lambda/core/settings.ts';
import { RESOURCE_ENV } from '../lambda/store/clients.ts';
import { DYNAMODB_SCALING_ROLE } from '../lambda/store/table-scaling.ts';
import { arnPlaceholder, UNITS, type UnitName } from '../lambda/units.ts';
import { DIRECT_GRANTS, UNIT_GRANTS } from '../lambda/access.ts';
import { ROUTES, type Unit } from '../lambda/api/routes.ts';
import { GRANT_CONDITIONS, mergeGrants, type Grant, type GrantTarget } from '../lambda/store/grants.ts';
import { Api } from './api.ts';
import { UnitFunction } from './function.ts';
import { FileStateMachine, Lifecycle } from './lifecycle.ts';
import { apiThrottle, EXECUTION_TIMEOUT_SECONDS } from '../lambda/core/limits.ts';
import { defaultBudget, reservedConcurrency } from '../lambda/core/concurrency.ts';
import { EXPORT_STATE_MACHINE_ENV, IMPORT_STATE_MACHINE_ENV } from '../lambda/store/executions.ts';
import { Observability } from './observability.ts';
import { storeSettings, type AlkiStoreProps } from './props.ts';
import { Storage } from './storage.ts';

/** The API's functions: per-request costs (traces, log lines) scale with the request rate. */
const DATA_PLANE: ReadonlySet<UnitName> = new Set(['ingest', 'read']);
const RUN_OBJECTS = `${OBJECTS.runsRoot}*`;
const MANIFEST_OBJECTS = `${OBJECTS.manifestsRoot}*`;
const SPILL_OBJECTS = `${OBJECTS.spillPrefix('')}*`;
const IMPORT_OBJECTS = `${OBJECTS.importsRoot}*`;
const EXPORT_OBJECTS = `${OBJECTS.exportsRoot}*`;

function retentionDays(days: number): RetentionDays {
  const known = Object.values(RetentionDays)
    .filter((v): v is RetentionDays => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return known.find((d) => d >= days) ?? RetentionDays.INFINITE;
}

export class AlkiStore extends Construct {
  readonly storage: Storage;
  readonly functions: Record<UnitName, UnitFunction>;
  readonly api: Api;
  readonly lifecycle: Lifecycle;
  readonly importMachine: FileStateMachine;
  readonly exportMachine: FileStateMachine;
  readonly observability: Observability;
  readonly rotationSchedule: Rule;
  /**
   * What direct mode needs to find and read the store as its functions do (the bucket, the
   * index table, the settings): give it to the application, e.g. as its function's
   * environment, and pass it to `AlkiClient.direct({ env })`.
   */
  readonly directEnvironment: Readonly<Record<string, string>>;
  private readonly grantArns: Readonly<Record<GrantTarget, string>>;
  private readonly grantWildcards: Partial<Record<GrantTarget, { resource: string; reason: string }>>;

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
      purgeWithinMs: settings.purgeWithinMs,
    });
    const { indexTable, bucket } = this.storage;
    const environment = {
      ...settingsToEnv(settings),
      [RESOURCE_ENV.bucket]: bucket.bucketName,
      [RESOURCE_ENV.indexTable]: indexTable.tableName,
    };
    const budget = defaultBudget(settings.peakWritesPerSecond, {
      ...(props.accountConcurrency !== undefined ? { account: props.accountConcurrency } : {}),
      ...(props.ingestConcurrency !== undefined ? { ingest: props.ingestConcurrency } : {}),
      ...(props.readConcurrency !== undefined ? { read: props.readConcurrency } : {}),
      ...(props.backgroundConcurrency !== undefined ? { background: props.backgroundConcurrency } : {}),
    });
    const { reserved, problems } = reservedConcurrency(budget);
    if (problems.length > 0) throw new Error(`AlkiStore: ${problems.join('; ')}`);
    const unit = (u: UnitName): UnitFunction =>
      new UnitFunction(this, UNITS[u].name, {
        unit: u,
        prefix: settings.prefix,
        environment,
        logRetention,
        removalPolicy: logRemoval,
        reservedConcurrency: reserved[u],
        tracing: !DATA_PLANE.has(u) || (props.dataPlaneTracing ?? false),
      });
    this.functions = {
      ingest: unit('ingest'),
      read: unit('read'),
      rotate: unit('rotate'),
      offload: unit('offload'),
      verify: unit('verify'),
      rescan: unit('rescan'),
      compact: unit('compact'),
      commit: unit('commit'),
      gc: unit('gc'),
      transfers: unit('transfers'),
      importer: unit('importer'),
      exporter: unit('exporter'),
    };

    this.api = new Api(this, 'Api', {
      prefix: settings.prefix,
      functions: { ingest: this.functions.ingest.fn, read: this.functions.read.fn, transfers: this.functions.transfers.fn },
      // Defaults follow the workload the store is sized for (peakWritesPerSecond).
      rateLimit: props.apiRateLimit ?? apiThrottle(settings.peakWritesPerSecond).rateLimit,
      burstLimit: props.apiBurstLimit ?? apiThrottle(settings.peakWritesPerSecond).burstLimit,
      accessLogs: props.apiAccessLogs ?? true,
      logRetention,
      removalPolicy: logRemoval,
    });

    // Where both state machines' Distributed Maps read their items and write their results: the job's spills prefix.
    const maps = { bucket: bucket.bucketArn, objects: bucket.arnForObjects(SPILL_OBJECTS) };
    const spillPattern = `${arnRef(bucket)}/${SPILL_OBJECTS}`;
    // The lifecycle's interval unless set: a quarter period, from a minute to an hour.
    const every = Duration.millis(
      props.lifecycleEvery !== undefined
        ? Math.max(60_000, Math.round(parseEvery(props.lifecycleEvery) / 60_000) * 60_000)
        : defaultLifecycleIntervalMs(settings.periodMs),
    );
    // A hot table outlives a delete by up to three lifecycle intervals: the purge window must hold twice that at this schedule.
    if (settings.purgeWithinMs !== undefined && settings.purgeWithinMs < 2 * hotBoundMs(settings, every.toMilliseconds())) {
      throw new Error(
        `purgeWithin is too short for lifecycleEvery ${props.lifecycleEvery}: a hot table outlives a delete by up to ${formatDuration(hotBoundMs(settings, every.toMilliseconds()))}, which must fit in half of it`,
      );
    }
    this.lifecycle = new Lifecycle(this, 'Lifecycle', {
      prefix: settings.prefix,
      functions: Object.fromEntries(
        (['rotate', 'offload', 'verify', 'rescan', 'compact', 'commit', 'gc'] as const).map((u) => [arnPlaceholder(u), this.functions[u].fn]),
      ),
      every,
      logRetention,
      removalPolicy: logRemoval,
      maps,
    });
    acknowledgeMachine(this.lifecycle, `${settings.prefix}-lifecycle`, spillPattern);
    // Rotation on its own schedule: the horizon of ready tables holds while the lifecycle is stopped.
    const rotationEvery = Duration.millis(rotationIntervalMs(settings.periodMs));
    this.rotationSchedule = new Rule(this, 'RotationSchedule', {
      description: `Keeps the next ${settings.rotateAhead} periods' hot tables ready`,
      schedule: Schedule.rate(rotationEvery),
      targets: [new LambdaFunction(this.functions.rotate.fn, { retryAttempts: 2 })],
    });

    // The import and export machines: started by the transfers function's API, which is told their ARNs.
    const apiMachine = (id: string, machine: 'import' | 'export', units: readonly UnitName[], timeoutSeconds: number, arnEnv: string): FileStateMachine => {
      const m = new FileStateMachine(this, id, {
        prefix: settings.prefix,
        machine,
        functions: Object.fromEntries(units.map((u) => [arnPlaceholder(u), this.functions[u].fn])),
        logRetention,
        removalPolicy: logRemoval,
        timeout: Duration.seconds(timeoutSeconds),
        maps,
      });
      acknowledgeMachine(m, `${settings.prefix}-${machine}`, spillPattern);
      this.functions.transfers.fn.addEnvironment(arnEnv, m.stateMachine.stateMachineArn);
      return m;
    };
    this.importMachine = apiMachine('Import', 'import', ['importer', 'verify', 'commit'], EXECUTION_TIMEOUT_SECONDS.import, IMPORT_STATE_MACHINE_ENV);
    this.exportMachine = apiMachine('Export', 'export', ['exporter'], EXECUTION_TIMEOUT_SECONDS.export, EXPORT_STATE_MACHINE_ENV);

    // Least privilege, per function: exactly what its adapters declare (lambda/access.ts).
    const arns: Record<GrantTarget, string> = {
      indexTable: indexTable.tableArn,
      hotTables: this.storage.hotTablesArn(),
      bucket: bucket.bucketArn,
      runObjects: bucket.arnForObjects(RUN_OBJECTS),
      manifestObjects: bucket.arnForObjects(MANIFEST_OBJECTS),
      spillObjects: maps.objects,
      importObjects: bucket.arnForObjects(IMPORT_OBJECTS),
      importStateMachine: this.importMachine.stateMachine.stateMachineArn,
      exportObjects: bucket.arnForObjects(EXPORT_OBJECTS),
      exportStateMachine: this.exportMachine.stateMachine.stateMachineArn,
      // By name: the machine's own ARN would make a cycle (it names the rotate function, whose policy would name it).
      lifecycleStateMachine: Stack.of(this).formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: `${settings.prefix}-lifecycle`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      jobRecords: indexTable.tableArn,
      checkpointRecords: indexTable.tableArn,
      writtenMarks: indexTable.tableArn,
      scalableTargets: '*',
      // The alarms target tracking creates are named TargetTracking-<resource id>-<kind>-<uuid>, the resource id table/<name>.
      scalingAlarms: Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `TargetTracking-table/${settings.prefix}-hot-*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      scalingServiceRole: Stack.of(this).formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: `aws-service-role/${DYNAMODB_SCALING_ROLE.service}/${DYNAMODB_SCALING_ROLE.name}`,
      }),
    };
    // The wildcard targets cdk-nag flags, each with why it must be a pattern.
    const wildcards: Partial<Record<GrantTarget, { resource: string; reason: string }>> = {
      hotTables: {
        resource: `arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/${settings.prefix}-hot-*`,
        reason: `Hot tables are created per period at run time by rotate; all share this store's name prefix "${settings.prefix}-hot-".`,
      },
      runObjects: {
        resource: `${arnRef(bucket)}/${RUN_OBJECTS}`,
        reason: 'Cold runs are written at run time as runs/<runId>/<part>.blob; this function needs any run, nothing else in the bucket.',
      },
      manifestObjects: {
        resource: `${arnRef(bucket)}/${MANIFEST_OBJECTS}`,
        reason: 'Each manifest commit puts a snapshot named by its version (manifest/<n>.json), known only at run time; nothing else in the bucket.',
      },
      spillObjects: { resource: spillPattern, reason: 'Spills are temporary objects spills/<jobId>/..., created per offload or import job at run time.' },
      importObjects: {
        resource: `${arnRef(bucket)}/${IMPORT_OBJECTS}`,
        reason: 'Import files are uploaded at run time as imports/<importId>/input-<n>.ndjson; nothing else in the bucket.',
      },
      exportObjects: {
        resource: `${arnRef(bucket)}/${EXPORT_OBJECTS}`,
        reason: 'Export objects are written at run time as exports/<exportId>/<range>-<part>.ndjson.gz with a manifest; nothing else in the bucket.',
      },
      scalableTargets: {
        resource: '*',
        reason:
          "Application Auto Scaling names a scalable target by a generated id, not by its table, so a policy cannot name the hot tables' targets; rotate registers and deregisters only its own hot tables.",
      },
      scalingAlarms: {
        resource: `arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:TargetTracking-table/${settings.prefix}-hot-*`,
        reason:
          'Application Auto Scaling checks the caller may manage the target tracking alarms it creates for the hot tables; it names them TargetTracking-table/<table>-<kind>-<uuid>, so only the uuid and the period are not known before.',
      },
    };
    this.grantArns = arns;
    this.grantWildcards = wildcards;
    for (const u of Object.keys(UNIT_GRANTS) as UnitName[]) this.grantTo(this.functions[u].role, UNIT_GRANTS[u]);
    this.directEnvironment = environment;

    this.observability = new Observability(this, 'Observability', {
      prefix: settings.prefix,
      api: this.api.httpApi,
      functions: Object.fromEntries(Object.entries(this.functions).map(([k, f]) => [k, f.fn])) as Record<UnitName, UnitFunction['fn']>,
      indexTable,
      lifecycle: this.lifecycle.stateMachine,
      lifecycleLogs: this.lifecycle.logs,
      lifecycleEvery: every,
      rotationEvery,
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
    output('ExportStateMachineArn', this.exportMachine.stateMachine.stateMachineArn, 'Sorted export state machine');
    output('DashboardName', this.observability.dashboard.dashboardName, 'CloudWatch dashboard');
  }
  /**
   * A function's grants on its role: each grant's actions on its target's ARN, with its
   * condition; the Sid names the target, so the IAM report can tell which grant allowed a
   * call. The wildcards it holds are acknowledged, each with its reason.
   */
  private grantTo(role: IRole, grants: readonly Grant[]): void {
    for (const g of grants) {
      const { actions, resourceArns, conditions } = this.grantOn(g);
      role.addToPrincipalPolicy(new PolicyStatement({ sid: g.on, actions, resources: resourceArns, ...(conditions ? { conditions } : {}) }));
    }
    this.acknowledgeGrants(role, grants);
  }

  /** The same grants on an application's principal, for direct mode. */
  private grantDirect(grantee: IGrantable, grants: readonly Grant[]): IamGrant {
    const principal = grantee.grantPrincipal;
    if (!('node' in principal))
      throw new Error('grantDirect*: the grantee must be a role, or a function with its role, whose policy this construct can extend');
    const result = grants.map((g) => IamGrant.addToPrincipal({ grantee, ...this.grantOn(g) })).reduce((all, one) => all.combine(one));
    this.acknowledgeGrants(principal as IPrincipal & IConstruct, grants);
    return result;
  }

  /** A grant's actions on its target's ARN, with the target's condition (lambda/store/grants.ts). */
  private grantOn(g: Grant): { actions: string[]; resourceArns: string[]; conditions?: Record<string, Record<string, unknown>> } {
    const conditions = GRANT_CONDITIONS[g.on];
    return {
      actions: [...g.actions],
      resourceArns: [this.grantArns[g.on]],
      ...(conditions ? { conditions: conditions as Record<string, Record<string, unknown>> } : {}),
    };
  }

  /** The wildcards the grants hold, acknowledged on the principal with their reasons. */
  private acknowledgeGrants(principal: IConstruct, grants: readonly Grant[]): void {
    acknowledgeWildcards(
      principal,
      grants.flatMap((g) => this.grantWildcards[g.on] ?? []),
    );
  }

  private grantRoutes(grantee: IGrantable, units: readonly Unit[]): IamGrant {
    const routes = ROUTES.filter((r) => units.includes(r.unit));
    const resourceArns = [...new Set(routes.map((r) => this.api.httpApi.arnForExecuteApi(r.method, routeResource(r.path), '$default')))];
    const grant = IamGrant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns });
    const principal = grantee.grantPrincipal;
    if ('node' in principal) {
      const api = `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:${refOf(this.api.httpApi)}/$default`;
      const parameterized = [...new Set(routes.filter((r) => r.path.includes('{')).map((r) => `${api}/${r.method}${routeResource(r.path)}`))];
      acknowledgeWildcards(
        principal as IPrincipal & IConstruct,
        parameterized.map((resource) => ({
          resource,
          reason:
            'An API route with path parameters (a key, a checkpoint, an import or export id): "*" stands for the parameter, on exactly this route of this store\'s API.',
        })),
      );
    }
    return grant;
  }

  /** Calling the API's write routes (PUT and DELETE of an item, batch write): execute-api:Invoke on exactly those. */
  grantWrite(grantee: IGrantable): IamGrant {
    return this.grantRoutes(grantee, ['ingest']);
  }

  /** Calling the API's read routes (items, queries, batch get, checkpoints, runs, status). */
  grantRead(grantee: IGrantable): IamGrant {
    return this.grantRoutes(grantee, ['read']);
  }

  grantReadWrite(grantee: IGrantable): IamGrant {
    return this.grantRoutes(grantee, ['ingest', 'read']);
  }

  /** Calling the API's import and export routes. */
  grantImportExport(grantee: IGrantable): IamGrant {
    return this.grantRoutes(grantee, ['transfers']);
  }

  /** Direct mode's writes (AlkiClient.direct): exactly what the ingest function's calls need, on the same resources. */
  grantDirectWrite(grantee: IGrantable): IamGrant {
    return this.grantDirect(grantee, DIRECT_GRANTS.write);
  }

  /** Direct mode's reads and checkpoints: exactly what the read function's calls need. */
  grantDirectRead(grantee: IGrantable): IamGrant {
    return this.grantDirect(grantee, DIRECT_GRANTS.read);
  }

  grantDirectReadWrite(grantee: IGrantable): IamGrant {
    return this.grantDirect(grantee, mergeGrants(DIRECT_GRANTS.write, DIRECT_GRANTS.read));
  }
}

/** An API route's path as an execute-api resource: each parameter any text (`*` spans slashes, as `{sk+}` does). */
const routeResource = (path: string): string => path.replace(/\{\w+\+?\}/g, '*');

/**
 * What every state machine's role needs and cdk-nag flags: its own functions' versions, log
 * delivery and X-Ray, and its Distributed Maps' child executions and job objects.
 */
function acknowledgeMachine(m: { stateMachine: StateMachine; functions: Readonly<Record<string, IFunction>> }, name: string, mapObjects: string): void {
  acknowledgeWildcards(m.stateMachine.role, [
    ...Object.values(m.functions).map((fn) => ({
      resource: `${arnRef(fn)}:*`,
      reason: 'Invoking the function\'s versions and aliases (":*") of the state machine\'s own Task functions.',
    })),
    { resource: '*', reason: 'CloudWatch Logs delivery (logs:CreateLogDelivery and related) and X-Ray accept only Resource "*" (AWS requirement).' },
    {
      resource: `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}/*`,
      reason:
        "The child executions of the machine's own Distributed Maps (execution:<machine>/<map label>:<id>), named by Step Functions at run time (AWS's documented policy for a Distributed Map).",
    },
    { resource: mapObjects, reason: 'The item lists and results of the Distributed Maps, under spills/<jobId>/maps/, written per job at run time.' },
  ]);
}

function parseEvery(text: string): number {
  const m = /^(\d+)(m|h)$/.exec(text);
  if (!m) throw new Error(`lifecycleEvery must be minutes or hours like 15m or 1h, not "${text}"`);
  return Number(m[1]) * (m[2] === 'h' ? 3_600_000 : 60_000);
}

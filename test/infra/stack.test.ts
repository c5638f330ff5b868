/**
 * The CDK app, asserted on its synthesized template: resources and settings, IAM per
 * function, routes, the state machine from its file, and a clean cdk-nag run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, it } from '@jest/globals';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { openApiPath } from '../../lambda/api/openapi.ts';
import { ROUTES } from '../../lambda/api/routes.ts';
import { serviceName, UNITS, type UnitName } from '../../lambda/units.ts';
import { COLD_START_METRIC, EXECUTION_ERRORS, METRIC_NAMESPACE, METRICS, STORE_DIMENSION } from '../../lambda/core/metrics.ts';
import { INDEX_TABLE } from '../../lambda/core/schema.ts';
import { AlkiStack } from '../../lib/alki-stack.ts';
import { UNIT_GRANTS } from '../../lambda/access.ts';
import { DISTRIBUTED_MAP_ACTIONS, placeholders, STATE_MACHINES_DIR } from '../../lib/lifecycle.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** The app as `cdk synth` makes it; without bundling the functions unless asked (only the template matters to most tests). */
function synth(context: Record<string, unknown> = {}, bundle = false): { app: App; stack: AlkiStack; template: Template } {
  const app = new App({ context: { 'alki:prefix': 'alki', ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context } });
  const stack = new AlkiStack(app, 'Alki');
  return { app, stack, template: Template.fromStack(stack) };
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('AlkiStore (CDK)', () => {
  let template: Template;
  let stack: AlkiStack;
  let resources: Record<string, Resource>;

  beforeAll(() => {
    ({ template, stack } = synth({}, true));
    resources = template.toJSON().Resources as Record<string, Resource>;
  });

  /** Policy statements of the role a function uses. */
  function statementsOf(unit: UnitName): Statement[] {
    const roleId = stack.resolve((stack.store.functions[unit].role.node.defaultChild as CfnElement).logicalId) as string;
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }

  it('makes the index table from the shared schema: on demand, PITR, deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'alki-index',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: INDEX_TABLE.keySchema.map((k) => ({ ...k })),
        AttributeDefinitions: Match.arrayWith(INDEX_TABLE.attributeDefinitions.map((a) => ({ ...a }))),
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
      }),
    });
  });

  it('makes an encrypted, versioned, private, TLS-only bucket with lifecycle rules, retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
            Match.objectLike({ Prefix: 'spills/', ExpirationInDays: 7 }),
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          ]),
        },
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('under a purge window, keeps nothing deleted longer than a quarter of it: lifecycle rules, backups; and passes the policy and window to every function', () => {
    const { template: t } = synth({ 'alki:purgeWithin': '30d', 'alki:compaction': 'multi' });
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
          Match.objectLike({ Prefix: 'spills/', ExpirationInDays: 7 }),
          Match.objectLike({ Prefix: 'imports/', ExpirationInDays: 7 }),
          Match.objectLike({ Prefix: 'exports/', ExpirationInDays: 7 }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 } })],
    });
    const fns = Object.values(t.toJSON().Resources as Record<string, Resource>).filter((r) => r.Type === 'AWS::Lambda::Function');
    for (const f of fns) {
      const env = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      assert.equal(env.ALKI_PURGE_WITHIN, '30d');
      assert.equal(env.ALKI_COMPACTION, 'multi');
    }
    // Without a window: a month of noncurrent versions as a recovery window, 35 days of backups.
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 } })],
    });
    // S3 lifecycle rules count whole days, once a day: a shorter window cannot be kept on AWS.
    assert.throws(() => synth({ 'alki:purgeWithin': '3d' }), /purgeWithin must be at least 4d on AWS/);
    // A slow lifecycle keeps hot tables longer: the window must still hold twice that.
    assert.throws(
      () => synth({ 'alki:purgeWithin': '4d', 'alki:lifecycleEvery': '12h' }),
      /purgeWithin is too short for lifecycleEvery 12h: a hot table outlives a delete by up to/,
    );
  });

  it('lets GC list and delete object versions (a purge deletes every version of what it deletes)', () => {
    const gc = statementsOf('gc');
    assert.ok(gc.some((st) => actionsOf(st).includes('s3:ListBucketVersions')));
    assert.ok(gc.some((st) => actionsOf(st).includes('s3:DeleteObjectVersion')));
    for (const unit of Object.keys(UNITS) as UnitName[]) {
      if (unit === 'gc') continue;
      assert.ok(!statementsOf(unit).some((st) => actionsOf(st).some((a) => a.includes('Version'))), unit);
    }
  });

  it('has in API Gateway exactly the operations of docs/openapi.json, besides the catch-all route', () => {
    const doc = JSON.parse(readFileSync('docs/openapi.json', 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const deployed = Object.values(resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey !== 'ANY /{proxy+}')
      .map((r) => openApiPath(r.Properties.RouteKey as string));
    assert.deepEqual(deployed.sort(), documented.sort());
  });

  it('serves every route with AWS_IAM, plus a default route to the read function', () => {
    const routes = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
    const keys = routes.map((r) => r.Properties.RouteKey as string).sort();
    assert.deepEqual(keys, [...ROUTES.map((r) => `${r.method} ${r.path}`), 'ANY /{proxy+}'].sort());
    for (const r of routes) assert.equal(r.Properties.AuthorizationType, 'AWS_IAM', r.Properties.RouteKey as string);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 4000 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') }),
    });
  });

  it("runs each handler on Node 24, arm64, with its own role and log group, JSON logs without Lambda's per-request lines, the lifecycle traced", () => {
    const fns = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    assert.equal(fns.length, Object.keys(UNITS).length);
    const roles = new Set(fns.map((f) => JSON.stringify(f.Properties.Role)));
    assert.equal(roles.size, fns.length);
    for (const f of fns) {
      assert.equal(f.Properties.Runtime, 'nodejs24.x');
      assert.deepEqual(f.Properties.Architectures, ['arm64']);
      const unit = String(f.Properties.Description);
      const dataPlane = unit === UNITS.ingest.description || unit === UNITS.read.description;
      // The API's functions are not traced by default (dataPlaneTracing): at their rates, traces cost more than they tell.
      assert.deepEqual(f.Properties.TracingConfig, { Mode: dataPlane ? 'PassThrough' : 'Active' });
      assert.deepEqual(
        { ...(f.Properties.LoggingConfig as Record<string, unknown>), LogGroup: undefined },
        { LogGroup: undefined, LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
      );
      const env = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      assert.equal(env.ALKI_PERIOD, '1d');
      assert.ok(env.ALKI_BUCKET && env.ALKI_INDEX_TABLE);
    }
    // One per function, one per state machine (three), the API's access log.
    template.resourceCountIs('AWS::Logs::LogGroup', Object.keys(UNITS).length + 4);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('grants each function only its own actions (no "*" beyond X-Ray, log delivery and the auto scaling AWS checks)', () => {
    const allowed = (unit: UnitName): string[] => [...new Set(statementsOf(unit).flatMap(actionsOf))].sort();
    // ingest reads a key's versions, hot and cold, for a conditional write, and checks the other writable table in a transaction.
    assert.deepEqual(allowed('ingest'), [
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    assert.ok(
      !JSON.stringify(statementsOf('ingest')).includes('TransactWriteItems'),
      'a transaction is authorized action by action; there is no TransactWriteItems action',
    );
    // read may list the bucket: without it S3 answers a missing blob 403, not 404, and the re-read never happens.
    assert.deepEqual(allowed('read'), [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    // Its writes: checkpoints, and nothing else of the index table.
    const writes = statementsOf('read').filter((st) => actionsOf(st).some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:DeleteItem'));
    assert.equal(writes.length, 1);
    assert.deepEqual(writes[0]!.Condition, { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['checkpoint'] } });
    // Rotation sizes hot tables and attaches auto scaling (hotCapacity provisioned), whatever the mode: a store switched back to on-demand converges its tables.
    assert.deepEqual(allowed('rotate'), [
      'application-autoscaling:DeregisterScalableTarget',
      'application-autoscaling:PutScalingPolicy',
      'application-autoscaling:RegisterScalableTarget',
      'cloudwatch:DeleteAlarms',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:PutMetricAlarm',
      'dynamodb:CreateTable',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:TagResource',
      'dynamodb:UpdateTable',
      'iam:CreateServiceLinkedRole',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:PutObject',
      'states:ListExecutions',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    // Only the service-linked role of DynamoDB's auto scaling may be created.
    const slr = statementsOf('rotate').find((st) => actionsOf(st).includes('iam:CreateServiceLinkedRole'))!;
    assert.match(
      JSON.stringify(slr.Resource),
      /role\/aws-service-role\/dynamodb\.application-autoscaling\.amazonaws\.com\/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable/,
    );
    const base = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
    const own = (u: UnitName): string[] => allowed(u).filter((a) => !base.includes(a));
    assert.deepEqual(
      own('verify'),
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan', 's3:GetObject', 's3:ListBucket'],
      'verify reads, and records under its job',
    );
    // Its one write: items of partitions job#*, never the manifest's or a run's index items.
    const record = statementsOf('verify').find((st) => actionsOf(st).includes('dynamodb:PutItem'))!;
    assert.deepEqual(record.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['job#*'] } });
    // The re-scan reads the sealed table and its job, and records under it: no bucket, no other item.
    assert.deepEqual(own('rescan'), ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'], 'rescan scans, and records under its job');
    const rescanRecord = statementsOf('rescan').find((st) => actionsOf(st).includes('dynamodb:PutItem'))!;
    assert.deepEqual(rescanRecord.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['job#*'] } });
    assert.deepEqual(own('commit'), ['dynamodb:GetItem', 'dynamodb:PutItem', 's3:PutObject']);
    // Every committer puts the manifest's snapshot in the bucket, under manifest/ and nowhere else with that grant.
    for (const u of ['rotate', 'commit', 'gc'] as const) {
      const snapshot = statementsOf(u).find((st) => st.Sid === 'manifestObjects');
      assert.ok(snapshot, u);
      assert.deepEqual(actionsOf(snapshot), ['s3:PutObject'], u);
      assert.match(JSON.stringify(snapshot.Resource), /\/manifest\/\*/, u);
    }
    assert.ok(!own('offload').includes('dynamodb:DeleteTable') && !own('compact').includes('dynamodb:DeleteTable'));
    // Every writer of runs sweeps its range: it lists, and deletes what a bad attempt left, in runs/ only.
    for (const u of ['offload', 'compact', 'importer'] as const) {
      assert.ok(own(u).includes('s3:ListBucket') && own(u).includes('dynamodb:Query'), u);
      const del = statementsOf(u).filter((st) => actionsOf(st).includes('s3:DeleteObject'));
      assert.equal(del.length, 1, u);
      assert.match(JSON.stringify(del[0]!.Resource), /\/runs\/\*/, u);
    }
    // Each function is granted exactly what its adapters declare (lambda/access.ts), on its own resources.
    for (const u of Object.keys(UNIT_GRANTS) as UnitName[]) {
      assert.deepEqual(own(u), [...new Set(UNIT_GRANTS[u].flatMap((g) => g.actions))].sort(), u);
    }
    assert.ok(own('gc').includes('dynamodb:DeleteTable'));
    // The imports API signs upload URLs for imports/ only, download URLs for exports/ only, and starts the import and export machines; it reads no run.
    assert.deepEqual(own('transfers'), ['dynamodb:GetItem', 'dynamodb:PutItem', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'states:StartExecution']);
    assert.match(JSON.stringify(statementsOf('transfers').find((st) => actionsOf(st).includes('s3:GetObject'))!.Resource), /exports\/\*/);
    assert.match(JSON.stringify(statementsOf('transfers').find((st) => actionsOf(st).includes('s3:PutObject'))!.Resource), /imports\/\*/);
    // The importer deletes only what its own range writes left (runs/*, checked above), never uploads or tables.
    assert.ok(!own('importer').some((a) => a.startsWith('dynamodb:') && a.includes('Table')));
    for (const r of Object.values(resources).filter((x) => x.Type === 'AWS::IAM::Policy')) {
      for (const s of (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        if (s.Resource !== '*') continue;
        // Application Auto Scaling names targets by generated ids, and checks alarms it names itself (lambda/store/table-scaling.ts).
        for (const a of actionsOf(s)) {
          assert.match(
            a,
            /^(xray:\w+|logs:(Create|Get|Update|Delete|List|Describe|Put)\w*(LogDelivery|LogDeliveries|ResourcePolicy|ResourcePolicies|LogGroups)|application-autoscaling:(Register|Deregister)ScalableTarget|application-autoscaling:PutScalingPolicy|cloudwatch:(PutMetricAlarm|DescribeAlarms|DeleteAlarms))$/,
            `${a} on "*"`,
          );
        }
      }
    }
    const hot = statementsOf('ingest').find((s) => actionsOf(s).includes('dynamodb:PutItem'))!;
    assert.match(JSON.stringify(hot.Resource), /table\/alki-hot-\*/);
  });

  it('loads the lifecycle from statemachines/ with every placeholder substituted', () => {
    const asl = readFileSync(`${STATE_MACHINES_DIR}lifecycle.asl.json`, 'utf8');
    const sm = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    assert.equal(sm.Properties.DefinitionString, asl);
    const subs = sm.Properties.DefinitionSubstitutions as Record<string, unknown>;
    assert.deepEqual(Object.keys(subs).sort(), placeholders(asl).sort());
    for (const v of Object.values(subs)) assert.match(JSON.stringify(v), /Fn::GetAtt.*Arn/);
    assert.deepEqual(sm.Properties.TracingConfiguration, { Enabled: true });
    assert.equal((sm.Properties.LoggingConfiguration as { Level: string }).Level, 'ALL');
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', Targets: [Match.objectLike({ Arn: Match.anyValue() })] });
  });

  it('lets each state machine run its Distributed Maps: its own child executions, its job objects, nothing more', () => {
    for (const machine of ['lifecycle', 'import'] as const) {
      const sm = machine === 'lifecycle' ? stack.store.lifecycle.stateMachine : stack.store.importMachine.stateMachine;
      const roleId = stack.resolve((sm.role.node.defaultChild as CfnElement).logicalId) as string;
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: (Statement & { Sid?: string })[] }).Statement);
      const sid = (id: string): Statement & { Sid?: string } => statements.find((x) => x.Sid === id)!;
      assert.deepEqual(actionsOf(sid('MapChildren')), [...DISTRIBUTED_MAP_ACTIONS.machine]);
      assert.match(JSON.stringify(sid('MapChildren').Resource), new RegExp(`:stateMachine:alki-${machine}"`));
      assert.deepEqual(actionsOf(sid('MapChildExecutions')), [...DISTRIBUTED_MAP_ACTIONS.childExecutions]);
      assert.match(JSON.stringify(sid('MapChildExecutions').Resource), new RegExp(`:execution:alki-${machine}/\\*"`));
      assert.deepEqual(actionsOf(sid('MapObjects')), [...DISTRIBUTED_MAP_ACTIONS.objects]);
      assert.match(JSON.stringify(sid('MapObjects').Resource), /\/spills\/\*"/);
      assert.deepEqual(actionsOf(sid('MapBucket')), ['s3:ListBucket']);
    }
  });

  it('loads the import state machine, started only by the imports function', () => {
    const asl = readFileSync(`${STATE_MACHINES_DIR}import.asl.json`, 'utf8');
    const sm = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties.DefinitionString === asl);
    assert.ok(sm, 'the import machine is the file as written');
    assert.deepEqual(Object.keys(sm.Properties.DefinitionSubstitutions as Record<string, unknown>).sort(), placeholders(asl).sort());
    const fn = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables.ALKI_IMPORT_STATE_MACHINE_ARN,
    );
    assert.ok(fn, 'the imports function knows the machine');
    template.hasOutput('ImportStateMachineArn', {});
  });

  it("runs rotation on its own schedule, straight to the rotate function, and rotate may list the lifecycle's executions", () => {
    const rotate = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).includes('create and register the next periods'),
    )!;
    const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule');
    assert.equal(rules.length, 2, 'the lifecycle and rotation');
    const rotation = rules.find((r) => JSON.stringify(r.Properties.Targets).includes(rotate[0]))!;
    // Every 15 minutes on daily periods (the lifecycle: hourly): the lead of a provisioned table.
    assert.equal(rotation.Properties.ScheduleExpression, 'rate(15 minutes)');
    assert.ok(
      rules.some((r) => r.Properties.ScheduleExpression === 'rate(1 hour)'),
      'the lifecycle, hourly',
    );
    const list = statementsOf('rotate').find((st) => actionsOf(st).includes('states:ListExecutions'))!;
    assert.match(JSON.stringify(list.Resource), /stateMachine:alki-lifecycle/);
  });

  it('has a dashboard and the alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const metrics = alarms.flatMap((a) => (a.Properties.MetricName ? [a.Properties.MetricName] : [])).sort();
    assert.deepEqual(metrics, ['5xx', 'ExecutionsFailed', 'OffloadLagPeriods', 'RotationHorizonPeriods', 'VerificationFailed']);
    // Throttling, as sums of metrics: the data plane's 429s, Lambda refusing ingest and read, the index table's throttle events.
    const math = alarms
      .filter((a) => !a.Properties.MetricName)
      .map((a) =>
        (a.Properties.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } } }[]).flatMap((m) =>
          m.MetricStat ? [m.MetricStat.Metric] : [],
        ),
      );
    assert.deepEqual(math.map((ms) => ms.map((m) => m.MetricName).sort()).sort(), [
      ['ReadThrottleEvents', 'WriteThrottleEvents'],
      ['ReadsThrottled', 'WritesThrottled'],
      ['Throttles', 'Throttles'],
    ]);
    const indexAlarm = math.find((ms) => ms[0]!.MetricName.endsWith('ThrottleEvents'))!;
    for (const m of indexAlarm) assert.match(JSON.stringify(m.Dimensions), /IndexTable/, "the index table's events");
    // Auto scaling's alarms are named by the hot table they scale: the grant names the store's.
    const alarmGrants = statementsOf('rotate').filter((st) => actionsOf(st).includes('cloudwatch:PutMetricAlarm'));
    assert.equal(alarmGrants.length, 1);
    assert.match(JSON.stringify(alarmGrants[0]!.Resource), /:alarm:TargetTracking-table\/alki-hot-\*/);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: Match.stringLikeRegexp('ExecutionFailed.*VerificationFailed'),
      MetricTransformations: [Match.objectLike({ MetricName: 'VerificationFailed', MetricNamespace: 'Alki' })],
    });
    for (const key of ['ApiUrl', 'BucketName', 'IndexTableName', 'LifecycleStateMachineArn', 'DashboardName']) template.hasOutput(key, {});
  });

  it('reads on its dashboard and alarms exactly the metrics the functions emit, under the dimensions Powertools gives them', () => {
    const dashboard = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!;
    // The body is a join of strings and references (names of functions): references become placeholders.
    const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join('')) as { widgets: { properties: { metrics?: unknown[][] } }[] };
    const read = body.widgets.flatMap((w) => w.properties.metrics ?? []).filter((m) => m[0] === METRIC_NAMESPACE);
    const dims = (m: unknown[]): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (let i = 2; i + 1 < m.length && typeof m[i] === 'string'; i += 2) out[m[i] as string] = m[i + 1];
      return out;
    };
    const catalogue = Object.values(METRICS);
    assert.deepEqual([...new Set(read.map((m) => m[1]))].sort(), [...catalogue.map((c) => c.name), COLD_START_METRIC].sort());
    for (const m of read) {
      const d = dims(m);
      assert.equal(d[STORE_DIMENSION], 'alki', JSON.stringify(m));
      const spec = catalogue.find((c) => c.name === m[1]);
      if (spec) {
        assert.equal(d.service, serviceName(spec.unit), JSON.stringify(m));
        if ('by' in spec) assert.ok(spec.by.values.includes(d[spec.by.dimension] as never), JSON.stringify(m));
      } else {
        assert.ok(String(d.service).startsWith('alki-') && d.function_name === 'REF', JSON.stringify(m));
      }
    }
    assert.equal(read.filter((m) => m[1] === COLD_START_METRIC).length, Object.keys(UNITS).length, 'one cold start line per function');
    // Alarms on the functions' own metrics name the emitting service too; VerificationFailed comes from the execution logs.
    for (const a of Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === METRIC_NAMESPACE)) {
      const name = a.Properties.MetricName as string;
      if (name === EXECUTION_ERRORS.verificationFailed) continue;
      const spec = catalogue.find((c) => c.name === name);
      assert.ok(spec, `alarm on ${name}, which no function emits`);
      assert.deepEqual(a.Properties.Dimensions, [
        { Name: STORE_DIMENSION, Value: 'alki' },
        { Name: 'service', Value: serviceName(spec.unit) },
      ]);
    }
  });

  it('keeps the data plane its share of Lambda: ingest and read reserved, the background functions capped by one budget, and refuses budgets that do not fit', () => {
    const reservedOf = (t: Template): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const r of Object.values(t.toJSON().Resources as Record<string, Resource>)) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        const unit = (r.Properties.Environment as { Variables: Record<string, string> }).Variables.POWERTOOLS_SERVICE_NAME!.replace(/^alki-/, '');
        out[unit] = r.Properties.ReservedConcurrentExecutions;
      }
      return out;
    };
    assert.deepEqual(reservedOf(template), {
      ingest: 100,
      read: 100,
      rotate: undefined,
      offload: 100,
      verify: 100,
      rescan: 100,
      compact: 100,
      commit: undefined,
      transfers: undefined,
      importer: 100,
      exporter: 100,
      gc: undefined,
    });
    // Sized for 3,000 writes a second: ingest gets twice its 150 concurrent invocations at the peak.
    const sized = reservedOf(synth({ 'alki:peakWritesPerSecond': 3000, 'alki:backgroundConcurrency': 250 }).template);
    assert.deepEqual([sized.ingest, sized.read, sized.offload, sized.exporter], [300, 100, 41, 41]);
    assert.throws(
      () => synth({ 'alki:peakWritesPerSecond': 10_000 }),
      /reserved concurrency 1700 \(ingest 1000, read 100, background 600\) does not fit an account of 1000 concurrent executions, which must keep 100 unreserved/,
    );
    assert.doesNotThrow(() => synth({ 'alki:peakWritesPerSecond': 10_000, 'alki:accountConcurrency': 3000 }));
    assert.throws(() => synth({ 'alki:backgroundConcurrency': 3 }), /leaves no concurrency to each of the 6 background functions/);
  });

  it('reads its settings from context, and rejects bad ones with a clear message', () => {
    const { template: t } = synth({ 'alki:prefix': 'audit', 'alki:period': '1h', 'alki:removalPolicy': 'destroy', 'alki:hotCapacity': 'provisioned' });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'audit-index' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ALKI_HOT_CAPACITY: 'provisioned' }) } });
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    assert.throws(() => synth({ 'alki:period': '7m' }), /period must divide a day/);
    assert.throws(() => synth({ 'alki:removalPolicy': 'maybe' }), /removalPolicy must be/);
    assert.throws(() => synth({ 'alki:hotCapacity': 'reserved' }), /hot capacity must be on-demand or provisioned/);
  });

  it("turns the front end's per-request costs on and off by context: traces of the API's functions, the API's access log (cdk-nag acknowledged)", () => {
    const { app, template: t } = synth({ 'alki:dataPlaneTracing': 'true', 'alki:apiAccessLogs': 'false' });
    const fns = Object.values(t.toJSON().Resources as Record<string, Resource>).filter((r) => r.Type === 'AWS::Lambda::Function');
    assert.ok(fns.every((f) => (f.Properties.TracingConfig as { Mode: string }).Mode === 'Active'));
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.absent() });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('requestId') }) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    assert.throws(() => synth({ 'alki:apiAccessLogs': 'maybe' }), /alki:apiAccessLogs must be true or false/);
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement justified; an unacknowledged finding fails synth', () => {
    const { app } = synth();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    assert.doesNotThrow(() => app.synth());
    const bad = new App();
    const s = new Stack(bad, 'Bad');
    new Bucket(s, 'Open');
    Validations.of(bad).addPlugins(new AwsSolutionsChecks(bad));
    assert.throws(() => bad.synth(), /AwsSolutions|Validation/);
  });
});

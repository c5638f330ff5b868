/**
 * Application Auto Scaling as the front door serves it (there is no emulator of it), through
 * the real SDK client and dynalite: AWS's validation of targets and policies, and the
 * permission checks AWS makes on the caller beyond the action itself (the table, the
 * CloudWatch alarms it manages, its service-linked role on first use); then the rotate
 * function's adapter (TableScaling) attaching and detaching, each twice.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { provisionedFor } from '../../lambda/core/hot-capacity.ts';
import { HOT_TABLE } from '../../lambda/core/schema.ts';
import { errorName } from '../../lambda/store/aws-errors.ts';
import { scalingPolicyName, scalingResourceId, TableScaling } from '../../lambda/store/table-scaling.ts';
import { SCALING_ROLE_ARN } from '../../local/auto-scaling.ts';
import type { FrontDoor, Principal } from '../../local/front-door/front-door.ts';
import { dynamodbBehindFrontDoor, role } from '../support/front-door.ts';

const TABLES = 'arn:aws:dynamodb:us-east-1:000000000000:table/as-*';
const scalingActions = [
  'application-autoscaling:RegisterScalableTarget',
  'application-autoscaling:PutScalingPolicy',
  'application-autoscaling:DeregisterScalableTarget',
];
const alarms = { Effect: 'Allow' as const, Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'], Resource: '*' };
const onTables = { Effect: 'Allow' as const, Action: ['dynamodb:DescribeTable', 'dynamodb:UpdateTable'], Resource: TABLES };
const ROLES: Record<string, Principal> = {
  // As rotate's role: the actions, and what AWS checks besides.
  SCALER: role('scaler', [
    { Effect: 'Allow', Action: scalingActions, Resource: '*' },
    onTables,
    alarms,
    { Effect: 'Allow', Action: 'iam:CreateServiceLinkedRole', Resource: SCALING_ROLE_ARN },
  ]),
  NO_ALARMS: role('no-alarms', [{ Effect: 'Allow', Action: scalingActions, Resource: '*' }, onTables]),
  NO_TABLE: role('no-table', [{ Effect: 'Allow', Action: scalingActions, Resource: '*' }, alarms]),
  NO_ACTION: role('no-action', [onTables, alarms]),
};

describe('Application Auto Scaling in the front door', () => {
  let door: FrontDoor;
  let stop: () => Promise<void>;
  const credentials = (key: string) => ({ region: 'us-east-1', endpoint: door.url, credentials: { accessKeyId: key, secretAccessKey: 'x' } });
  const scaling = (key: string) => new ApplicationAutoScalingClient(credentials(key));
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => ({ name: 'ok', message: '' }),
      (err: unknown) => ({ name: errorName(err), message: (err as Error).message }),
    );
  const target = (table: string, write = true) => ({
    ServiceNamespace: 'dynamodb' as const,
    ResourceId: scalingResourceId(table),
    ScalableDimension: write ? ('dynamodb:table:WriteCapacityUnits' as const) : ('dynamodb:table:ReadCapacityUnits' as const),
  });
  const policy = (table: string, name = 'p', target_ = 70) => ({
    ...target(table),
    PolicyName: name,
    PolicyType: 'TargetTrackingScaling' as const,
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: target_,
      PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBWriteCapacityUtilization' as const },
    },
  });
  const createTable = async (name: string, provisioned: boolean) => {
    const ddb = new DynamoDBClient(credentials('OPERATOR'));
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: HOT_TABLE.attributeDefinitions.map((a) => ({ ...a })),
        KeySchema: HOT_TABLE.keySchema.map((k) => ({ ...k })),
        ...(provisioned
          ? { BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }
          : { BillingMode: 'PAY_PER_REQUEST' }),
      }),
    );
  };

  beforeAll(async () => {
    ({ door, stop } = await dynamodbBehindFrontDoor(ROLES));
    await createTable('as-provisioned', true);
    await createTable('as-on-demand', false);
  });
  afterAll(() => stop());

  it('checks what AWS checks besides the action: the service-linked role first, the table, the alarms', async () => {
    const register = (key: string) =>
      failure(scaling(key).send(new RegisterScalableTargetCommand({ ...target('as-provisioned'), MinCapacity: 5, MaxCapacity: 100 })));
    assert.match((await register('NO_ACTION')).message, /not authorized to perform: application-autoscaling:RegisterScalableTarget/);
    // The first registration in the account creates the service-linked role: the caller must be allowed to.
    const noRole = await register('NO_TABLE');
    assert.equal(noRole.name, 'AccessDeniedException');
    assert.match(noRole.message, /iam:CreateServiceLinkedRole/);
    assert.equal((await register('SCALER')).name, 'ok');
    // Now the role exists; AWS still checks the caller may describe and update the table.
    const noTable = await register('NO_TABLE');
    assert.equal(noTable.name, 'ValidationException');
    assert.match(noTable.message, /dynamodb:DescribeTable/);
    const noAlarms = await failure(scaling('NO_ALARMS').send(new PutScalingPolicyCommand(policy('as-provisioned'))));
    assert.equal(noAlarms.name, 'ValidationException');
    assert.match(noAlarms.message, /cloudwatch:PutMetricAlarm/);
    assert.equal((await failure(scaling('SCALER').send(new PutScalingPolicyCommand(policy('as-provisioned'))))).name, 'ok');
    assert.equal((await failure(scaling('NO_ALARMS').send(new DeregisterScalableTargetCommand(target('as-provisioned'))))).name, 'ValidationException');
    assert.equal((await failure(scaling('SCALER').send(new DeregisterScalableTargetCommand(target('as-provisioned'))))).name, 'ok');
  });

  it('validates targets and policies as AWS does', async () => {
    const c = scaling('SCALER');
    const register = (input: Partial<Parameters<typeof c.send>[0]['input']> & Record<string, unknown>) =>
      failure(c.send(new RegisterScalableTargetCommand({ ...target('as-provisioned'), MinCapacity: 5, MaxCapacity: 100, ...input } as never)));
    assert.deepEqual(await register({ ResourceId: 'dynamo/as-provisioned' }), {
      name: 'ValidationException',
      message: 'Unsupported service namespace, resource type or scalable dimension',
    });
    assert.equal((await register({ MinCapacity: 200 })).name, 'ValidationException');
    assert.equal((await register({ ResourceId: scalingResourceId('as-missing') })).name, 'ValidationException');
    assert.match((await register({ ResourceId: scalingResourceId('as-on-demand') })).message, /not in provisioned billing mode/);
    // A policy needs its target; deregistering what is not registered is ObjectNotFound.
    assert.equal((await failure(c.send(new PutScalingPolicyCommand(policy('as-provisioned'))))).name, 'ObjectNotFoundException');
    assert.equal((await failure(c.send(new DeregisterScalableTargetCommand(target('as-provisioned'))))).name, 'ObjectNotFoundException');
    assert.equal((await register({})).name, 'ok');
    assert.equal((await failure(c.send(new PutScalingPolicyCommand(policy('as-provisioned', 'p', 95))))).name, 'ValidationException');
    assert.equal((await failure(c.send(new PutScalingPolicyCommand(policy('as-provisioned', 'first'))))).name, 'ok');
    // One target tracking policy per metric: a second name for the same metric is refused, the same name replaces.
    assert.match((await failure(c.send(new PutScalingPolicyCommand(policy('as-provisioned', 'second'))))).message, /Only one TargetTrackingScaling policy/);
    assert.equal((await failure(c.send(new PutScalingPolicyCommand(policy('as-provisioned', 'first', 60))))).name, 'ok');
    const policies =
      (await scaling('OPERATOR').send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', ResourceId: scalingResourceId('as-provisioned') })))
        .ScalingPolicies ?? [];
    assert.deepEqual(
      policies.map((p) => [p.PolicyName, p.TargetTrackingScalingPolicyConfiguration?.TargetValue]),
      [['first', 60]],
    );
    // Deregistering deletes the target's policies.
    await c.send(new DeregisterScalableTargetCommand(target('as-provisioned')));
    assert.equal(
      (
        (await scaling('OPERATOR').send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', ResourceId: scalingResourceId('as-provisioned') })))
          .ScalingPolicies ?? []
      ).length,
      0,
    );
  });

  it('TableScaling attaches both dimensions with their ranges and detaches them, each idempotently', async () => {
    const c = scaling('SCALER');
    const adapter = new TableScaling(c);
    const capacity = provisionedFor(50, { readUnits: 12 });
    assert.equal(capacity.mode, 'provisioned');
    if (capacity.mode !== 'provisioned') return;
    const described = async () => {
      const targets =
        (
          await scaling('OPERATOR').send(
            new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: [scalingResourceId('as-provisioned')] }),
          )
        ).ScalableTargets ?? [];
      const policies =
        (await scaling('OPERATOR').send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', ResourceId: scalingResourceId('as-provisioned') })))
          .ScalingPolicies ?? [];
      return {
        targets: targets.map((t) => [t.ScalableDimension, t.MinCapacity, t.MaxCapacity]).sort(),
        policies: policies
          .map((p) => [
            p.PolicyName,
            p.TargetTrackingScalingPolicyConfiguration?.TargetValue,
            p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType,
          ])
          .sort(),
      };
    };
    const expected = {
      targets: [
        ['dynamodb:table:ReadCapacityUnits', capacity.read.min, capacity.read.max],
        ['dynamodb:table:WriteCapacityUnits', capacity.write.min, capacity.write.max],
      ],
      policies: [
        [scalingPolicyName('as-provisioned', 'read'), 70, 'DynamoDBReadCapacityUtilization'],
        [scalingPolicyName('as-provisioned', 'write'), 70, 'DynamoDBWriteCapacityUtilization'],
      ],
    };
    await adapter.attach('as-provisioned', capacity);
    await adapter.attach('as-provisioned', capacity);
    assert.deepEqual(await described(), expected);
    await adapter.detach('as-provisioned');
    await adapter.detach('as-provisioned');
    assert.deepEqual(await described(), { targets: [], policies: [] });
  });
});

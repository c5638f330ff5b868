/**
 * Application Auto Scaling for DynamoDB tables, emulated for the front door (no emulator of
 * it exists): scalable targets and target tracking policies kept in memory, with AWS's
 * validation (namespace, resource id and dimension, capacity range, the table exists and is
 * provisioned, a policy needs its target, one target tracking policy per metric), and the
 * permission checks AWS makes on the caller beyond the action itself: on the table, on the
 * CloudWatch alarms it manages, and the service-linked role it creates on first use. It does
 * not track utilization (dynalite reports no consumed capacity and throttles nothing; see
 * docs/architecture.md), but a range that excludes the current capacity moves it, as AWS does.
 */
import { createHash } from 'node:crypto';
import type { Check } from './iam/requests.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, tableArn } from './iam/stack-model.ts';
import { DYNAMODB_SCALING_ROLE } from '../lambda/store/table-scaling.ts';

/** An error as AWS answers it (400, `__type` the code). */
export class AutoScalingError extends Error {
  readonly code: 'ValidationException' | 'ObjectNotFoundException' | 'UnknownOperationException';

  constructor(code: AutoScalingError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

const TABLE_DIMENSIONS: Readonly<Record<string, string>> = {
  'dynamodb:table:WriteCapacityUnits': 'DynamoDBWriteCapacityUtilization',
  'dynamodb:table:ReadCapacityUnits': 'DynamoDBReadCapacityUtilization',
};

interface Target {
  readonly ServiceNamespace: string;
  readonly ResourceId: string;
  readonly ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  readonly ScalableTargetARN: string;
  readonly CreationTime: number;
}

interface Policy {
  readonly PolicyName: string;
  readonly PolicyARN: string;
  readonly ServiceNamespace: string;
  readonly ResourceId: string;
  readonly ScalableDimension: string;
  readonly PolicyType: string;
  readonly TargetTrackingScalingPolicyConfiguration: { TargetValue: number; PredefinedMetricSpecification?: { PredefinedMetricType: string } };
  readonly Alarms: { AlarmName: string; AlarmARN: string }[];
  readonly CreationTime: number;
}

type Body = Record<string, unknown>;

const alarmArn = (name: string): string => `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${name}`;
export const SCALING_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/aws-service-role/${DYNAMODB_SCALING_ROLE.service}/${DYNAMODB_SCALING_ROLE.name}`;

/** The tables the targets scale (dynalite, reached as the service-linked role would). */
export interface ScaledTables {
  /** Billing mode and provisioned throughput, or undefined if there is no such table. */
  describe(table: string): Promise<{ mode: 'PROVISIONED' | 'PAY_PER_REQUEST'; read: number; write: number } | undefined>;
  setThroughput(table: string, read: number, write: number): Promise<void>;
}

export class LocalAutoScaling {
  private readonly targets = new Map<string, Target>();
  private readonly policies = new Map<string, Policy>();
  private serviceRole = false;
  private readonly tables: ScaledTables;

  constructor(tables: ScaledTables) {
    this.tables = tables;
  }

  private static key(b: Body): string {
    return `${String(b.ServiceNamespace)}|${String(b.ResourceId)}|${String(b.ScalableDimension)}`;
  }

  private static targetArn(key: string): string {
    return `arn:aws:application-autoscaling:${LOCAL_REGION}:${LOCAL_ACCOUNT}:scalable-target/${createHash('sha256').update(key).digest('hex').slice(0, 28)}`;
  }

  /**
   * What IAM must allow: the operation's own action (`direct`, refused as AccessDenied), and
   * what AWS validates the caller could do itself (`implied`, refused as a ValidationException
   * naming the missing permission; the service-linked role as AccessDenied).
   */
  checks(operation: string, b: Body): { direct: Check[]; implied: Check[] } {
    const resource = this.targets.get(LocalAutoScaling.key(b))?.ScalableTargetARN ?? '*';
    const direct = [{ action: `application-autoscaling:${operation}`, resource }];
    const table = /^table\/([^/]+)$/.exec(String(b.ResourceId ?? ''))?.[1];
    const alarms = alarmArn(`TargetTracking-${String(b.ResourceId)}-*`);
    switch (operation) {
      case 'RegisterScalableTarget':
        return {
          direct,
          implied: [
            ...(this.serviceRole
              ? []
              : [{ action: 'iam:CreateServiceLinkedRole', resource: SCALING_ROLE_ARN, context: { 'iam:AWSServiceName': DYNAMODB_SCALING_ROLE.service } }]),
            ...(table
              ? [
                  { action: 'dynamodb:DescribeTable', resource: tableArn(table) },
                  { action: 'dynamodb:UpdateTable', resource: tableArn(table) },
                ]
              : []),
          ],
        };
      case 'PutScalingPolicy':
        return {
          direct,
          implied: [
            { action: 'cloudwatch:PutMetricAlarm', resource: alarms },
            { action: 'cloudwatch:DescribeAlarms', resource: alarms },
          ],
        };
      case 'DeregisterScalableTarget':
      case 'DeleteScalingPolicy':
        return {
          direct,
          implied: [
            { action: 'cloudwatch:DeleteAlarms', resource: alarms },
            { action: 'cloudwatch:DescribeAlarms', resource: alarms },
          ],
        };
      case 'DescribeScalableTargets':
      case 'DescribeScalingPolicies':
        return { direct: [{ action: `application-autoscaling:${operation}`, resource: '*' }], implied: [] };
      default:
        throw new AutoScalingError('UnknownOperationException', `Application Auto Scaling operation ${operation} is not served locally`);
    }
  }

  /** Performs an operation already authorized; answers AWS's JSON or throws AutoScalingError. */
  async handle(operation: string, b: Body): Promise<Body> {
    switch (operation) {
      case 'RegisterScalableTarget':
        return this.register(b);
      case 'PutScalingPolicy':
        return this.putPolicy(b);
      case 'DeregisterScalableTarget':
        return this.deregister(b);
      case 'DeleteScalingPolicy': {
        const key = `${LocalAutoScaling.key(b)}|${String(b.PolicyName)}`;
        if (!this.policies.delete(key))
          throw new AutoScalingError(
            'ObjectNotFoundException',
            `No scaling policy found for service namespace: ${String(b.ServiceNamespace)}, resource ID: ${String(b.ResourceId)}, scalable dimension: ${String(b.ScalableDimension)}, policy name: ${String(b.PolicyName)}`,
          );
        return {};
      }
      case 'DescribeScalableTargets':
        return { ScalableTargets: [...this.targets.values()].filter((t) => matches(t, b)) };
      case 'DescribeScalingPolicies':
        return { ScalingPolicies: [...this.policies.values()].filter((p) => matches(p, b)) };
      default:
        throw new AutoScalingError('UnknownOperationException', `Application Auto Scaling operation ${operation} is not served locally`);
    }
  }

  private async checkTarget(b: Body): Promise<string> {
    const table = /^table\/([^/]+)$/.exec(String(b.ResourceId ?? ''))?.[1];
    if (b.ServiceNamespace !== 'dynamodb' || !table || !TABLE_DIMENSIONS[String(b.ScalableDimension)]) {
      throw new AutoScalingError('ValidationException', 'Unsupported service namespace, resource type or scalable dimension');
    }
    return table;
  }

  private async register(b: Body): Promise<Body> {
    const table = await this.checkTarget(b);
    const t0 = await this.tables.describe(table);
    if (!t0) throw new AutoScalingError('ValidationException', `Unable to find table ${table}`);
    if (t0.mode !== 'PROVISIONED') throw new AutoScalingError('ValidationException', `Table ${table} is not in provisioned billing mode`);
    const key = LocalAutoScaling.key(b);
    const existing = this.targets.get(key);
    const min = b.MinCapacity === undefined ? existing?.MinCapacity : Number(b.MinCapacity);
    const max = b.MaxCapacity === undefined ? existing?.MaxCapacity : Number(b.MaxCapacity);
    if (min === undefined || max === undefined)
      throw new AutoScalingError('ValidationException', 'MinCapacity and MaxCapacity are required to register a new scalable target');
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < 1)
      throw new AutoScalingError('ValidationException', 'MinCapacity and MaxCapacity must be positive integers');
    if (min > max) throw new AutoScalingError('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
    this.serviceRole = true;
    // Capacity outside the new range is brought into it at once, as Application Auto Scaling does.
    const write = String(b.ScalableDimension).endsWith('WriteCapacityUnits');
    const now = write ? t0.write : t0.read;
    const wanted = Math.min(max, Math.max(min, now));
    if (wanted !== now) await this.tables.setThroughput(table, write ? t0.read : wanted, write ? wanted : t0.write);
    if (existing) {
      existing.MinCapacity = min;
      existing.MaxCapacity = max;
      return { ScalableTargetARN: existing.ScalableTargetARN };
    }
    const t: Target = {
      ServiceNamespace: 'dynamodb',
      ResourceId: String(b.ResourceId),
      ScalableDimension: String(b.ScalableDimension),
      MinCapacity: min,
      MaxCapacity: max,
      ScalableTargetARN: LocalAutoScaling.targetArn(key),
      CreationTime: Date.now() / 1000,
    };
    this.targets.set(key, t);
    return { ScalableTargetARN: t.ScalableTargetARN };
  }

  private async putPolicy(b: Body): Promise<Body> {
    await this.checkTarget(b);
    const key = LocalAutoScaling.key(b);
    if (!this.targets.has(key)) {
      throw new AutoScalingError(
        'ObjectNotFoundException',
        `No scalable target registered for service namespace: ${String(b.ServiceNamespace)}, resource ID: ${String(b.ResourceId)}, scalable dimension: ${String(b.ScalableDimension)}`,
      );
    }
    if (b.PolicyType !== 'TargetTrackingScaling') throw new AutoScalingError('ValidationException', 'Only TargetTrackingScaling policies are emulated locally');
    const config = b.TargetTrackingScalingPolicyConfiguration as Policy['TargetTrackingScalingPolicyConfiguration'] | undefined;
    const metric = config?.PredefinedMetricSpecification?.PredefinedMetricType;
    if (!config || typeof config.TargetValue !== 'number')
      throw new AutoScalingError('ValidationException', 'TargetTrackingScalingPolicyConfiguration.TargetValue is required');
    // DynamoDB's range of target utilization (the console's; stricter than the API, if anything).
    if (config.TargetValue < 20 || config.TargetValue > 90)
      throw new AutoScalingError('ValidationException', 'The target value for a DynamoDB scaling policy must be between 20 and 90');
    if (metric !== TABLE_DIMENSIONS[String(b.ScalableDimension)])
      throw new AutoScalingError(
        'ValidationException',
        `Predefined metric ${String(metric)} does not match the scalable dimension ${String(b.ScalableDimension)}`,
      );
    const name = String(b.PolicyName ?? '');
    if (!name) throw new AutoScalingError('ValidationException', 'PolicyName is required');
    for (const p of this.policies.values()) {
      if (
        LocalAutoScaling.key(p as unknown as Body) === key &&
        p.PolicyName !== name &&
        p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification?.PredefinedMetricType === metric
      ) {
        throw new AutoScalingError('ValidationException', 'Only one TargetTrackingScaling policy for a given metric specification is allowed.');
      }
    }
    const id = createHash('sha256').update(`${key}|${name}`).digest('hex').slice(0, 36);
    const alarms = ['AlarmHigh', 'AlarmLow', 'ProvisionedCapacityHigh', 'ProvisionedCapacityLow'].map((a) => {
      const AlarmName = `TargetTracking-${String(b.ResourceId)}-${a}-${id}`;
      return { AlarmName, AlarmARN: alarmArn(AlarmName) };
    });
    const p: Policy = {
      PolicyName: name,
      PolicyARN: `arn:aws:autoscaling:${LOCAL_REGION}:${LOCAL_ACCOUNT}:scalingPolicy:${id}:resource/dynamodb/${String(b.ResourceId)}:policyName/${name}`,
      ServiceNamespace: 'dynamodb',
      ResourceId: String(b.ResourceId),
      ScalableDimension: String(b.ScalableDimension),
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: config,
      Alarms: alarms,
      CreationTime: Date.now() / 1000,
    };
    this.policies.set(`${key}|${name}`, p);
    return { PolicyARN: p.PolicyARN, Alarms: alarms };
  }

  private async deregister(b: Body): Promise<Body> {
    await this.checkTarget(b);
    const key = LocalAutoScaling.key(b);
    if (!this.targets.delete(key)) {
      throw new AutoScalingError(
        'ObjectNotFoundException',
        `No scalable target found for service namespace: ${String(b.ServiceNamespace)}, resource ID: ${String(b.ResourceId)}, scalable dimension: ${String(b.ScalableDimension)}`,
      );
    }
    // Deregistering deletes the target's policies (and their alarms).
    for (const k of [...this.policies.keys()]) if (k.startsWith(`${key}|`)) this.policies.delete(k);
    return {};
  }
}

/** DescribeScalableTargets / DescribeScalingPolicies filters. */
function matches(x: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string; PolicyName?: string }, b: Body): boolean {
  if (b.ServiceNamespace !== undefined && x.ServiceNamespace !== b.ServiceNamespace) return false;
  if (Array.isArray(b.ResourceIds) && !b.ResourceIds.includes(x.ResourceId)) return false;
  if (typeof b.ResourceId === 'string' && x.ResourceId !== b.ResourceId) return false;
  if (b.ScalableDimension !== undefined && x.ScalableDimension !== b.ScalableDimension) return false;
  if (Array.isArray(b.PolicyNames) && !b.PolicyNames.includes(x.PolicyName)) return false;
  return true;
}

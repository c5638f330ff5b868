/**
 * Auto scaling of a provisioned hot table (Application Auto Scaling): a scalable target and a
 * target tracking policy per dimension (write and read capacity, 70% utilization). Attaching
 * is idempotent (RegisterScalableTarget updates a target, PutScalingPolicy replaces a policy
 * of the same name); so is detaching (a target already gone is no error). DynamoDB removes
 * neither when a table is deleted or switched to on-demand through the API, so rotation
 * detaches a table before it switches it back to on-demand at its seal: before the offload,
 * and so long before GC drops it.
 */
import {
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type MetricType,
  type ScalableDimension,
} from '@aws-sdk/client-application-auto-scaling';
import { AUTO_SCALING, type Throughput } from '../core/hot-capacity.ts';
import { errorName, translate } from './aws-errors.ts';
import { grant, type Grant } from './grants.ts';

/**
 * What attaching and detaching call, and what Application Auto Scaling checks the caller may
 * do before it acts (AWS validates the caller's permissions on the table and on CloudWatch,
 * and creates its service-linked role on first use), so the grants include those too.
 */
export const TABLE_SCALING_GRANTS = {
  attach: [
    grant('scalableTargets', 'application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy'),
    grant('hotTables', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable'),
    grant('scalingAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms'),
    grant('scalingServiceRole', 'iam:CreateServiceLinkedRole'),
  ],
  detach: [
    grant('scalableTargets', 'application-autoscaling:DeregisterScalableTarget'),
    grant('scalingAlarms', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'),
  ],
} as const satisfies Record<string, readonly Grant[]>;

/** The service-linked role Application Auto Scaling creates for DynamoDB on first use. */
export const DYNAMODB_SCALING_ROLE = {
  service: 'dynamodb.application-autoscaling.amazonaws.com',
  name: 'AWSServiceRoleForApplicationAutoScaling_DynamoDBTable',
} as const;

const DIMENSIONS = [
  { key: 'write', dimension: 'dynamodb:table:WriteCapacityUnits', metric: 'DynamoDBWriteCapacityUtilization' },
  { key: 'read', dimension: 'dynamodb:table:ReadCapacityUnits', metric: 'DynamoDBReadCapacityUtilization' },
] as const satisfies readonly { key: 'write' | 'read'; dimension: ScalableDimension; metric: MetricType }[];

export const scalingResourceId = (table: string): string => `table/${table}`;
export const scalingPolicyName = (table: string, key: 'write' | 'read'): string => `${table}-${key}-utilization`;

export class TableScaling {
  private readonly client: ApplicationAutoScalingClient;

  constructor(client: ApplicationAutoScalingClient) {
    this.client = client;
  }

  /** Registers both dimensions with their ranges and target tracking policies. */
  async attach(table: string, capacity: { readonly write: Throughput; readonly read: Throughput }): Promise<void> {
    for (const d of DIMENSIONS) {
      const base = { ServiceNamespace: 'dynamodb' as const, ResourceId: scalingResourceId(table), ScalableDimension: d.dimension };
      try {
        await this.client.send(new RegisterScalableTargetCommand({ ...base, MinCapacity: capacity[d.key].min, MaxCapacity: capacity[d.key].max }));
        await this.client.send(
          new PutScalingPolicyCommand({
            ...base,
            PolicyName: scalingPolicyName(table, d.key),
            PolicyType: 'TargetTrackingScaling',
            TargetTrackingScalingPolicyConfiguration: {
              TargetValue: AUTO_SCALING.targetUtilization,
              PredefinedMetricSpecification: { PredefinedMetricType: d.metric },
            },
          }),
        );
      } catch (err) {
        translate(err, `attach auto scaling (${d.key}) to ${table}`);
      }
    }
  }

  /** Deregisters both dimensions (which deletes their policies and alarms); idempotent. */
  async detach(table: string): Promise<void> {
    for (const d of DIMENSIONS) {
      try {
        await this.client.send(
          new DeregisterScalableTargetCommand({ ServiceNamespace: 'dynamodb', ResourceId: scalingResourceId(table), ScalableDimension: d.dimension }),
        );
      } catch (err) {
        if (errorName(err) !== 'ObjectNotFoundException') translate(err, `detach auto scaling (${d.key}) from ${table}`);
      }
    }
  }
}

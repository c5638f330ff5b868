/**
 * cdk-nag acknowledgements, one finding at a time: each names the exact wildcard it accepts
 * and why, so a new wildcard elsewhere still fails the synth.
 */
import type { CfnElement } from 'aws-cdk-lib';
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The `<LogicalId.Arn>` form cdk-nag uses for a resource's ARN in findings. */
export function arnRef(resource: IConstruct): string {
  const cfn = resource.node.defaultChild as CfnElement;
  const stack = Stack.of(resource);
  return `<${stack.resolve(stack.getLogicalId(cfn)) as string}.Arn>`;
}

/** The `<LogicalId>` form cdk-nag uses for a resource's Ref in findings. */
export function refOf(resource: IConstruct): string {
  const cfn = resource.node.defaultChild as CfnElement;
  const stack = Stack.of(resource);
  return `<${stack.resolve(stack.getLogicalId(cfn)) as string}>`;
}

/** Acknowledges AwsSolutions-IAM5 for exactly these wildcard resources on the construct. */
export function acknowledgeWildcards(scope: IConstruct, findings: readonly { resource: string; reason: string }[]): void {
  for (const f of findings) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${f.resource}]`, reason: f.reason });
  }
}

export const XRAY_REASON = 'X-Ray PutTraceSegments and PutTelemetryRecords accept only Resource "*" (AWS requirement).';

/**
 * The front door's IAM: who a caller is (the role behind an access key, or the operator) and
 * whether its policies (and the bucket's) allow a call, with AWS's own wording when they do not.
 */
import { decide, type Decision, type NamedPolicy, type Statement } from '../iam/policy.ts';
import type { Check } from '../iam/requests.ts';
import { LOCAL_ACCOUNT } from '../iam/stack-model.ts';

/** A caller: an operator (no policy applies) or a role with its policies. */
export type Principal =
  { readonly kind: 'operator' } | { readonly kind: 'role'; readonly name: string; readonly arn: string; readonly policies: readonly NamedPolicy[] };

export type Role = Extract<Principal, { kind: 'role' }>;

// The local endpoint is loopback HTTP; it stands in for AWS's TLS endpoint (aws:SecureTransport).
const BASE_CONTEXT = { 'aws:SecureTransport': 'true' };

export class Authorizer {
  private readonly bucketPolicy: readonly NamedPolicy[];
  private readonly onDecision: ((principal: string, check: Check, decision: Decision) => void) | undefined;

  /**
   * @param bucketPolicy resource policies of the bucket; their statements must name Principal "*".
   * @param onDecision told of every decision made for a role (the IAM report).
   */
  constructor(bucketPolicy: readonly NamedPolicy[], onDecision?: (principal: string, check: Check, decision: Decision) => void) {
    for (const p of bucketPolicy) {
      for (const s of p.statements) {
        const pr = (s as Statement).Principal as { AWS?: unknown } | string | undefined;
        if (!(pr === '*' || (typeof pr === 'object' && pr?.AWS === '*'))) throw new Error(`bucket policy ${p.name}: only Principal "*" is evaluated locally`);
      }
    }
    this.bucketPolicy = bucketPolicy;
    this.onDecision = onDecision;
  }

  /** Identity policies, and the bucket's for S3 calls. An operator is an administrator: only the bucket's explicit denies apply. */
  authorize(p: Principal, c: Check, withBucketPolicy: boolean): Decision {
    const ctx = { ...BASE_CONTEXT, ...c.context };
    if (p.kind === 'operator') {
      const d = withBucketPolicy ? decide(this.bucketPolicy, c.action, c.resource, ctx) : undefined;
      return d?.reason === 'explicit-deny' ? d : { allowed: true, reason: 'allow' };
    }
    const d = decide(withBucketPolicy ? [...p.policies, ...this.bucketPolicy] : p.policies, c.action, c.resource, ctx);
    this.onDecision?.(p.name, c, d);
    return d;
  }

  /** The first of `checks` a role is refused, with AWS's message; undefined when all are allowed (or the caller is the operator). */
  refusal(p: Principal, checks: readonly Check[], withBucketPolicy = false): string | undefined {
    for (const c of checks) {
      const d = this.authorize(p, c, withBucketPolicy);
      if (!d.allowed && p.kind === 'role') return denial(p, c, d);
    }
    return undefined;
  }
}

export function denial(p: Role, c: Check, d: Decision): string {
  const why = d.reason === 'explicit-deny' ? `with an explicit deny in ${d.by?.policy}` : `because no identity-based policy allows the ${c.action} action`;
  return `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${p.name}/local is not authorized to perform: ${c.action} on resource: ${c.resource} ${why}`;
}

/**
 * IAM policy evaluation for the embedded system: identity policies of a role, and a
 * resource policy (the bucket's), as AWS evaluates them within one account: an explicit
 * Deny wins, then any Allow, else an implicit deny. Actions and resources match with `*`
 * and `?`, actions case-insensitively; NotAction and NotResource are supported. Conditions
 * support the operators the templates use; any other operator is refused when the policy is
 * loaded, so nothing is silently allowed or denied. (A maintained evaluator exists, but under
 * AGPL-3.0; this project is Apache-2.0.)
 */

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | readonly (string | boolean)[]>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Statement[] | Statement;
}

/** A policy as loaded: its name (for reports) and statements. */
export interface NamedPolicy {
  readonly name: string;
  readonly statements: readonly Statement[];
}

/** The request context: values of condition keys (`aws:SecureTransport`, `s3:prefix`, ...). */
export type RequestContext = Readonly<Record<string, string | undefined>>;

export interface Decision {
  readonly allowed: boolean;
  /** The statement that decided: the explicit Deny, or the first Allow; undefined for an implicit deny. */
  readonly by?: { readonly policy: string; readonly statement: number; readonly sid?: string; readonly effect: 'Allow' | 'Deny' };
  readonly reason: 'explicit-deny' | 'allow' | 'implicit-deny';
}

const list = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

const patterns = new Map<string, RegExp>();
/** IAM wildcards: `*` any run of characters, `?` one character; nothing else is special. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const cacheKey = `${caseInsensitive ? 'i' : 's'}:${pattern}`;
  let re = patterns.get(cacheKey);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
    patterns.set(cacheKey, re);
  }
  return re.test(value);
}

const OPERATORS: Record<string, (actual: string, expected: string) => boolean> = {
  StringEquals: (a, e) => a === e,
  StringNotEquals: (a, e) => a !== e,
  StringLike: (a, e) => wildcardMatch(e, a),
  StringNotLike: (a, e) => !wildcardMatch(e, a),
  ArnEquals: (a, e) => a === e,
  ArnLike: (a, e) => wildcardMatch(e, a),
  Bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
};

type SetQualifier = 'ForAllValues' | 'ForAnyValue' | undefined;

function operatorOf(name: string): { test: (a: string, e: string) => boolean; ifExists: boolean; negated: boolean; set: SetQualifier } {
  const [qualifier, op] = name.includes(':') ? (name.split(':') as [string, string]) : [undefined, name];
  if (qualifier !== undefined && qualifier !== 'ForAllValues' && qualifier !== 'ForAnyValue')
    throw new Error(`IAM condition qualifier ${qualifier} is not supported by the local evaluator`);
  const ifExists = op.endsWith('IfExists');
  const base = ifExists ? op.slice(0, -'IfExists'.length) : op;
  const test = OPERATORS[base];
  if (!test) throw new Error(`IAM condition operator ${name} is not supported by the local evaluator`);
  return { test, ifExists, negated: base.includes('Not'), set: qualifier as SetQualifier };
}

/** Checks every operator of a policy at load time: an unsupported one fails loudly, never silently. */
export function checkPolicy(p: NamedPolicy): NamedPolicy {
  for (const s of p.statements) for (const op of Object.keys(s.Condition ?? {})) operatorOf(op);
  return p;
}

function conditionsHold(s: Statement, ctx: RequestContext): boolean {
  for (const [opName, byKey] of Object.entries(s.Condition ?? {})) {
    const op = operatorOf(opName);
    for (const [key, expected] of Object.entries(byKey)) {
      const actual = ctx[key];
      if (actual === undefined) {
        // A missing key: IfExists, negated and ForAllValues operators hold (an empty set is all of anything); the others do not.
        if (op.ifExists || op.negated || op.set === 'ForAllValues') continue;
        return false;
      }
      // Context keys here are single-valued: a set operator tests the one value.
      const values = (Array.isArray(expected) ? expected : [expected]).map(String);
      // Several values of one key are ORed; a negated operator must hold for all of them.
      const ok = op.negated ? values.every((e) => op.test(actual, e)) : values.some((e) => op.test(actual, e));
      if (!ok) return false;
    }
  }
  return true;
}

function matches(s: Statement, action: string, resource: string, ctx: RequestContext): boolean {
  const actionOk =
    s.Action !== undefined ? list(s.Action).some((a) => wildcardMatch(a, action, true)) : !list(s.NotAction).some((a) => wildcardMatch(a, action, true));
  if (!actionOk) return false;
  const resourceOk =
    s.Resource !== undefined ? list(s.Resource).some((r) => wildcardMatch(r, resource)) : !list(s.NotResource).some((r) => wildcardMatch(r, resource));
  return resourceOk && conditionsHold(s, ctx);
}

/** Evaluates one request against identity policies and, optionally, resource policies (same account). */
export function decide(policies: readonly NamedPolicy[], action: string, resource: string, ctx: RequestContext = {}): Decision {
  let allow: Decision['by'];
  for (const p of policies) {
    for (const [i, s] of p.statements.entries()) {
      if (!matches(s, action, resource, ctx)) continue;
      const by = { policy: p.name, statement: i, effect: s.Effect, ...(s.Sid ? { sid: s.Sid } : {}) };
      if (s.Effect === 'Deny') return { allowed: false, by, reason: 'explicit-deny' };
      allow ??= by;
    }
  }
  return allow ? { allowed: true, by: allow, reason: 'allow' } : { allowed: false, reason: 'implicit-deny' };
}

export const statementsOf = (doc: PolicyDocument): readonly Statement[] => (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as Statement]);

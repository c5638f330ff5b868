/**
 * What the local system takes from the synthesized template: each function's role policies,
 * environment and bundle, each state machine's role policies, and the bucket policy, with
 * every reference resolved to the local names (the index table, the bucket, this account).
 * The template is synthesized with cdk.json's prefix; its literal hot-table patterns
 * (`table/<prefix>-hot-*`, and their auto scaling alarms') are rewritten to the local prefix.
 */
import { APPLICATION_ROLE_CONTEXT, APPLICATION_ROLE_ID } from '../../lib/alki-stack.ts';
import { UNITS, type UnitName } from '../../lambda/units.ts';
import { checkPolicy, statementsOf, type NamedPolicy, type PolicyDocument } from './policy.ts';
import type { Assembly, CfnResource } from './synth.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface LocalNames {
  readonly prefix: string;
  readonly indexTable: string;
  readonly bucket: string;
}

export const tableArn = (name: string): string => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
export const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;
export const stateMachineArn = (name: string): string => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
export const functionArn = (name: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
/** A unit's function name locally (CloudFormation generates one on AWS). */
export const localFunctionName = (prefix: string, unit: UnitName): string => `${prefix}-${unit}`;

export interface FunctionModel {
  readonly unit: UnitName;
  readonly roleArn: string;
  readonly policies: readonly NamedPolicy[];
  /** The function's environment variables as deployed, resolved to local names. */
  readonly environment: Readonly<Record<string, string>>;
  /** The bundle's directory in the assembly (`index.js`). */
  readonly assetDir: string;
}

export interface StateMachineModel {
  readonly name: string;
  readonly roleArn: string;
  readonly policies: readonly NamedPolicy[];
}

export interface StackModel {
  readonly functions: Readonly<Record<UnitName, FunctionModel>>;
  readonly stateMachines: Readonly<Record<string, StateMachineModel>>;
  /** Resource policies of the bucket (TLS-only, ...), evaluated with every S3 request. */
  readonly bucketPolicy: readonly NamedPolicy[];
  /** The application's role the embedded system synthesizes (lib/alki-stack.ts), as the store's grant methods made it. */
  readonly application: { readonly roleArn: string; readonly policies: readonly NamedPolicy[] };
}

type Cfn = unknown;

export function stackModel(asm: Assembly, names: LocalNames): StackModel {
  const resources = asm.template.Resources;
  const byType = (type: string): [string, CfnResource][] => Object.entries(resources).filter(([, r]) => r.Type === type);
  const one = (type: string): [string, CfnResource] => {
    const found = byType(type);
    if (found.length !== 1) throw new Error(`the template has ${found.length} ${type}, expected 1`);
    return found[0]!;
  };
  const [indexId, index] = one('AWS::DynamoDB::GlobalTable');
  const [bucketId] = one('AWS::S3::Bucket');
  const templatePrefix = String(index.Properties?.TableName).replace(/-index$/, '');
  const localName = (templateName: string): string =>
    templateName.startsWith(`${templatePrefix}-`) ? `${names.prefix}-${templateName.slice(templatePrefix.length + 1)}` : templateName;

  const unitOf = (logicalId: string): UnitName | undefined => {
    const path = String(resources[logicalId]?.Metadata?.['aws:cdk:path'] ?? '');
    return (Object.keys(UNITS) as UnitName[]).find((u) => path.endsWith(`/${UNITS[u].name}/Function/Resource`));
  };

  const attr = (id: string, name: 'Ref' | 'Arn'): string => {
    const r = resources[id];
    if (!r) throw new Error(`the template references ${id}, which it does not define`);
    if (id === indexId) return name === 'Ref' ? names.indexTable : tableArn(names.indexTable);
    if (id === bucketId) return name === 'Ref' ? names.bucket : bucketArn(names.bucket);
    if (r.Type === 'AWS::StepFunctions::StateMachine') return stateMachineArn(localName(String(r.Properties?.StateMachineName)));
    if (r.Type === 'AWS::Lambda::Function') {
      const unit = unitOf(id);
      const fname = unit ? localFunctionName(names.prefix, unit) : id;
      return name === 'Ref' ? fname : functionArn(fname);
    }
    if (r.Type === 'AWS::IAM::Role') return name === 'Ref' ? id : `arn:aws:iam::${LOCAL_ACCOUNT}:role/${id}`;
    if (r.Type === 'AWS::Logs::LogGroup') return name === 'Ref' ? id : `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${id}:*`;
    return name === 'Ref' ? id : `arn:aws:local:::${id}`;
  };
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  // Names built from a literal prefix: the hot tables, their auto scaling alarms, and the lifecycle machine named in rotate's policy.
  const literal = (s: string): string =>
    s
      .replaceAll(`:table/${templatePrefix}-`, `:table/${names.prefix}-`)
      .replaceAll(`:alarm:TargetTracking-table/${templatePrefix}-`, `:alarm:TargetTracking-table/${names.prefix}-`)
      .replaceAll(`:stateMachine:${templatePrefix}-`, `:stateMachine:${names.prefix}-`);
  const resolve = (v: Cfn): Cfn => {
    if (typeof v === 'string') return literal(v);
    if (Array.isArray(v)) return v.map(resolve);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, Cfn>;
    if ('Ref' in o) return pseudo[String(o.Ref)] ?? attr(String(o.Ref), 'Ref');
    if ('Fn::GetAtt' in o) {
      const [id, a] = o['Fn::GetAtt'] as [string, string];
      if (a !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${a} is not resolved locally`);
      return attr(id, 'Arn');
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, Cfn[]];
      return parts.map((p) => String(resolve(p))).join(sep);
    }
    if ('Fn::Sub' in o) return String(o['Fn::Sub']).replace(/\$\{([\w:]+)\}/g, (_, k: string) => pseudo[k] ?? attr(k, 'Ref'));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };

  const rolePolicies = (roleRef: Cfn): { roleId: string; policies: NamedPolicy[] } => {
    const roleId = (roleRef as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = resources[roleId];
    if (!role) throw new Error(`role ${roleId} is not in the template`);
    if (role.Properties?.ManagedPolicyArns) throw new Error(`role ${roleId} has managed policies, which the local evaluator cannot read`);
    const inline = ((role.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: PolicyDocument }[]).map((p) => ({
      name: p.PolicyName,
      doc: p.PolicyDocument,
    }));
    const attached = byType('AWS::IAM::Policy')
      .filter(([, p]) => ((p.Properties?.Roles ?? []) as { Ref?: string }[]).some((r) => r.Ref === roleId))
      .map(([id, p]) => ({ name: id, doc: p.Properties!.PolicyDocument as PolicyDocument }));
    return {
      roleId,
      policies: [...inline, ...attached].map((p) => checkPolicy({ name: p.name, statements: statementsOf(resolve(p.doc) as PolicyDocument) })),
    };
  };

  const functions = {} as Record<UnitName, FunctionModel>;
  for (const [id, fn] of byType('AWS::Lambda::Function')) {
    const unit = unitOf(id);
    if (!unit) continue;
    const { roleId, policies } = rolePolicies(fn.Properties?.Role);
    const vars = resolve((fn.Properties?.Environment as { Variables?: Cfn } | undefined)?.Variables ?? {}) as Record<string, string>;
    functions[unit] = { unit, roleArn: attr(roleId, 'Arn'), policies, environment: vars, assetDir: `${asm.dir}/${String(fn.Metadata?.['aws:asset:path'])}` };
  }
  for (const u of Object.keys(UNITS) as UnitName[]) if (!functions[u]) throw new Error(`the template has no function for unit ${u}`);

  const stateMachines: Record<string, StateMachineModel> = {};
  for (const [, sm] of byType('AWS::StepFunctions::StateMachine')) {
    const name = localName(String(sm.Properties?.StateMachineName));
    const { roleId, policies } = rolePolicies(sm.Properties?.RoleArn);
    stateMachines[name] = { name, roleArn: attr(roleId, 'Arn'), policies };
  }

  const bucketPolicy = byType('AWS::S3::BucketPolicy').map(([id, p]) =>
    checkPolicy({ name: id, statements: statementsOf(resolve(p.Properties!.PolicyDocument) as PolicyDocument) }),
  );
  const [appId] = byType('AWS::IAM::Role').find(([, r]) => String(r.Metadata?.['aws:cdk:path'] ?? '').endsWith(`/${APPLICATION_ROLE_ID}/Resource`)) ?? [];
  if (!appId) throw new Error(`the template has no ${APPLICATION_ROLE_ID} (synthesized without ${APPLICATION_ROLE_CONTEXT})`);
  const application = { roleArn: attr(appId, 'Arn'), policies: rolePolicies({ 'Fn::GetAtt': [appId, 'Arn'] }).policies };
  return { functions, stateMachines, bucketPolicy, application };
}

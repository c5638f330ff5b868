/**
 * IAM grants, declared once: each adapter names the actions its calls need, by capability and
 * on which of the store's resources; each unit (lambda/units.ts) lists the capabilities its
 * handler wires; the CDK app grants exactly their union, and the embedded system enforces
 * the synthesized result on every call.
 */

/** The store's resources a grant can name; the CDK app maps each to its ARN (pattern). */
export const GRANT_TARGETS = [
  'indexTable',
  'hotTables',
  'bucket',
  'runObjects',
  // The manifest's snapshots (manifest/<n>.json): each commit puts one.
  'manifestObjects',
  'spillObjects',
  'importObjects',
  'importStateMachine',
  'exportObjects',
  'exportStateMachine',
  'lifecycleStateMachine',
  // The index table's job items only (`job#<id>`): for a function that records but must not write the manifest or a run's index.
  'jobRecords',
  // The index table's checkpoint items only (partition `checkpoint`): the read API makes and deletes them.
  'checkpointRecords',
  // The index table's markers of written hot tables only (partition `written`): ingest puts them.
  'writtenMarks',
  // Auto scaling of provisioned hot tables: its scalable targets, the alarms it makes, its service-linked role.
  'scalableTargets',
  'scalingAlarms',
  'scalingServiceRole',
] as const;
export type GrantTarget = (typeof GRANT_TARGETS)[number];

/** An IAM condition block: operator, key, values. */
export type GrantCondition = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

export interface Grant {
  readonly on: GrantTarget;
  readonly actions: readonly string[];
}

export const grant = (on: GrantTarget, ...actions: string[]): Grant => ({ on, actions });

/** Targets narrowed by a condition, not by their ARN. */
export const GRANT_CONDITIONS: Partial<Record<GrantTarget, GrantCondition>> = {
  // DynamoDB fine-grained access: every partition key the request touches starts with job#.
  jobRecords: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['job#*'] } },
  checkpointRecords: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['checkpoint'] } },
  writtenMarks: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['written'] } },
};

/** A set of grants: actions by target, each action once, in a stable order. */
export function mergeGrants(...sets: readonly (readonly Grant[])[]): Grant[] {
  const by = new Map<GrantTarget, Set<string>>();
  for (const g of sets.flat()) {
    const actions = by.get(g.on) ?? new Set<string>();
    for (const a of g.actions) actions.add(a);
    by.set(g.on, actions);
  }
  return GRANT_TARGETS.filter((t) => by.has(t)).map((t) => ({ on: t, actions: [...by.get(t)!].sort() }));
}

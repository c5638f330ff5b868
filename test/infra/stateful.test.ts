/**
 * The resources that hold a store's data are pinned: their logical ids, the properties whose
 * change makes CloudFormation replace them (the resource reference's "Update requires:
 * Replacement": a table's name, key schema and local indexes; a bucket's name and object lock),
 * the types of their key attributes, and how they are kept (retained on delete and on
 * replacement, deletion protection, point-in-time recovery, versioning). A change to any of
 * them would deploy a new, empty table or bucket beside the old one: this test fails naming
 * the replacement, before a deploy does it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AlkiStack } from '../../lib/alki-stack.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
interface Pinned {
  readonly type: string;
  readonly replacement: Record<string, unknown>;
  readonly keyAttributes?: readonly { AttributeName: string; AttributeType: string }[];
  readonly kept: Record<string, unknown>;
}
const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/stateful-resources.json', import.meta.url), 'utf8')) as { resources: Record<string, Pinned> };
/** Types of resources that hold data: any of them in the template must be pinned. */
const STATEFUL = ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket'];

/** `a.b[0].c` of a resource (its policies at the top, its properties below). */
function at(r: Resource, path: string): unknown {
  const top = path.split('.')[0]!;
  let v: unknown = top === 'DeletionPolicy' || top === 'UpdateReplacePolicy' ? r : (r.Properties ?? {});
  for (const part of path.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== '')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v ?? null;
}

/** What is wrong with the template's stateful resources against the pinned ones, each naming what CloudFormation would do. */
function replacements(resources: Record<string, Resource>, pinned: Record<string, Pinned>): string[] {
  const problems: string[] = [];
  for (const [id, p] of Object.entries(pinned)) {
    const r = resources[id];
    if (!r) {
      problems.push(
        `${id} (${p.type}) is gone from the template: CloudFormation would delete it (or leave it, retained, orphaned) and a resource under any new logical id is a new, empty one`,
      );
      continue;
    }
    if (r.Type !== p.type) problems.push(`${id} is a ${r.Type}, not a ${p.type}: CloudFormation replaces a resource whose type changes`);
    for (const [prop, want] of Object.entries(p.replacement)) {
      const got = at(r, prop);
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(
          `${id}: ${prop} is ${JSON.stringify(got)}, was ${JSON.stringify(want)}: CloudFormation replaces a ${p.type} when ${prop} changes, with a new, empty one`,
        );
    }
    for (const want of p.keyAttributes ?? []) {
      const got = ((r.Properties?.AttributeDefinitions ?? []) as { AttributeName: string; AttributeType: string }[]).find(
        (a) => a.AttributeName === want.AttributeName,
      );
      if (got?.AttributeType !== want.AttributeType)
        problems.push(
          `${id}: key attribute ${want.AttributeName} is ${got?.AttributeType ?? 'gone'}, was ${want.AttributeType}: a key schema change, so a replacement`,
        );
    }
    for (const [path, want] of Object.entries(p.kept)) {
      const got = at(r, path);
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(`${id}: ${path} is ${JSON.stringify(got)}, must stay ${JSON.stringify(want)}: the data would not be kept`);
    }
  }
  for (const [id, r] of Object.entries(resources)) {
    if (STATEFUL.includes(r.Type) && !pinned[id]) problems.push(`${id} (${r.Type}) holds data and is not pinned in test/fixtures/stateful-resources.json`);
  }
  return problems;
}

describe('stateful resources are pinned', () => {
  let resources: Record<string, Resource>;
  beforeAll(() => {
    const app = new App({ context: { 'alki:prefix': 'alki', 'aws:cdk:bundling-stacks': [] } });
    resources = Template.fromStack(new AlkiStack(app, 'Alki')).toJSON().Resources as Record<string, Resource>;
  });

  it('keeps the index table and the bucket: the same logical ids, nothing that replaces them, retained', () => {
    assert.deepEqual(replacements(resources, FIXTURE.resources), []);
  });

  it('names the replacement a change would cause', () => {
    const table = 'StoreStorageIndexTable85BBCE7A';
    const bucket = 'StoreStorageColdBucket71A89800';
    const changed = structuredClone(resources);
    const t = changed[table]!;
    (t.Properties!.KeySchema as { AttributeName: string }[])[1]!.AttributeName = 'sk';
    (t.Properties!.AttributeDefinitions as { AttributeType: string }[])[0]!.AttributeType = 'B';
    t.UpdateReplacePolicy = 'Delete';
    changed.StoreStorageColdBucketRenamed = changed[bucket]!;
    delete changed[bucket];
    const problems = replacements(changed, FIXTURE.resources);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems[0]!, /KeySchema .* CloudFormation replaces a AWS::DynamoDB::GlobalTable when KeySchema changes/);
    assert.match(problems[1]!, /key attribute PK is B, was S/);
    assert.match(problems[2]!, /UpdateReplacePolicy is "Delete", must stay "Retain"/);
    assert.match(problems[3]!, /StoreStorageColdBucket71A89800 \(AWS::S3::Bucket\) is gone from the template/);
    assert.match(problems[4]!, /StoreStorageColdBucketRenamed \(AWS::S3::Bucket\) holds data and is not pinned/);
  });
});

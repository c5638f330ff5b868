/** The local IAM evaluator: AWS's order (explicit deny, then allow, else implicit deny), wildcards, conditions. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { checkPolicy, decide, wildcardMatch, type NamedPolicy } from '../../local/iam/policy.ts';
import { dynamodbChecks } from '../../local/iam/requests.ts';

const policy = (statements: NamedPolicy['statements']): NamedPolicy => checkPolicy({ name: 'p', statements });
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/alki-hot-20260101T000000Z-1d';

describe('IAM policy evaluation', () => {
  it('allows only what a statement names, on the resources it names', () => {
    const p = [
      policy([
        { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'], Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/alki-hot-*' },
      ]),
    ];
    assert.deepEqual(decide(p, 'dynamodb:PutItem', TABLE), { allowed: true, by: { policy: 'p', statement: 0, effect: 'Allow' }, reason: 'allow' });
    assert.equal(decide(p, 'dynamodb:GetItem', TABLE).reason, 'implicit-deny');
    assert.equal(decide(p, 'dynamodb:PutItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/alki-index').allowed, false);
    // Actions match case-insensitively, resources case-sensitively.
    assert.equal(decide(p, 'DynamoDB:putitem', TABLE).allowed, true);
    assert.equal(decide(p, 'dynamodb:PutItem', TABLE.replace('alki', 'ALKI')).allowed, false);
  });

  it('lets an explicit deny win over any allow', () => {
    const p = [
      policy([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]),
      {
        ...policy([{ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]),
        name: 'bucket',
      },
    ];
    assert.equal(decide(p, 's3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': 'true' }).allowed, true);
    const d = decide(p, 's3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': 'false' });
    assert.equal(d.reason, 'explicit-deny');
    assert.equal(d.by?.policy, 'bucket');
  });

  it('matches * and ? only, never other pattern characters', () => {
    assert.ok(wildcardMatch('arn:aws:s3:::b/runs/*', 'arn:aws:s3:::b/runs/x/000.blob'));
    assert.ok(!wildcardMatch('arn:aws:s3:::b/runs/*', 'arn:aws:s3:::b/spills/x'));
    assert.ok(wildcardMatch('a?c', 'abc') && !wildcardMatch('a?c', 'abbc'));
    assert.ok(!wildcardMatch('a.c', 'abc'), 'a dot is a dot');
    assert.ok(wildcardMatch('*', '*') && !wildcardMatch('arn:aws:s3:::b', '*'), 'an action without resource-level permissions needs Resource "*"');
  });

  it("supports DynamoDB's fine-grained ForAllValues:StringLike on dynamodb:LeadingKeys, read off the request as DynamoDB does", () => {
    const index = 'arn:aws:dynamodb:us-east-1:000000000000:table/alki-index';
    const p = [
      policy([
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: index, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['job#*'] } } },
      ]),
    ];
    const put = (pk: string) =>
      dynamodbChecks('DynamoDB_20120810.PutItem', { TableName: 'alki-index', Item: { PK: { S: pk }, SK: { B: 'AA==' } } }, () => 'PK')[0]!;
    assert.equal(decide(p, put('job#r1').action, put('job#r1').resource, put('job#r1').context).allowed, true);
    assert.equal(decide(p, put('manifest').action, put('manifest').resource, put('manifest').context).allowed, false);
    assert.equal(decide(p, put('run#r1').action, put('run#r1').resource, put('run#r1').context).allowed, false);
    assert.throws(
      () => checkPolicy({ name: 'q', statements: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForSomeValues:StringLike': { k: 'v' } } }] }),
      /qualifier/,
    );
  });

  it('supports NotAction, NotResource and IfExists conditions; refuses unknown operators when loading', () => {
    const p = [policy([{ Effect: 'Allow', NotAction: 's3:DeleteObject', NotResource: 'arn:aws:s3:::b/imports/*' }])];
    assert.equal(decide(p, 's3:GetObject', 'arn:aws:s3:::b/runs/x').allowed, true);
    assert.equal(decide(p, 's3:DeleteObject', 'arn:aws:s3:::b/runs/x').allowed, false);
    assert.equal(decide(p, 's3:GetObject', 'arn:aws:s3:::b/imports/x').allowed, false);
    const prefix = [
      policy([{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b', Condition: { StringLikeIfExists: { 's3:prefix': 'runs/*' } } }]),
    ];
    assert.equal(decide(prefix, 's3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'runs/a' }).allowed, true);
    assert.equal(decide(prefix, 's3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'imports/' }).allowed, false);
    assert.equal(decide(prefix, 's3:ListBucket', 'arn:aws:s3:::b').allowed, true);
    assert.throws(
      () => policy([{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } }]),
      /NumericLessThan is not supported/,
    );
  });
});

/**
 * The front door on its own, with roles made for the case: S3's answer to a missing key
 * depends on s3:ListBucket (403 without, 404 with), a bucket policy's explicit deny beats
 * any allow, unknown operations are refused, and anonymous requests are denied.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import { errorName } from '../../lambda/store/aws-errors.ts';
import { startFrontDoor, type FrontDoor, type Principal } from '../../local/front-door/front-door.ts';
import type { NamedPolicy } from '../../local/iam/policy.ts';
import { role } from '../support/front-door.ts';

const BUCKET = 'fd-bucket';
const ROLES: Record<string, Principal> = {
  READER: role('reader', [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }]),
  LISTER: role('lister', [
    { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
  ]),
  WRITER: role('writer', [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/*` }]),
};
// As the CDK bucket's TLS-only policy, plus a deny on one prefix that no allow can lift.
const BUCKET_POLICY: NamedPolicy[] = [
  { name: 'bucket', statements: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: `arn:aws:s3:::${BUCKET}/locked/*` }] },
];

describe('the AWS front door', () => {
  let s3: Awaited<ReturnType<typeof startFauxqs>>;
  let door: FrontDoor;
  const client = (key: string) =>
    new S3Client({ region: 'us-east-1', endpoint: door.url, forcePathStyle: true, credentials: { accessKeyId: key, secretAccessKey: 'x' } });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => ({ name: 'ok', status: 200 }),
      (err: unknown) => ({ name: errorName(err), status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode }),
    );

  beforeAll(async () => {
    s3 = await startFauxqs({ port: 0, logger: false });
    door = await startFrontDoor({ dynamodb: 'http://127.0.0.1:1', s3: s3.address, principalOf: (k) => ROLES[k], bucketPolicy: BUCKET_POLICY });
    await client('OPERATOR').send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client('OPERATOR').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'here.txt', Body: 'x' }));
  });
  afterAll(async () => {
    await door.close();
    await s3.stop();
  });

  it('answers a missing key 403 to a role that may read but not list, 404 to one that may list', async () => {
    assert.deepEqual(await failure(client('READER').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing.txt' }))), { name: 'AccessDenied', status: 403 });
    assert.equal((await failure(client('READER').send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'missing.txt' })))).status, 403);
    assert.deepEqual(await failure(client('LISTER').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing.txt' }))), { name: 'NoSuchKey', status: 404 });
    // An existing key reads the same for both.
    for (const k of ['READER', 'LISTER'])
      assert.equal(await (await client(k).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'here.txt' }))).Body!.transformToString(), 'x');
  });

  it("lets a bucket policy's explicit deny win over any allow, the operator's too", async () => {
    for (const k of ['WRITER', 'OPERATOR']) {
      assert.deepEqual(
        await failure(client(k).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'locked/a.txt', Body: 'x' }))),
        { name: 'AccessDenied', status: 403 },
        k,
      );
    }
    assert.equal((await failure(client('WRITER').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'open/a.txt', Body: 'x' })))).name, 'ok');
  });

  it('refuses anonymous requests and operations it does not know', async () => {
    const anonymous = await fetch(`${door.url}/${BUCKET}/here.txt`);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /<Code>AccessDenied<\/Code>/);
    const unknown = await fetch(`${door.url}/${BUCKET}?tagging`, {
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=OPERATOR/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x' },
    });
    assert.equal(unknown.status, 501);
  });
});

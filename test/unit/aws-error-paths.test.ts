/**
 * Error paths the embedded system does not produce, with the SDK mocked: a DeleteObjects 200
 * whose per-key Errors must not pass for success, S3's AccessDenied and a checksum mismatch
 * mapped to their own errors, and how the API answers each.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { errorResult } from '../../lambda/api/http.ts';
import { AccessDeniedError, CorruptionError, MissingDataError } from '../../lambda/core/errors.ts';
import { coldFrom, type Cold } from '../../lambda/store/cold.ts';

const s3Error = (name: string, status: number): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

function cold(): { bucket: Cold['bucket']; reader: Cold['coldReader']; s3: ReturnType<typeof mockClient>; ddb: ReturnType<typeof mockClient> } {
  const s3c = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  const ddbc = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  const c = coldFrom(ddbc, s3c, 'alki-index', 'alki-cold');
  return { bucket: c.bucket, reader: c.coldReader, s3: mockClient(s3c), ddb: mockClient(ddbc) };
}

describe('S3 error paths (mocked)', () => {
  it('retries keys a DeleteObjects 200 reports as SlowDown or InternalError, and succeeds when they go', async () => {
    const { bucket, s3 } = cold();
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'runs/r/a.blob', Size: 1 },
        { Key: 'runs/r/b.blob', Size: 1 },
      ],
    });
    s3.on(DeleteObjectsCommand)
      .resolvesOnce({ Errors: [{ Key: 'runs/r/b.blob', Code: 'SlowDown', Message: 'Please reduce your request rate.' }] })
      .resolvesOnce({});
    assert.equal(await bucket.deletePrefix('runs/r/'), 2);
    const calls = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete!.Objects!.map((o) => o.Key));
    assert.deepEqual(calls, [['runs/r/a.blob', 'runs/r/b.blob'], ['runs/r/b.blob']]);
  });

  it('fails a delete whose 200 answer carries a per-key AccessDenied, naming the key; nothing is retried', async () => {
    const { bucket, s3 } = cold();
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'runs/r/a.blob', Size: 1 }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'runs/r/a.blob', Code: 'AccessDenied', Message: 'Access Denied' }] });
    await assert.rejects(bucket.deletePrefix('runs/r/'), (err: unknown) => err instanceof AccessDeniedError && /runs\/r\/a\.blob/.test(err.message));
    assert.equal(s3.commandCalls(DeleteObjectsCommand).length, 1);
  });

  it('gives up on a key that keeps failing, after backing off', async () => {
    const { bucket, s3 } = cold();
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'runs/r/a.blob', Size: 1 }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'runs/r/a.blob', Code: 'InternalError', Message: 'We encountered an internal error.' }] });
    await assert.rejects(bucket.deletePrefix('runs/r/'), /runs\/r\/a\.blob: InternalError/);
    assert.equal(s3.commandCalls(DeleteObjectsCommand).length, 6);
  });

  it('tells a missing blob (NoSuchKey: re-read the manifest) from a denied one (a deployment fault)', async () => {
    const { reader, s3 } = cold();
    s3.on(GetObjectCommand, { Key: 'runs/r/gone.blob' }).rejects(s3Error('NoSuchKey', 404));
    s3.on(GetObjectCommand, { Key: 'runs/r/denied.blob' }).rejects(s3Error('AccessDenied', 403));
    await assert.rejects(reader.blob('r', 'runs/r/gone.blob').read(0, 10), MissingDataError);
    await assert.rejects(reader.blob('r', 'runs/r/denied.blob').read(0, 10), AccessDeniedError);
  });

  it('maps a response that fails its checksum to CorruptionError', async () => {
    const { reader, s3 } = cold();
    s3.on(GetObjectCommand).rejects(new Error('Checksum mismatch: expected "AAAAAA==" but received "HYZs4w==" in response header "x-amz-checksum-crc32".'));
    await assert.rejects(reader.blob('r', 'runs/r/x.blob').read(0, 10), CorruptionError);
  });

  it('maps a denied index query to AccessDeniedError', async () => {
    const { reader, ddb } = cold();
    ddb.on(QueryCommand).rejects(s3Error('AccessDeniedException', 400));
    await assert.rejects(reader.floorEntry('r', Buffer.from('k')), AccessDeniedError);
  });
});

describe('how the API answers server-side faults', () => {
  it('answers corruption and a missing permission with 500 and their own codes, never a 400', () => {
    const corrupt = errorResult(new CorruptionError('runs/r/0.blob', 3, 'crc32 mismatch'));
    assert.equal(corrupt.statusCode, 500);
    assert.deepEqual(JSON.parse(corrupt.body), { error: { code: 'Corruption', message: 'runs/r/0.blob block 3: crc32 mismatch' } });
    const denied = errorResult(new AccessDeniedError('read runs/r/0.blob: User ... is not authorized to perform: s3:GetObject'));
    assert.equal(denied.statusCode, 500);
    assert.equal((JSON.parse(denied.body) as { error: { code: string } }).error.code, 'AccessDenied');
  });
});

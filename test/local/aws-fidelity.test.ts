/**
 * The embedded system refuses what AWS refuses: calls a function's deployed role does not
 * allow (from the synthesized template), a body that fails its checksum, a presigned URL
 * that signs a checksum; and it accepts what AWS accepts (any content type on an upload).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { DeleteTableCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { MissingDataError } from '../../lambda/core/errors.ts';
import { INDEX_TABLE, OBJECTS } from '../../lambda/core/schema.ts';
import { errorName } from '../../lambda/store/aws-errors.ts';
import { storeEnvFrom } from '../../lambda/store/clients.ts';
import { coldFrom } from '../../lambda/store/cold.ts';
import type { UnitName } from '../../lambda/units.ts';
import type { LocalSystem } from '../../local/system.ts';
import { client, startTestSystem } from '../support/system.ts';

async function failure(p: Promise<unknown>): Promise<{ name: string | undefined; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    return { name: errorName(err), status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, message: (err as Error).message };
  }
  assert.fail('expected the call to be refused');
}

describe('IAM from the synthesized template', () => {
  let sys: LocalSystem;
  const as = (u: UnitName) => storeEnvFrom(sys.envOf(u));
  beforeAll(async () => {
    sys = await startTestSystem({ prefix: 'iam' });
  });
  afterAll(() => sys.stop());

  it('refuses what a role does not allow, as AWS does (AccessDeniedException, 403 AccessDenied)', async () => {
    const ingest = as('ingest');
    // ingest reads the cold tier (a conditional write's current version) but cannot read uploads.
    const s3 = await failure(ingest.s3.send(new GetObjectCommand({ Bucket: ingest.bucket, Key: OBJECTS.importInput('x', 0) })));
    assert.equal(s3.name, 'AccessDenied');
    assert.equal(s3.status, 403);
    // verify cannot write the manifest.
    const verify = as('verify');
    const put = await failure(
      verify.ddb.send(
        new PutItemCommand({
          TableName: verify.indexTable,
          Item: { [INDEX_TABLE.partitionKey]: { S: 'manifest' }, [INDEX_TABLE.sortKey]: { B: Uint8Array.of(0) } },
        }),
      ),
    );
    assert.equal(put.name, 'AccessDeniedException');
    assert.match(put.message, /is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/iam-index/);
    // ingest cannot scan a hot table (only offload and verify do).
    const hot = sys.dataPlane.settings.prefix;
    const scan = await failure(ingest.ddb.send(new ScanCommand({ TableName: `${hot}-hot-19700101T000000Z-1h` })));
    assert.equal(scan.name, 'AccessDeniedException');
  });

  it('lets nothing but gc delete tables', async () => {
    for (const u of ['ingest', 'read', 'rotate', 'offload', 'verify', 'compact', 'commit', 'transfers', 'importer'] as const) {
      const e = as(u);
      const r = await failure(e.ddb.send(new DeleteTableCommand({ TableName: `iam-hot-19700101T000000Z-1h` })));
      assert.equal(r.name, 'AccessDeniedException', u);
    }
    const gc = await failure(as('gc').ddb.send(new DeleteTableCommand({ TableName: `iam-hot-19700101T000000Z-1h` })));
    assert.equal(gc.name, 'ResourceNotFoundException', 'gc is allowed: the table just does not exist');
  });

  it('answers a missing blob with 404 NoSuchKey to read (it may list the bucket), which the data plane treats as missing data', async () => {
    const read = as('read');
    const r = await failure(read.s3.send(new GetObjectCommand({ Bucket: read.bucket, Key: `${OBJECTS.runsRoot}gone/000000.blob`, Range: 'bytes=0-9' })));
    assert.equal(r.name, 'NoSuchKey');
    const cold = coldFrom(read.ddb, read.s3, read.indexTable, read.bucket).coldReader;
    await assert.rejects(cold.blob('gone', `${OBJECTS.runsRoot}gone/000000.blob`).read(0, 10), MissingDataError);
  });

  it('refuses the imports API a read of uploads: it signs uploads and lists them, never reads them', async () => {
    const imports = as('transfers');
    const denied = await failure(imports.s3.send(new GetObjectCommand({ Bucket: imports.bucket, Key: `${OBJECTS.importsRoot}none/input-0.ndjson` })));
    assert.equal(denied.status, 403);
  });

  it('checks DeleteObjects per key: a denied key is an Error in a 200 answer, the allowed ones are deleted', async () => {
    const op = sys.store;
    const run = `${OBJECTS.runsRoot}del-test/000000.blob`;
    const upload = `${OBJECTS.importsRoot}del-test/input-0.ndjson`;
    for (const Key of [run, upload]) await op.s3.send(new PutObjectCommand({ Bucket: op.bucket, Key, Body: 'x' }));
    const compact = as('compact');
    const out = await compact.s3.send(new DeleteObjectsCommand({ Bucket: compact.bucket, Delete: { Objects: [{ Key: run }, { Key: upload }] } }));
    assert.deepEqual(
      out.Errors?.map((e) => [e.Key, e.Code]),
      [[upload, 'AccessDenied']],
    );
    assert.deepEqual(
      out.Deleted?.map((d) => d.Key),
      [run],
    );
    // The adapter does not take a 200 for success: a per-key error fails the delete.
    const bucket = coldFrom(compact.ddb, compact.s3, compact.indexTable, compact.bucket).bucket;
    await assert.rejects(bucket.deletePrefix(OBJECTS.importsRoot), /AccessDenied|not authorized/);
    const still = await op.s3.send(new GetObjectCommand({ Bucket: op.bucket, Key: upload }));
    assert.equal(await still.Body!.transformToString(), 'x');
  });

  it("authorizes every call of the API and the lifecycle by a statement of the caller's own role", async () => {
    sys.iam.clear();
    await sys.runLifecycle();
    const c = client(sys.url);
    assert.equal((await c.put('p', 's', 1)).status, 200);
    assert.equal((await c.get('p', 's')).status, 200);
    assert.deepEqual(sys.iam.denied(), []);
    const used = sys.iam.all();
    assert.ok(used.some((e) => e.principal === 'iam-ingest' && e.action === 'dynamodb:PutItem'));
    assert.ok(used.some((e) => e.principal === 'iam-lifecycle' && e.action === 'lambda:InvokeFunction'));
    for (const e of used) assert.match(e.statement, /RoleDefaultPolicy[0-9A-F]+#\d+$/);
  });
});

describe('S3 as strict as S3', () => {
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ prefix: 's3f' });
  });
  afterAll(() => sys.stop());

  it('rejects a body that does not match its signed checksum with 400 BadDigest, and stores nothing', async () => {
    const op = sys.store;
    const Key = `${OBJECTS.importsRoot}digest/input-0.ndjson`;
    const r = await failure(op.s3.send(new PutObjectCommand({ Bucket: op.bucket, Key, Body: 'hello', ChecksumCRC32: 'AAAAAA==' })));
    assert.equal(r.name, 'BadDigest');
    assert.equal(r.status, 400);
    const missing = await failure(op.s3.send(new GetObjectCommand({ Bucket: op.bucket, Key })));
    assert.equal(missing.name, 'NoSuchKey');
    // The SDK's own checksum (default WHEN_SUPPORTED) matches and is accepted.
    await op.s3.send(new PutObjectCommand({ Bucket: op.bucket, Key, Body: 'hello' }));
  });

  it('gives upload URLs that sign no checksum, and accepts any content type through them', async () => {
    const api = client(sys.url);
    const created = await api.call<{ id: string; uploads: ({ file: number; url: string } | { file: number; uploadId: string; partUrls: string[] })[] }>(
      'POST',
      '/v1/imports',
      { format: 'ndjson', files: 2, parts: [1, 2] },
    );
    assert.equal(created.status, 201);
    const urls = created.body.uploads.flatMap((u) => ('url' in u ? [u.url] : u.partUrls));
    assert.equal(urls.length, 3);
    for (const u of urls) {
      const params = [...new URL(u).searchParams.keys()].map((k) => k.toLowerCase());
      assert.deepEqual(
        params.filter((k) => k.startsWith('x-amz-checksum') || k === 'x-amz-sdk-checksum-algorithm'),
        [],
        u,
      );
    }
    // What `curl --data-binary @file URL` sends: a form content type.
    const single = created.body.uploads.find((u) => 'url' in u) as { url: string };
    const put = await fetch(single.url, {
      method: 'PUT',
      body: '{"pk":"a","sk":"b","value":1}\n',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(put.status, 200, await put.text());
  });
});

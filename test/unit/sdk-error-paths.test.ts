/**
 * Error paths dynalite and fauxqs cannot produce. Our own loops are tested with
 * aws-sdk-client-mock (unprocessed items, a lost manifest race, a body that breaks off,
 * throttling answered as 429); the SDK's own retries, which a mock bypasses, with a fake
 * HTTP handler behind the very clients the adapters use.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from '@jest/globals';
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { errorResult } from '../../lambda/api/http.ts';
import { ThrottledError, UnavailableError } from '../../lambda/core/errors.ts';
import { ConflictError, type Manifest, type RunMeta } from '../../lambda/core/manifest.ts';
import { decodeSnapshot } from '../../lambda/core/manifest-snapshot.ts';
import { INDEX_TABLE, OBJECTS } from '../../lambda/core/schema.ts';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';
import { createIngestHandler } from '../../lambda/ingest/handler.ts';
import { hotRunMeta } from '../../lambda/rotate/rotate.ts';
import { storeEnvFrom } from '../../lambda/store/clients.ts';
import { ColdBucket } from '../../lambda/store/cold-bucket.ts';
import { coldFrom } from '../../lambda/store/cold.ts';
import { DataPlane } from '../../lambda/data-plane/data-plane.ts';
import { HotTables } from '../../lambda/store/hot-tables.ts';
import { ManifestStore } from '../../lambda/store/manifest-store.ts';
import { put } from '../support/arbitraries.ts';

const creds = { region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } };
const awsError = (name: string, status = 400): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const manifestItem = (m: Manifest) => ({ Item: { version: { N: String(m.version) }, runs: { S: JSON.stringify(m.runs) }, garbage: { S: '[]' } } });

describe('DynamoDB error paths (mocked)', () => {
  it('retries unprocessed batch items until every one is written', async () => {
    const ddb = new DynamoDBClient(creds);
    const mock = mockClient(ddb);
    const entries = [put('p', 'a', 1, 1), put('p', 'b', 2, 2), put('p', 'c', 3, 3)];
    mock
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: { S: 'p' }, sk: { S: 'c' } } } }] } })
      .resolvesOnce({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: { S: 'p' }, sk: { S: 'c' } } } }] } })
      .resolvesOnce({});
    await new HotTables(ddb).batchWrite({ table: 't' }, entries);
    const sizes = mock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems!.t!.length);
    assert.deepEqual(sizes, [3, 1, 1]);
  });

  it('commits on a fresh read after losing the manifest race, and writes history for its own version only', async () => {
    const ddb = new DynamoDBClient(creds);
    const mock = mockClient(ddb);
    const s = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
    const a = hotRunMeta(s, 0);
    const b = hotRunMeta(s, 3_600_000);
    mock
      .on(GetItemCommand)
      .resolvesOnce(manifestItem({ version: 1, runs: [] }))
      .resolves(manifestItem({ version: 2, runs: [a] }));
    mock.on(PutItemCommand).rejectsOnce(awsError('ConditionalCheckFailedException')).resolves({});
    const s3 = new S3Client(creds);
    const s3mock = mockClient(s3);
    s3mock.on(PutObjectCommand).resolves({});
    const r = await new ManifestStore(ddb, 'idx', new ColdBucket(s3, 'b')).commit({ kind: 'rotate', remove: [], add: [b] });
    assert.equal(r.manifest.version, 3);
    // Its snapshot in the bucket: version 3's, none for the lost try.
    const snapshots = s3mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    assert.deepEqual(
      snapshots.map((p) => p.Key),
      [OBJECTS.manifestSnapshot(3)],
    );
    assert.deepEqual(
      decodeSnapshot(snapshots[0]!.Key!, snapshots[0]!.Body as Buffer)
        .runs.map((x) => x.id)
        .sort(),
      [a.id, b.id].sort(),
    );
    assert.deepEqual(r.manifest.runs.map((x: RunMeta) => x.id).sort(), [a.id, b.id].sort());
    const puts = mock.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    // First try (lost), the manifest at version 3, then its history item: none for the lost try.
    assert.equal(puts.length, 3);
    assert.equal(puts[1]!.Item!.version!.N, '3');
    assert.equal(puts[2]!.Item![INDEX_TABLE.partitionKey]!.S, INDEX_TABLE.historyPk);
  });

  it('puts the snapshot again when a re-run finds its edit committed (the crash may have come before the snapshot)', async () => {
    const ddb = new DynamoDBClient(creds);
    const mock = mockClient(ddb);
    const a = hotRunMeta({ ...DEFAULT_SETTINGS, periodMs: 3_600_000 }, 0);
    mock.on(GetItemCommand).resolves(manifestItem({ version: 7, runs: [a] }));
    const s3 = new S3Client(creds);
    const s3mock = mockClient(s3);
    s3mock.on(PutObjectCommand).resolves({});
    const r = await new ManifestStore(ddb, 'idx', new ColdBucket(s3, 'b')).commit({ kind: 'rotate', remove: [], add: [a] });
    assert.equal(r.changed, false);
    assert.equal(mock.commandCalls(PutItemCommand).length, 0, 'nothing committed again');
    assert.deepEqual(
      s3mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key),
      [OBJECTS.manifestSnapshot(7)],
    );
  });

  it('gives up cleanly when the winner of the race removed what the edit needs: ConflictError, nothing written', async () => {
    const ddb = new DynamoDBClient(creds);
    const mock = mockClient(ddb);
    const s = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
    const a = hotRunMeta(s, 0);
    mock
      .on(GetItemCommand)
      .resolvesOnce(manifestItem({ version: 1, runs: [a] }))
      .resolves(manifestItem({ version: 2, runs: [] }));
    mock.on(PutItemCommand).rejectsOnce(awsError('ConditionalCheckFailedException')).resolves({});
    // The offload would swap the hot run for its cold run; the hot run is gone and the cold one absent.
    const cold: RunMeta = { ...a, id: 'p-19700101T000000Z-1h', tier: 'cold' };
    const s3 = new S3Client(creds);
    const s3mock = mockClient(s3);
    await assert.rejects(new ManifestStore(ddb, 'idx', new ColdBucket(s3, 'b')).commit({ kind: 'offload', remove: [a.id], add: [cold] }), ConflictError);
    assert.equal(mock.commandCalls(PutItemCommand).length, 1, 'only the lost attempt');
    assert.equal(s3mock.commandCalls(PutObjectCommand).length, 0, 'no snapshot');
  });

  it('answers a throttled write with 429 and Retry-After, and writes nothing else', async () => {
    const ddb = new DynamoDBClient(creds);
    const mock = mockClient(ddb);
    const settings = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
    const now = Date.UTC(2026, 10, 23, 12, 30);
    const run = hotRunMeta(settings, Date.UTC(2026, 10, 23, 12));
    mock.on(GetItemCommand).resolves(manifestItem({ version: 1, runs: [run] }));
    mock.on(PutItemCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    const s3 = new S3Client(creds);
    const dp = new DataPlane({
      settings,
      hot: new HotTables(ddb),
      cold: coldFrom(ddb, s3, 'idx', 'b').coldReader,
      manifests: new ManifestStore(ddb, 'idx'),
      now: () => now,
    });
    const res = await createIngestHandler(() => dp)({
      version: '2.0',
      routeKey: 'PUT /v1/items/{pk}/{sk+}',
      rawPath: '/v1/items/p/s',
      rawQueryString: '',
      headers: {},
      pathParameters: { pk: 'p', sk: 's' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'PUT', path: '/v1/items/p/s' } },
    } as never);
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'Throttled');
    assert.equal(mock.commandCalls(PutItemCommand).length, 1);
  });
});

describe('conditional writes on AWS answers the embedded system cannot give (mocked)', () => {
  const settings = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
  const start = Date.UTC(2026, 10, 23, 12);
  // Just past a period's end: this period's table and the last one's can both take writes.
  const now = start + 1000;
  const runs = [hotRunMeta(settings, start - 3_600_000), hotRunMeta(settings, start)];
  const canceled = (...codes: string[]) => Object.assign(awsError('TransactionCanceledException'), { CancellationReasons: codes.map((Code) => ({ Code })) });
  const planeWith = (mock: ReturnType<typeof mockClient>, ddb: DynamoDBClient) => {
    mock.on(GetItemCommand).resolves({});
    mock.on(GetItemCommand, { TableName: 'idx' }).resolves(manifestItem({ version: 1, runs }));
    mock.on(QueryCommand).resolves({ Items: [] });
    return new DataPlane({
      settings,
      hot: new HotTables(ddb),
      cold: coldFrom(ddb, new S3Client(creds), 'idx', 'b').coldReader,
      manifests: new ManifestStore(ddb, 'idx'),
      now: () => now,
    });
  };

  it('reads again after a TransactionConflict (another transaction on the key) and writes on the next try', async () => {
    const ddb = new DynamoDBClient(creds);
    const mock = mockClient(ddb);
    const dp = planeWith(mock, ddb);
    mock.on(TransactWriteItemsCommand).rejectsOnce(canceled('None', 'TransactionConflict')).resolves({});
    const seq = await dp.put('p', 's', 1, { ifNoneMatch: '*' });
    assert.ok(seq > 0);
    const calls = mock.commandCalls(TransactWriteItemsCommand);
    assert.equal(calls.length, 2);
    const tx = calls[1]!.args[0].input.TransactItems!;
    assert.deepEqual(
      tx.map((t) => Object.keys(t)[0]),
      ['Put', 'ConditionCheck'],
      'the put, and a check on the other writable table',
    );
    assert.notEqual(tx[0]!.Put!.TableName, tx[1]!.ConditionCheck!.TableName);
  });

  it('answers 503 Contention after the key changed under every attempt, and 429 when the transaction was throttled', async () => {
    const ddb = new DynamoDBClient(creds);
    const mock = mockClient(ddb);
    const dp = planeWith(mock, ddb);
    mock.on(TransactWriteItemsCommand).rejects(canceled('ConditionalCheckFailed', 'None'));
    const err = await dp.put('p', 's', 1, { ifNoneMatch: '*' }).catch((e: unknown) => e);
    assert.ok(err instanceof UnavailableError && err.code === 'Contention', String(err));
    assert.equal(errorResult(err).statusCode, 503);
    assert.equal(mock.commandCalls(TransactWriteItemsCommand).length, 5);
    mock.on(TransactWriteItemsCommand).rejects(canceled('ThrottlingError', 'None'));
    const throttled = await dp.put('p', 's', 1, { ifNoneMatch: '*' }).catch((e: unknown) => e);
    assert.ok(throttled instanceof ThrottledError, String(throttled));
    mock.on(TransactWriteItemsCommand).rejects(canceled('ValidationError', 'None'));
    const invalid = await dp.put('p', 's', 1, { ifNoneMatch: '*' }).catch((e: unknown) => e);
    assert.equal(errorResult(invalid).statusCode, 500);
  });
});

describe('S3 error paths (mocked)', () => {
  const body = (fail: boolean, bytes = 'abc') => ({
    transformToByteArray: () => (fail ? Promise.reject(new Error('socket hang up')) : Promise.resolve(Buffer.from(bytes))),
  });

  it('reads a range again when its body breaks off mid-stream', async () => {
    const s3 = new S3Client(creds);
    const mock = mockClient(s3);
    mock
      .on(GetObjectCommand)
      .resolvesOnce({ Body: body(true) as never })
      .resolves({ Body: body(false, 'block') as never });
    const cold = coldFrom(new DynamoDBClient(creds), s3, 'idx', 'b').coldReader;
    assert.equal((await cold.blob('r', 'runs/r/0.blob').read(0, 5)).toString(), 'block');
    assert.equal(mock.commandCalls(GetObjectCommand).length, 2);
  });

  it('answers 503 StorageUnavailable when the body keeps breaking off, after three reads', async () => {
    const s3 = new S3Client(creds);
    const mock = mockClient(s3);
    mock.on(GetObjectCommand).resolves({ Body: body(true) as never });
    const cold = coldFrom(new DynamoDBClient(creds), s3, 'idx', 'b').coldReader;
    const err = await cold
      .blob('r', 'runs/r/0.blob')
      .read(0, 5)
      .catch((e: unknown) => e);
    assert.ok(err instanceof UnavailableError && err.code === 'StorageUnavailable', String(err));
    assert.equal(mock.commandCalls(GetObjectCommand).length, 3);
    const res = errorResult(err);
    assert.equal(res.statusCode, 503);
    assert.ok(res.headers['retry-after']);
  });

  it('answers SlowDown as throttling (429), not as missing data', async () => {
    const s3 = new S3Client(creds);
    mockClient(s3).on(GetObjectCommand).rejects(awsError('SlowDown', 503));
    const cold = coldFrom(new DynamoDBClient(creds), s3, 'idx', 'b').coldReader;
    const err = await cold
      .blob('r', 'runs/r/0.blob')
      .read(0, 5)
      .catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError);
    assert.equal(errorResult(err).statusCode, 429);
  });
});

describe("the SDK clients' own retries (a fake HTTP handler behind the real client)", () => {
  /** Answers `throttles` times with a DynamoDB throttling error, then with an empty query result. */
  function throttlingHandler(throttles: number) {
    let calls = 0;
    const handler = {
      calls: () => calls,
      handle: async () => {
        calls++;
        const throttled = calls <= throttles;
        const text = throttled
          ? JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' })
          : JSON.stringify({ Items: [], Count: 0 });
        return {
          response: { statusCode: throttled ? 400 : 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(text)]) },
        };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
    };
    return handler;
  }
  const env = { ALKI_BUCKET: 'b', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' };

  it('retries throttling with backoff and succeeds within the configured attempts', async () => {
    const e = storeEnvFrom(env);
    const h = throttlingHandler(2);
    (e.ddb.config as { requestHandler: unknown }).requestHandler = h;
    const out = await e.ddb.send(new QueryCommand({ TableName: 't', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'x' } } }));
    assert.equal(out.Count, 0);
    assert.equal(h.calls(), 3);
  });

  it('stops after the configured attempts, and the adapter answers ThrottledError', async () => {
    const e = storeEnvFrom(env);
    const h = throttlingHandler(100);
    (e.ddb.config as { requestHandler: unknown }).requestHandler = h;
    await assert.rejects(coldFrom(e.ddb, e.s3, 'idx', 'b').coldReader.floorEntry('r', Buffer.from('k')), ThrottledError);
    assert.equal(h.calls(), 4);
  });
});

/**
 * The lifecycle's and the import's tasks on the AWS answers dynalite and fauxqs never give (aws-sdk-client-mock
 * on every DynamoDB and S3 client): each task must fail with the error its state retries
 * (ThrottledError, MissingDataError), never with one that ends the execution or raises an
 * alarm, and must leave the manifest as it was.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from '@jest/globals';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { AccessDeniedError, ThrottledError } from '../../lambda/core/errors.ts';
import type { Garbage, Manifest } from '../../lambda/core/manifest.ts';
import { OBJECTS } from '../../lambda/core/schema.ts';
import { DEFAULT_SETTINGS, settingsToEnv } from '../../lambda/core/settings.ts';
import { mergeCompactionRange, type CompactionPlan } from '../../lambda/compact/compact.ts';
import { collectGarbage } from '../../lambda/gc/gc.ts';
import { parseChunk, type ImportJob } from '../../lambda/importer/importer.ts';
import { scanSegment, type OffloadJob } from '../../lambda/offload/offload.ts';
import { rotate } from '../../lambda/rotate/rotate.ts';
import { storesFrom } from '../../lambda/store/stores.ts';
import { verifyRun, VerificationFailed } from '../../lambda/verify/verify.ts';
import { STATE_MACHINES_DIR } from '../../lib/lifecycle.ts';

// Every client any store makes is mocked: nothing reaches a network.
const ddb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
afterEach(() => {
  ddb.reset();
  s3.reset();
});

const settings = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
const stores = () => storesFrom({ ...settingsToEnv(settings), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', ALKI_BUCKET: 'b' });
const awsError = (name: string, status = 400): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const manifestItem = (m: Manifest) => ({ Item: { version: { N: String(m.version) }, runs: { S: JSON.stringify(m.runs) }, garbage: { S: JSON.stringify(m.garbage ?? []) } } });

/** The errors a lifecycle state retries with backoff (its first Retry that is not for VerificationFailed). */
function transientErrors(state: string, machine = 'lifecycle'): string[] {
  type State = { Type: string; Retry?: { ErrorEquals: string[] }[]; ItemProcessor?: { States: Record<string, State> } };
  const find = (states: Record<string, State>): State | undefined =>
    states[state] ?? Object.values(states).reduce<State | undefined>((f, s) => f ?? (s.ItemProcessor ? find(s.ItemProcessor.States) : undefined), undefined);
  const asl = JSON.parse(readFileSync(`${STATE_MACHINES_DIR}${machine}.asl.json`, 'utf8')) as { States: Record<string, State> };
  const found = find(asl.States);
  assert.ok(found, state);
  return found.Retry!.find((r) => !r.ErrorEquals.includes('VerificationFailed'))!.ErrorEquals;
}

describe('lifecycle tasks on AWS-only failures (mocked)', () => {
  it('rotation: too many table operations at once (LimitExceededException) is throttling, retried by Rotate; nothing is registered', async () => {
    ddb.on(CreateTableCommand).rejects(awsError('LimitExceededException'));
    const s = stores();
    const err = await rotate({ hot: s.hot, manifests: s.manifests, settings }, Date.UTC(2026, 10, 23, 12)).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('Rotate').includes(err.name));
    assert.equal(ddb.commandCalls(PutItemCommand).length, 0, 'the manifest is not written');
  });

  it('offload scan: a Scan throttled beyond the SDK\'s retries fails as ThrottledError, retried by Scan', async () => {
    ddb.on(ScanCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    const job: OffloadJob = { hotRunId: 'h', table: 'alki-hot-x', periodStart: 0, periodEnd: settings.periodMs, runId: 'r', totalSegments: 2, segments: [0, 1], ranges: [{ index: 0 }] };
    const err = await scanSegment(stores(), job, 0).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('Scan').includes(err.name));
    assert.equal(s3.calls().length, 0, 'no spill written');
  });

  it('verification: S3 throttling while reading a new run back is ThrottledError (retried), never VerificationFailed', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${OBJECTS.runPrefix('r')}000000.blob`, Size: 4096 }] });
    ddb.on(QueryCommand).resolves({ Items: [] });
    s3.on(GetObjectCommand).rejects(awsError('SlowDown', 503));
    const err = await verifyRun(stores(), { runId: 'r', level: 0, periodStart: 0, periodEnd: settings.periodMs, plus: [] }).catch((e: unknown) => e);
    assert.ok(!(err instanceof VerificationFailed), `a throttled read is not a failed verification: ${String(err)}`);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('Verify').includes(err.name));
  });

  it('verification: a role that may not read the run fails as AccessDenied, not as a bad run', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${OBJECTS.runPrefix('r')}000000.blob`, Size: 4096 }] });
    ddb.on(QueryCommand).resolves({ Items: [] });
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));
    const err = await verifyRun(stores(), { runId: 'r', level: 0, periodStart: 0, periodEnd: settings.periodMs, plus: [] }).catch((e: unknown) => e);
    assert.ok(err instanceof AccessDeniedError, String(err));
  });

  it('GC: a key DeleteObjects refuses fails the collection, and the manifest keeps the garbage for the next run', async () => {
    const g: Garbage = { id: 'run:old', kind: 'run', target: 'old', releasedAt: 0 };
    ddb.on(GetItemCommand).resolves(manifestItem({ version: 7, runs: [], garbage: [g] }));
    ddb.on(QueryCommand).resolves({ Items: [] });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${OBJECTS.runPrefix('old')}000000.blob`, Size: 10 }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: `${OBJECTS.runPrefix('old')}000000.blob`, Code: 'AccessDenied', Message: 'Access Denied' }] });
    const err = await collectGarbage(stores(), Date.UTC(2026, 10, 23)).catch((e: unknown) => e);
    assert.ok(err instanceof AccessDeniedError, String(err));
    assert.match(err.message, /000000\.blob/);
    assert.equal(ddb.commandCalls(PutItemCommand).length, 0, 'the garbage is not forgotten');
  });

  it('GC: too many table deletions at once is throttling (retried), and the manifest keeps the table as garbage', async () => {
    const g: Garbage = { id: 'table:t', kind: 'table', target: 'alki-hot-t', releasedAt: 0 };
    ddb.on(GetItemCommand).resolves(manifestItem({ version: 7, runs: [], garbage: [g] }));
    ddb.on(DeleteTableCommand).rejects(awsError('LimitExceededException'));
    const err = await collectGarbage(stores(), Date.UTC(2026, 10, 23)).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('CollectGarbage').includes(err.name));
    assert.equal(ddb.commandCalls(PutItemCommand).length, 0, 'the garbage is not forgotten');
  });

  it('compaction merge: an index query throttled beyond the SDK\'s retries fails as ThrottledError, retried by MergeRange; nothing written', async () => {
    ddb.on(QueryCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    const plan: CompactionPlan = { outputId: 'c', level: 1, periodStart: 0, periodEnd: 2 * settings.periodMs, dropTombstones: false, inputs: ['a', 'b'], inputTotal: { count: 0, setsum: '' }, ranges: [{ index: 0 }] };
    const err = await mergeCompactionRange(stores(), plan, { index: 0 }).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('MergeRange').includes(err.name));
    assert.equal(s3.commandCalls(PutObjectCommand).length, 0, 'no blob written');
  });

  const job: ImportJob = { importId: 'i', runId: 'import-i', onInvalid: 'fail', files: [{ key: 'imports/i/0.ndjson', size: 1000 }], chunks: [{ index: 0, file: 0, start: 0, end: 1000 }], ranges: [{ index: 0 }] };

  it('import parse: an upload the role may not read fails as AccessDenied, never as invalid lines', async () => {
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));
    const err = await parseChunk(stores(), job, job.chunks[0]!, Date.UTC(2026, 10, 23)).catch((e: unknown) => e);
    assert.ok(err instanceof AccessDeniedError, String(err));
  });

  it('import parse: a throttled read of the upload fails as ThrottledError, retried by Parse', async () => {
    s3.on(GetObjectCommand).rejects(awsError('SlowDown', 503));
    const err = await parseChunk(stores(), job, job.chunks[0]!, Date.UTC(2026, 10, 23)).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('Parse', 'import').includes(err.name));
  });
});

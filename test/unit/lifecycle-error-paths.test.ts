/**
 * The lifecycle's and the import's tasks on the AWS answers dynalite and fauxqs never give (aws-sdk-client-mock
 * on every DynamoDB and S3 client): each task must fail with the error its state retries
 * (ThrottledError, MissingDataError), never with one that ends the execution or raises an
 * alarm, and must leave the manifest as it was.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from '@jest/globals';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateTableCommand,
  type GetItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { AccessDeniedError, ThrottledError } from '../../lambda/core/errors.ts';
import type { Garbage, Manifest } from '../../lambda/core/manifest.ts';
import { INDEX_TABLE, OBJECTS } from '../../lambda/core/schema.ts';
import { DEFAULT_SETTINGS, settingsToEnv } from '../../lambda/core/settings.ts';
import { mergeCompactionRange } from '../../lambda/compact/compact.ts';
import type { CompactionJob, ImportJob, OffloadJob } from '../../lambda/core/jobs.ts';
import { collectGarbage } from '../../lambda/gc/gc.ts';
import { parseChunk } from '../../lambda/importer/importer.ts';
import { scanSegment } from '../../lambda/offload/offload.ts';
import { hotRunMeta, rotate } from '../../lambda/rotate/rotate.ts';
import { throttlePatience } from '../../lambda/store/aws-errors.ts';
import { encodePosition } from '../../lambda/store/paging.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import { storesFrom } from '../../lambda/store/stores.ts';
import { TableScaling } from '../../lambda/store/table-scaling.ts';
import { verifyRange, VerificationFailed } from '../../lambda/verify/verify.ts';
import { STATE_MACHINES_DIR } from '../../lib/lifecycle.ts';

// Every client any store makes is mocked: nothing reaches a network.
const ddb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const scalingClient = mockClient(ApplicationAutoScalingClient);
afterEach(() => {
  ddb.reset();
  s3.reset();
  scalingClient.reset();
});

const settings = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
const stores = () => storesFrom({ ...settingsToEnv(settings), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', ALKI_BUCKET: 'b' });
const awsError = (name: string, status = 400): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const hotRunAt = (start: number) => hotRunMeta(settings, start);
/** A job's spec as the job store reads it (every GetItem answers it). */
const jobItem = (spec: unknown) => ({ Item: { spec: { S: JSON.stringify(spec) } } });
/** A job of one key range, as GetItem answers for its spec and its range record. */
const RANGES = { rangeCount: 1, rangeSet: 'set1' } as const;
const RANGE_ITEM = { range: { S: JSON.stringify({ index: 0 }) } };
/** GetItem of a job's spec answers it; of a task's record (none yet), nothing. */
const specOnly = (spec: unknown) => (input: GetItemCommandInput) => (input.Key![INDEX_TABLE.sortKey]!.B!.length === 1 ? jobItem(spec) : {});
const jobOrRange = (spec: unknown) => (input: GetItemCommandInput) =>
  Buffer.from(input.Key![INDEX_TABLE.sortKey]!.B!).toString('utf8').startsWith('range#') ? { Item: RANGE_ITEM } : jobItem(spec);
const manifestItem = (m: Manifest) => ({
  Item: { version: { N: String(m.version) }, runs: { S: JSON.stringify(m.runs) }, garbage: { S: JSON.stringify(m.garbage ?? []) } },
});

/** The errors a lifecycle state retries with backoff (its first Retry that is not for VerificationFailed). */
function transientErrors(state: string, machine = 'lifecycle'): string[] {
  type State = { Type: string; Retry?: { ErrorEquals: string[]; MaxAttempts: number }[]; ItemProcessor?: { States: Record<string, State> } };
  const find = (states: Record<string, State>): State | undefined =>
    states[state] ?? Object.values(states).reduce<State | undefined>((f, s) => f ?? (s.ItemProcessor ? find(s.ItemProcessor.States) : undefined), undefined);
  const asl = JSON.parse(readFileSync(`${STATE_MACHINES_DIR}${machine}.asl.json`, 'utf8')) as { States: Record<string, State> };
  const found = find(asl.States);
  assert.ok(found, state);
  // The errors its state retries by name (not only as any task failure).
  return found.Retry!.filter((r) => r.MaxAttempts > 0 && !r.ErrorEquals.includes('States.TaskFailed')).flatMap((r) => r.ErrorEquals);
}

describe('lifecycle tasks on AWS-only failures (mocked)', () => {
  it('rotation: too many table operations at once (LimitExceededException) is throttling, retried by Rotate; nothing is registered', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(CreateTableCommand).rejects(awsError('LimitExceededException'));
    const s = stores();
    const err = await rotate(
      { tables: s.tables, scaling: new TableScaling(new ApplicationAutoScalingClient({ region: 'us-east-1' })), manifests: s.manifests, settings },
      Date.UTC(2026, 10, 23, 12),
    ).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('Rotate').includes(err.name));
    assert.equal(ddb.commandCalls(PutItemCommand).length, 0, 'the manifest is not written');
  });

  describe('rotation with provisioned hot tables', () => {
    const provisioned = { ...settings, hotCapacity: 'provisioned' as const };
    const now = Date.UTC(2026, 10, 23, 12, 30);
    const scaler = () => new TableScaling(new ApplicationAutoScalingClient({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } }));
    // An empty store whose tables all exist on-demand: rotation provisions the current one.
    const onDemandStore = () => {
      ddb.on(GetItemCommand).resolves({});
      ddb.on(PutItemCommand).resolves({});
      ddb.on(CreateTableCommand).rejects(awsError('ResourceInUseException'));
      ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE', BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } } });
    };

    it('another update of the same scalable target in progress (ConcurrentUpdateException) is throttling, retried by Rotate', async () => {
      onDemandStore();
      ddb.on(UpdateTableCommand).resolves({});
      scalingClient.on(RegisterScalableTargetCommand).rejects(awsError('ConcurrentUpdateException'));
      const s = stores();
      const err = await rotate({ tables: s.tables, scaling: scaler(), manifests: s.manifests, settings: provisioned }, now).catch((e: unknown) => e);
      assert.ok(err instanceof ThrottledError, String(err));
      assert.ok(transientErrors('Rotate').includes(err.name));
      assert.equal(scalingClient.commandCalls(PutScalingPolicyCommand).length, 0, 'no policy without its target');
    });

    it('a table still busy with an earlier update (ResourceInUseException) is left for the next rotation, with no auto scaling attached', async () => {
      onDemandStore();
      ddb.on(UpdateTableCommand).rejects(awsError('ResourceInUseException'));
      const s = stores();
      const r = await rotate({ tables: s.tables, scaling: scaler(), manifests: s.manifests, settings: provisioned }, now);
      assert.ok(r.busy.length >= 1, JSON.stringify(r.busy));
      assert.deepEqual(r.provisioned, []);
      assert.equal(scalingClient.commandCalls(RegisterScalableTargetCommand).length, 0);
    });

    it('a missing permission that Application Auto Scaling finds (ValidationException) fails the rotation, not retried: a deployment fault', async () => {
      onDemandStore();
      ddb.on(UpdateTableCommand).resolves({});
      scalingClient.on(RegisterScalableTargetCommand).rejects(awsError('ValidationException'));
      const s = stores();
      const err = await rotate({ tables: s.tables, scaling: scaler(), manifests: s.manifests, settings: provisioned }, now).catch((e: unknown) => e);
      assert.equal((err as Error).name, 'ValidationException');
      assert.ok(!transientErrors('Rotate').includes('ValidationException'));
    });

    it('a sealed table is detached before it goes back to on-demand; a target already gone is no error', async () => {
      ddb.on(GetItemCommand).resolves(manifestItem({ version: 3, runs: [{ ...hotRunAt(Date.UTC(2026, 10, 23, 10)), table: 'alki-hot-sealed' }], garbage: [] }));
      ddb.on(PutItemCommand).resolves({});
      ddb.on(CreateTableCommand).resolves({});
      ddb.on(DescribeTableCommand).resolves({
        Table: {
          TableStatus: 'ACTIVE',
          BillingModeSummary: { BillingMode: 'PROVISIONED' },
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        },
      });
      const order: string[] = [];
      ddb.on(UpdateTableCommand).callsFake((input: { TableName?: string; BillingMode?: string }) => {
        order.push(`update ${input.TableName} ${input.BillingMode ?? 'throughput'}`);
        return {};
      });
      scalingClient.on(DeregisterScalableTargetCommand).callsFake((input: { ResourceId?: string }) => {
        order.push(`detach ${input.ResourceId}`);
        throw awsError('ObjectNotFoundException');
      });
      const s = stores();
      await rotate({ tables: s.tables, scaling: scaler(), manifests: s.manifests, settings: provisioned }, now);
      assert.deepEqual(
        order.filter((o) => o.includes('sealed')),
        ['detach table/alki-hot-sealed', 'detach table/alki-hot-sealed', 'update alki-hot-sealed PAY_PER_REQUEST'],
      );
    });
  });

  it("offload scan: a Scan throttled beyond the SDK's retries asks again for the same page and goes on from there", async () => {
    const job: OffloadJob = {
      hotRunId: 'h',
      table: 'alki-hot-x',
      periodStart: 0,
      periodEnd: settings.periodMs,
      runId: 'r',
      totalSegments: 2,
      readUnitsPerSegment: 1000,
      ...RANGES,
    };
    const item = (sk: string) => ({ pk: { S: 'p' }, sk: { S: sk }, v: { S: '1' }, seq: { N: '1' } });
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [item('a')], LastEvaluatedKey: { pk: { S: 'p' }, sk: { S: 'a' } }, ConsumedCapacity: { CapacityUnits: 1 } })
      .rejectsOnce(awsError('ProvisionedThroughputExceededException'))
      .rejectsOnce(awsError('ThrottlingException'))
      .resolves({ Items: [item('b')], ConsumedCapacity: { CapacityUnits: 1 } });
    ddb.on(GetItemCommand).callsFake(specOnly(job));
    ddb.on(QueryCommand).resolves({ Items: [RANGE_ITEM] });
    ddb.on(PutItemCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    assert.deepEqual(await scanSegment(stores(), job.runId, 0), { index: 0, count: 2 });
    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    assert.deepEqual(
      scans.map((x) => x.ExclusiveStartKey?.sk?.S),
      [undefined, 'a', 'a', 'a'],
      'the refused page is asked for again, not the segment',
    );
    assert.ok(
      scans.every((x) => x.ReturnConsumedCapacity === 'TOTAL' && x.ConsistentRead === false),
      'eventually consistent, paced by what each page consumed',
    );
    const record = JSON.parse(
      ddb
        .commandCalls(PutItemCommand)
        .map((c) => c.args[0].input.Item!.record?.S)
        .find((x) => x !== undefined) ?? '{}',
    ) as { throttled?: number; count?: number };
    assert.deepEqual([record.count, record.throttled], [2, 2], 'the scan record says how often it waited');
  });

  it('offload scan: a task run again goes on from the position its last attempt recorded, with its tally and spills; one recorded before the run failed verification is not gone on from', async () => {
    const job: OffloadJob = { hotRunId: 'h', table: 'alki-hot-x', periodStart: 0, periodEnd: settings.periodMs, runId: 'r', totalSegments: 2, ...RANGES };
    const item = (sk: string) => ({ pk: { S: 'p' }, sk: { S: sk }, v: { S: '1' }, seq: { N: '1' } });
    const recorded = { position: encodePosition({ pk: { S: 'p' }, sk: { S: 'a' } }), count: 5, setsum: new Setsum().hexdigest(), spills: [1], at: 1000 };
    for (const failedAt of [undefined, 2000]) {
      ddb.reset();
      s3.reset();
      ddb.on(ScanCommand).resolves({ Items: [item('b')] });
      ddb.on(GetItemCommand).callsFake((input: GetItemCommandInput) => {
        const sk = Buffer.from(input.Key![INDEX_TABLE.sortKey]!.B!).toString('utf8');
        if (sk.startsWith('scanProgress#')) return { Item: { record: { S: JSON.stringify(recorded) } } };
        if (sk.startsWith('failure#')) return failedAt === undefined ? {} : { Item: { record: { S: JSON.stringify({ at: failedAt, problems: ['x'] }) } } };
        return jobItem(job);
      });
      ddb.on(QueryCommand).resolves({ Items: [RANGE_ITEM] });
      ddb.on(PutItemCommand).resolves({});
      s3.on(PutObjectCommand).resolves({});
      const resumes = failedAt === undefined;
      assert.deepEqual(await scanSegment(stores(), job.runId, 0), { index: 0, count: resumes ? 6 : 1 });
      assert.equal(ddb.commandCalls(ScanCommand)[0]!.args[0].input.ExclusiveStartKey?.sk?.S, resumes ? 'a' : undefined);
      // Its spills go on after the recorded one.
      assert.deepEqual(
        s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key!.split('/').at(-1)),
        [resumes ? '000001.spill' : '000000.spill'],
      );
    }
  });

  it("offload scan: a Scan throttled past the task's patience fails as ThrottledError, retried by Scan", async () => {
    const patience = throttlePatience.ms;
    throttlePatience.ms = 300;
    try {
      ddb.on(ScanCommand).rejects(awsError('ProvisionedThroughputExceededException'));
      const job: OffloadJob = { hotRunId: 'h', table: 'alki-hot-x', periodStart: 0, periodEnd: settings.periodMs, runId: 'r', totalSegments: 2, ...RANGES };
      ddb.on(GetItemCommand).callsFake(specOnly(job));
      ddb.on(QueryCommand).resolves({ Items: [RANGE_ITEM] });
      const err = await scanSegment(stores(), job.runId, 0).catch((e: unknown) => e);
      assert.ok(err instanceof ThrottledError, String(err));
      assert.ok(transientErrors('Scan').includes(err.name));
      assert.ok(ddb.commandCalls(ScanCommand).length > 1, 'it asked again before giving up');
      assert.equal(s3.calls().length, 0, 'no spill written');
    } finally {
      throttlePatience.ms = patience;
    }
  });

  it('verification: S3 throttling while reading a new run back is ThrottledError (retried), never VerificationFailed', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${OBJECTS.rangeBlobPrefix('r', 0)}000000.blob`, Size: 4096 }] });
    ddb.on(QueryCommand).resolves({ Items: [] });
    s3.on(GetObjectCommand).rejects(awsError('SlowDown', 503));
    const err = await verifyRange(stores(), 'r', { index: 0 }).catch((e: unknown) => e);
    assert.ok(!(err instanceof VerificationFailed), `a throttled read is not a failed verification: ${String(err)}`);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('VerifyRange').includes(err.name));
  });

  it('verification: a role that may not read the run fails as AccessDenied, not as a bad run', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${OBJECTS.rangeBlobPrefix('r', 0)}000000.blob`, Size: 4096 }] });
    ddb.on(QueryCommand).resolves({ Items: [] });
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));
    const err = await verifyRange(stores(), 'r', { index: 0 }).catch((e: unknown) => e);
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
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(DeleteTableCommand).rejects(awsError('LimitExceededException'));
    const err = await collectGarbage(stores(), Date.UTC(2026, 10, 23)).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('CollectGarbage').includes(err.name));
    assert.equal(ddb.commandCalls(PutItemCommand).length, 0, 'the garbage is not forgotten');
  });

  it("compaction merge: an index query throttled beyond the SDK's retries fails as ThrottledError, retried by MergeRange; nothing written", async () => {
    ddb.on(QueryCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    const plan: CompactionJob = {
      outputId: 'c',
      level: 1,
      periodStart: 0,
      periodEnd: 2 * settings.periodMs,
      dropTombstones: false,
      inputs: ['a', 'b'],
      inputTotal: { count: 0, setsum: '' },
      ...RANGES,
    };
    ddb.on(GetItemCommand).callsFake(jobOrRange(plan));
    const err = await mergeCompactionRange(stores(), plan.outputId, 0).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('MergeRange').includes(err.name));
    assert.equal(s3.commandCalls(PutObjectCommand).length, 0, 'no blob written');
  });

  const job: ImportJob = {
    importId: 'i',
    runId: 'import-i',
    onInvalid: 'fail',
    files: [{ key: 'imports/i/0.ndjson', size: 1000 }],
    chunkBytes: 1000,
    chunkCount: 1,
    ...RANGES,
  };

  it('import parse: an upload the role may not read fails as AccessDenied, never as invalid lines', async () => {
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));
    ddb.on(GetItemCommand).resolves(jobItem(job));
    const err = await parseChunk(stores(), job.runId, 0, Date.UTC(2026, 10, 23)).catch((e: unknown) => e);
    assert.ok(err instanceof AccessDeniedError, String(err));
  });

  it('import parse: a throttled read of the upload fails as ThrottledError, retried by Parse', async () => {
    s3.on(GetObjectCommand).rejects(awsError('SlowDown', 503));
    ddb.on(GetItemCommand).resolves(jobItem(job));
    const err = await parseChunk(stores(), job.runId, 0, Date.UTC(2026, 10, 23)).catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError, String(err));
    assert.ok(transientErrors('Parse', 'import').includes(err.name));
  });
});

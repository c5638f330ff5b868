/**
 * The offload at the planner's extremes: 24 KiB scan segments and a 1 KiB spill budget on
 * about 2.5 MB make a fan-out past what an inline Map carries (over 100 scan segments, no cap),
 * several key ranges, and several spills per range per segment, through the real ASL: its
 * Distributed Maps read their items from S3 and run each task as a child execution, with
 * Step Functions' payload quota enforced. Every state stays a few KiB (the tasks pass
 * references; the lists are the job's records and item lists), reads equal the model, and
 * GC removes the job's spec, records and item lists.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { OffloadJob } from '../../lambda/core/jobs.ts';
import { INDEX_TABLE, OBJECTS } from '../../lambda/core/schema.ts';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { MAP_CONCURRENCY } from '../../lambda/core/fan-out.ts';
import { JobStore } from '../../lambda/store/job-store.ts';
import type { LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('extreme', { segmentBytes: 24 * 1024, spillBytes: 1024, rangeBytes: 320 * 1024, blockBytes: 4096, blobBytes: 64 * 1024 });
/** What a state may hold, far under the 256 KiB quota: the state carries references only. */
const STATE_BUDGET = 32 * 1024;

describe("the offload at the planner's extremes", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const model = new Model();
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('fans out past 64 segments with several spills per range per segment, keeps every state small, and reads right', async () => {
    assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const rng = prng(21);
    const writer = directWriter(sys.dataPlane, model);
    const pad = 'x'.repeat(300);
    for (let b = 0; b < 240; b++) {
      await writer.write(
        Array.from({ length: 25 }, (_, i) => ({ pk: `p${Math.floor(rng() * 3000)}`, sk: `e${b}-${i}-${Math.floor(rng() * 1e6)}`, value: { b, i, pad } })),
      );
    }
    clock.advance(SETTINGS.periodMs + SETTINGS.sealGraceMs + 1);
    const r = await sys.runLifecycle();
    assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${String(r.cause)}`);
    assert.ok(r.maxPayloadBytes! < STATE_BUDGET, `largest state or task payload ${r.maxPayloadBytes} bytes`);

    const cold = (await sys.dataPlane.manifests.read()).runs.filter((x) => x.tier === 'cold');
    assert.equal(cold.length, 1);
    const runId = cold[0]!.id;
    const jobs = new JobStore(sys.store.ddb, sys.store.indexTable);
    const job = await jobs.spec<OffloadJob>(runId);
    assert.ok(job.totalSegments > 100, `${job.totalSegments} segments: the fan-out follows the data, past an inline Map's 64`);
    // Each Distributed Map ran one child execution per task, at most MAP_CONCURRENCY at once, each with a short history of its own.
    const scanRun = r.mapRuns.find((m) => m.state === 'ScanSegments')!;
    assert.equal(scanRun.items, job.totalSegments);
    assert.equal(scanRun.succeeded, job.totalSegments);
    assert.ok(scanRun.maxRunning <= MAP_CONCURRENCY && scanRun.maxRunning > 1, `${scanRun.maxRunning} at once`);
    assert.ok(scanRun.maxChildHistoryEvents > 0 && scanRun.maxChildHistoryEvents < 50, `${scanRun.maxChildHistoryEvents} events in a child's history`);
    assert.deepEqual(r.mapRuns.map((m) => m.state).slice(0, 4), ['ScanSegments', 'MergeRanges', 'VerifyRanges', 'Rescan']);
    assert.ok(r.historyEvents! < 500, `${r.historyEvents} events in the parent's history, whatever the fan-out`);
    assert.ok(job.rangeCount >= 6, `${job.rangeCount} ranges`);
    assert.equal((await jobs.ranges(runId, job)).length, job.rangeCount);
    const scans = await jobs.allRecords(runId, 'scan', job.totalSegments);
    const perCell = scans.flatMap((s) => s.spills);
    assert.ok(perCell.filter((n) => n >= 2).length > perCell.length / 2, `spills per range per segment: ${perCell.join(',')}`);
    assert.equal(
      scans.reduce((a, s) => a + s.count, 0),
      cold[0]!.count,
    );
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 5, ranges: 1, partitions: 8, pageSize: 200 });

    // After gcGrace, the job's spec and records are gone with its spills.
    clock.advance(SETTINGS.gcGraceMs + 1);
    assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const left = await sys.store.ddb.send(
      new QueryCommand({
        TableName: sys.store.indexTable,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': INDEX_TABLE.partitionKey },
        ExpressionAttributeValues: { ':pk': { S: `job#${runId}` } },
      }),
    );
    assert.equal(left.Count, 0);
    const objects = await sys.store.s3.send(new ListObjectsV2Command({ Bucket: sys.store.bucket, Prefix: `${OBJECTS.spillPrefix(runId)}/` }));
    assert.equal(objects.KeyCount ?? 0, 0, 'spills, item lists and map results are gone');
  });
});

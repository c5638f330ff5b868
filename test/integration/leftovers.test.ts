/**
 * What failed attempts leave (blobs, index items, spills, job specs of a run never committed)
 * is swept by GC once nothing can still commit it; what may still commit (a pending
 * offload, a running import) is left alone. Reads are unaffected.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { OBJECTS, offloadRunId, periodStartOf } from '../../lambda/core/schema.ts';
import { ImportStore } from '../../lambda/store/import-store.ts';
import { JobStore } from '../../lambda/store/job-store.ts';
import type { LocalSystem } from '../../local/system.ts';
import { put } from '../support/arbitraries.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('left');

describe('leftovers of failed attempts', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const model = new Model();
  const rng = prng(21);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('are swept by GC when nothing can commit them, and kept while something can', async () => {
    const op = sys.store;
    const jobs = new JobStore(op.ddb, op.indexTable);
    const imports = new ImportStore(op.ddb, op.indexTable);
    const spill = (job: string) => op.s3.send(new PutObjectCommand({ Bucket: op.bucket, Key: `${OBJECTS.spill(job, 0, 0)}/000000.spill`, Body: 'x' }));
    const importRecord = (id: string, state: 'running' | 'failed') =>
      imports.put({ id, state, format: 'ndjson', onInvalid: 'fail', files: 1, createdAt: '', updatedAt: '', attempts: 1, errors: [] }, 0);

    await randomWrites(directWriter(sys.dataPlane, model), rng, ['a', 'b'], 40, 'p0');
    clock.advance(SETTINGS.periodMs);
    assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');

    // A compaction whose execution failed, never to be planned again: run, index items, spills, spec.
    const orphan = 'c5-100-200';
    await sys.cold.coldWriter.writeRun(orphan, [put('zz', 'k1', 1, 1), put('zz', 'k2', 1, 2)]);
    await spill(orphan);
    await jobs.getOrCreate(orphan, async () => ({ spec: { inputs: [] }, ranges: [{ index: 0 }] }));
    // The offload of the current period, which is still hot: its next attempt reuses these.
    const pending = offloadRunId(periodStartOf(clock.now(), SETTINGS.periodMs), SETTINGS.periodMs);
    await spill(pending);
    // One import still running (its execution may commit), one failed.
    await importRecord('aaaaaaaaaaaaaaaaaaaa', 'running');
    await importRecord('ffffffffffffffffffff', 'failed');
    for (const id of ['i-aaaaaaaaaaaaaaaaaaaa', 'i-ffffffffffffffffffff']) await sys.cold.coldWriter.writeRun(id, [put('zz', 'k3', 1, 3)]);

    const r = await sys.runLifecycle();
    assert.equal(r.status, 'SUCCEEDED');
    const gcOut = r.events.find((e) => e.type === 'StateExited' && e.state === 'CollectGarbage')?.output as { gc?: { swept?: string[] } } | undefined;
    assert.deepEqual(gcOut?.gc?.swept, ['c5-100-200', 'i-ffffffffffffffffffff'], JSON.stringify(gcOut));

    const objects = (await sys.cold.bucket.list('')).map((o) => o.key);
    assert.ok(!objects.some((k) => k.includes(orphan) || k.includes('i-ffffffffffffffffffff')), objects.join('\n'));
    assert.ok(
      objects.some((k) => k.startsWith(`${OBJECTS.spillPrefix(pending)}/`)),
      'the pending offload keeps its spills',
    );
    assert.ok(
      objects.some((k) => k.startsWith(OBJECTS.runPrefix('i-aaaaaaaaaaaaaaaaaaaa'))),
      'the running import keeps its run',
    );
    const entries: unknown[] = [];
    for await (const e of sys.cold.coldReader.allEntries(orphan)) entries.push(e);
    assert.deepEqual(entries, [], 'index items swept');
    assert.equal(await jobs.get(orphan), undefined, 'job spec swept');
    assert.deepEqual(sys.iam.denied(), []);
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 1 });
  });
});

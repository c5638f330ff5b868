/**
 * Corruption: a merge that writes a broken run (a flipped byte, a dropped record, a swapped
 * pair of records, an index item naming the wrong blob). Verification rejects each, the
 * execution fails as VerificationFailed, the manifest stays as it was, reads stay whole,
 * and a clean re-run rewrites the run and commits it.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { scanBlob } from '../../lambda/core/blob-reader.ts';
import { BlobWriter } from '../../lambda/core/blob-writer.ts';
import type { RangeSpec } from '../../lambda/core/key-ranges.ts';
import type { JobRanges } from '../../lambda/core/jobs.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { INDEX_TABLE, OBJECTS, runRangePartition } from '../../lambda/core/schema.ts';
import { serializeIndexEntry } from '../../lambda/core/sparse-index.ts';
import { ENTRY } from '../../lambda/store/run-index.ts';
import { JobStore } from '../../lambda/store/job-store.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, assertSettled, directWriter, ManualClock, Model, prng, randomWrites, stepOf, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('corrupt', { rangeBytes: 8192 });

/** A merge task's input: the job's run id and the range's index (its bounds are in the job's spec). */
interface MergeInput {
  readonly runId: string;
  readonly range: number;
}

type Corruption = (sys: LocalSystem, runId: string, range: RangeSpec) => Promise<void>;

/** The records of one key range of a run, as written. */
async function rangeRecords(sys: LocalSystem, runId: string, range: number): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const o of await sys.cold.bucket.list(OBJECTS.rangeBlobPrefix(runId, range))) {
    for await (const e of scanBlob(sys.cold.bucket.source(o.key, o.size))) out.push(e);
  }
  return out;
}

/** Rewrites a range with a writer that, like a buggy one, does not check key order. */
async function rewriteUnchecked(sys: LocalSystem, runId: string, range: number, records: readonly Entry[]): Promise<void> {
  const w = new BlobWriter((i) => OBJECTS.rangeBlob(runId, range, i), { blockBytes: SETTINGS.blockBytes, blobBytes: SETTINGS.blobBytes });
  for (const e of records) {
    Reflect.set(w, 'lastKey', undefined);
    const b = w.add(e);
    if (b) await sys.cold.coldWriter.putBlob(runId, b, range);
  }
  const last = w.finish();
  if (last) await sys.cold.coldWriter.putBlob(runId, last, range);
}

const CORRUPTIONS: Record<string, Corruption> = {
  'a flipped byte': async (sys, runId, range) => {
    const [o] = await sys.cold.bucket.list(OBJECTS.rangeBlobPrefix(runId, range.index));
    const bytes = Buffer.from(await sys.cold.bucket.source(o!.key, o!.size).read(0, o!.size));
    bytes[Math.floor(bytes.length / 3)]! ^= 0x10;
    await sys.cold.bucket.putObject(o!.key, bytes);
  },
  'a dropped record': async (sys, runId, range) => {
    const records = await rangeRecords(sys, runId, range.index);
    assert.ok(records.length >= 3);
    // A consistent run (footers, index items) that lacks one record: only the tallies can tell.
    await sys.cold.coldWriter.writeRun(
      runId,
      records.filter((_, i) => i !== 1),
      { blockBytes: SETTINGS.blockBytes, blobBytes: SETTINGS.blobBytes },
      range,
    );
  },
  'a swapped pair': async (sys, runId, range) => {
    const records = await rangeRecords(sys, runId, range.index);
    assert.ok(records.length >= 3);
    [records[1], records[2]] = [records[2]!, records[1]!];
    await rewriteUnchecked(sys, runId, range.index, records);
  },
  'an index item naming the wrong blob': async (sys, runId, range) => {
    const entries = [];
    for await (const e of sys.cold.coldReader.allEntries(runId)) entries.push(e);
    const mine = entries.find((e) => e.blob.startsWith(OBJECTS.rangeBlobPrefix(runId, range.index)))!;
    const other = entries.find((e) => e.blob !== mine.blob);
    assert.ok(other, 'the run needs two blobs');
    await sys.store.ddb.send(
      new PutItemCommand({
        TableName: sys.store.indexTable,
        Item: {
          [INDEX_TABLE.partitionKey]: { S: runRangePartition(runId, range.index) },
          [INDEX_TABLE.sortKey]: { B: mine.firstKey },
          [ENTRY]: { B: serializeIndexEntry({ ...mine, blob: other.blob }) },
        },
      }),
    );
  },
};

describe('verification rejects corrupted runs', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 6, 0, 0) + 500);
  const model = new Model();
  const rng = prng(9);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  /** Runs the lifecycle with the first merge of `step` corrupted after it wrote; returns the execution and the manifest version it must leave. */
  async function corruptedRun(step: 'offload:merge' | 'compact:merge', corrupt: Corruption) {
    let started = false;
    let done = false;
    let applyError: unknown;
    let committedVersion: number | undefined;
    const tasks: Record<string, TaskHandler> = {};
    for (const [p, h] of Object.entries(sys.tasks)) {
      tasks[p] = async (input) => {
        const out = await h(input);
        const s = stepOf(p, input);
        if (s === step && !started) {
          started = true;
          const i = input as unknown as MergeInput;
          const jobs = new JobStore(sys.store.ddb, sys.store.indexTable);
          // A corruption that fails to apply fails the test (not a retried task that then writes cleanly).
          await corrupt(sys, i.runId, await jobs.range(i.runId, await jobs.spec<JobRanges>(i.runId), i.range)).catch((err: unknown) => {
            applyError = err;
          });
          done = applyError === undefined;
        }
        if (s === 'commit:offload') committedVersion = (out as { version: number }).version;
        return out;
      };
    }
    const r = await sys.runnerWith(tasks, { retryIntervalMs: 0 }).start('lifecycle').done;
    if (applyError !== undefined) throw applyError;
    return { r, corrupted: done, committedVersion };
  }

  async function nextPeriod(n = 200): Promise<void> {
    await randomWrites(directWriter(sys.dataPlane, model), rng, ['p1', 'p2', 'p3', 'p4'], n, 'c');
    clock.advance(SETTINGS.periodMs);
    // Rotation first, so the manifest before the corrupted execution is the one it must leave.
    await sys.tasks[arnPlaceholder('rotate')]!({});
  }

  async function recover(): Promise<void> {
    const r = await sys.stepFunctions.start('lifecycle').done;
    assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${String(r.cause)}`);
    clock.advance(SETTINGS.gcGraceMs + 100);
    await sys.runLifecycle();
    await assertSettled(sys, SETTINGS);
    await assertReadsMatch(sys.url, model, rng, { gets: 10, ranges: 1 });
  }

  for (const [name, corrupt] of Object.entries(CORRUPTIONS)) {
    it(`offload: ${name}`, async () => {
      await nextPeriod();
      const before = await sys.dataPlane.manifests.read();
      const { r, corrupted } = await corruptedRun('offload:merge', corrupt);
      assert.ok(corrupted);
      assert.equal(r.status, 'FAILED');
      assert.equal(r.error, 'VerificationFailed', String(r.cause));
      assert.deepEqual(await sys.dataPlane.manifests.read(), before, 'nothing committed');
      // The sealed period is still read from its table.
      await assertReadsMatch(sys.url, model, rng, { gets: 10, ranges: 1 });
      await recover();
    });
  }

  it('compaction: a dropped record (inputs must equal output plus dropped)', async () => {
    let outcome;
    for (let i = 0; i < 3 && !outcome?.corrupted; i++) {
      await nextPeriod(60);
      outcome = await corruptedRun('compact:merge', CORRUPTIONS['a dropped record']!);
    }
    assert.ok(outcome?.corrupted, 'a compaction ran');
    assert.equal(outcome.r.status, 'FAILED');
    assert.equal(outcome.r.error, 'VerificationFailed', String(outcome.r.cause));
    assert.match(String(outcome.r.cause), /setsum|records/);
    // The offload in the same execution committed; the compaction did not.
    assert.equal((await sys.dataPlane.manifests.read()).version, outcome.committedVersion);
    await assertReadsMatch(sys.url, model, rng, { gets: 10, ranges: 1 });
    await recover();
  });
});

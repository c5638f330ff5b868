/**
 * A compaction larger than one execution's slice goes on over several executions, through the
 * real ASL: each merges and verifies the next slice of key ranges (those not yet verified) and
 * ends, GC spares the unfinished compaction (its inputs are all still there), reads stay whole
 * meanwhile, and the execution of the last slice adds the run up and commits it. (After a run
 * fails verification as a whole, every range is done again: lifecycle-corruption.test.ts.)
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { CompactionJob } from '../../lambda/core/jobs.ts';
import { OBJECTS } from '../../lambda/core/schema.ts';
import { JobStore } from '../../lambda/store/job-store.ts';
import type { LocalSystem } from '../../local/system.ts';
import type { ExecutionRecord, TaskHandler } from '../../local/step-functions.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SLICE = 2;
const SETTINGS = tinyStore('slices', { compactionSlice: SLICE, rangeBytes: 3 * 1024, segmentBytes: 16 * 1024, spillBytes: 16 * 1024, blobBytes: 8192 });

describe('a compaction over several executions', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 9, 0, 0) + 500);
  const model = new Model();
  const rng = prng(31);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  /** Two periods of writes (their tables are ready ahead), both sealed before the next execution. */
  async function twoSealedPeriods(tag: string): Promise<void> {
    const writer = directWriter(sys.dataPlane, model);
    for (let p = 0; p < 2; p++) {
      await randomWrites(writer, rng, ['a', 'b', 'c', 'd', 'e', 'f'], 300, `${tag}${p}`);
      clock.advance(SETTINGS.periodMs);
    }
    clock.advance(SETTINGS.sealGraceMs + 1);
  }

  it('merges a slice of its ranges per execution, keeps reads whole, and commits with the last slice', async () => {
    await twoSealedPeriods('p');
    const jobs = new JobStore(sys.store.ddb, sys.store.indexTable);
    let job: CompactionJob | undefined;
    let executions = 0;
    for (;;) {
      const r = await sys.runLifecycle();
      executions++;
      const m = await sys.dataPlane.manifests.read();
      const merged = m.runs.find((x) => x.level === 1);
      const runs = r.mapRuns.filter((x) => x.state === 'CompactRanges');
      if (merged) {
        assert.ok(job, 'the compaction was sliced');
        assert.equal(merged.id, job.outputId);
        break;
      }
      // Not committed yet: this execution merged and verified one slice and ended.
      const candidates = m.runs.filter((x) => x.tier === 'cold' && x.level === 0);
      assert.equal(candidates.length, 2, 'both inputs still there');
      assert.equal(runs.length, 1, `execution ${executions} merged one slice`);
      assert.ok(runs[0]!.items <= SLICE && runs[0]!.items > 0);
      assert.ok(!r.events.some((e) => e.state === 'VerifyCompaction'), 'not added up before the last slice');
      const id = (r.events.find((e) => e.state === 'PlanCompaction' && e.type === 'StateExited')?.output as { compaction: { job: { runId: string } } })
        .compaction.job.runId;
      job = await jobs.spec<CompactionJob>(id);
      assert.ok(job.rangeCount > 2 * SLICE, `${job.rangeCount} ranges`);
      // GC spared the unfinished compaction: its objects and job are there.
      assert.ok((await sys.cold.bucket.childNames(OBJECTS.runsRoot)).includes(id), 'its blobs are kept');
      assert.equal((await jobs.records(id, 'verify')).size, Math.min(job.rangeCount, executions * SLICE));
      sys.refreshManifests();
      await assertReadsMatch(sys.url, model, rng, { gets: 10, ranges: 2 });
      assert.ok(executions < 50);
    }
    assert.equal(executions, Math.ceil(job.rangeCount / SLICE));
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 3 });
  });

  it('adds up at once, with no Map over no ranges, when an execution stopped after its last slice', async () => {
    // Two more periods: their runs compact as the first two did.
    await twoSealedPeriods('q');
    // Every execution's adding up fails (a crash), so the slices go on until none is left.
    const crashing: Record<string, TaskHandler> = {};
    for (const [p, h] of Object.entries(sys.tasks)) {
      crashing[p] = async (input) => {
        if ((input as { mode?: string }).mode === 'compact') throw new Error('injected crash before adding up');
        return h(input);
      };
    }
    let failed: ExecutionRecord | undefined;
    for (let i = 0; i < 50 && !failed; i++) {
      const r = await sys.runnerWith(crashing, { retryIntervalMs: 0 }).start('lifecycle').done;
      if (r.status === 'FAILED') failed = r;
    }
    assert.ok(failed, 'an execution reached the adding up');
    assert.equal(failed.error, 'LifecycleFailed');
    // The first compaction's run ends where the periods written here begin.
    const before = Math.max(...(await sys.dataPlane.manifests.read()).runs.filter((x) => x.level === 1).map((x) => x.periodEnd));
    const r = await sys.runLifecycle();
    // Up to the commit of the finished compaction: no Map (the next compaction, of two level-1 runs, may start after it).
    const committed = r.events.findIndex((e) => e.state === 'CommitCompaction' && e.type === 'StateExited');
    assert.ok(committed > 0, 'the finished compaction committed');
    const upToCommit = r.events.slice(0, committed);
    assert.ok(!upToCommit.some((e) => e.state === 'CompactRanges'), 'no Map over no ranges');
    assert.ok(upToCommit.some((e) => e.state === 'AnyRangesToDo' && e.type === 'StateExited'));
    assert.ok(
      (await sys.dataPlane.manifests.read()).runs.some((x) => x.level >= 1 && x.periodEnd > before),
      'the later periods are compacted',
    );
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 3 });
  });
});

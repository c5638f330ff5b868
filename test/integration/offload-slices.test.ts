/**
 * An offload larger than one execution's slice goes on over several executions, through the
 * real ASL: each takes the next tasks still to do (scans, then merges, then ranges read back,
 * then re-scans) and ends successfully, the period is read from its table meanwhile, GC spares
 * the unfinished job, and the execution of the last slice adds the run up and commits it.
 * After the run fails verification as a whole, the next executions do every task again.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { OffloadJob } from '../../lambda/core/jobs.ts';
import { OBJECTS } from '../../lambda/core/schema.ts';
import { JobStore } from '../../lambda/store/job-store.ts';
import { VerificationFailed } from '../../lambda/verify/verify.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import type { OffloadRef } from '../../lambda/task-contract.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, randomWrites, stepOf, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SLICE = 5;
const SETTINGS = tinyStore('oslices', { offloadSlice: SLICE, rangeBytes: 6 * 1024, segmentBytes: 6 * 1024 });
const MAPS = ['ScanSegments', 'MergeRanges', 'VerifyRanges', 'Rescan'] as const;

describe('an offload over several executions', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 9, 0, 0) + 500);
  const model = new Model();
  const rng = prng(47);
  let sys: LocalSystem;
  const jobs = () => new JobStore(sys.store.ddb, sys.store.indexTable);
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  async function sealedPeriod(tag: string): Promise<void> {
    await randomWrites(directWriter(sys.dataPlane, model), rng, ['a', 'b', 'c', 'd', 'e'], 400, tag);
    clock.advance(SETTINGS.periodMs + SETTINGS.sealGraceMs + 1);
  }

  const preparedJob = (r: Awaited<ReturnType<LocalSystem['runLifecycle']>>): OffloadRef | undefined =>
    (r.events.find((e) => e.state === 'Prepare' && e.type === 'StateExited')?.output as { job?: OffloadRef } | undefined)?.job;

  it('takes the next slice of tasks in each execution, in phase order, keeps reads whole, and commits with the last', async () => {
    await sealedPeriod('p');
    const hot = (await sys.dataPlane.manifests.read()).runs.find((x) => x.tier === 'hot' && x.periodEnd <= clock.now())!;
    let executions = 0;
    const phases: string[] = [];
    let job: OffloadJob | undefined;
    for (;;) {
      const r = await sys.runLifecycle();
      assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${String(r.cause)}`);
      executions++;
      const ref = preparedJob(r)!;
      job ??= await jobs().spec<OffloadJob>(ref.runId);
      const runs = r.mapRuns.filter((x) => (MAPS as readonly string[]).includes(x.state));
      assert.ok(runs.reduce((a, x) => a + x.items, 0) <= SLICE, `execution ${executions} ran at most ${SLICE} tasks`);
      for (const x of runs) {
        assert.equal(x.succeeded, x.items);
        phases.push(...Array<string>(x.items).fill(x.state));
      }
      // A Map runs only when its slice has tasks: the Choice before it skips it otherwise.
      for (const name of MAPS)
        assert.equal(
          runs.some((x) => x.state === name),
          ref.slice[{ ScanSegments: 'scan', MergeRanges: 'merge', VerifyRanges: 'verify', Rescan: 'rescan' }[name] as keyof OffloadRef['slice']] > 0,
        );
      const m = await sys.dataPlane.manifests.read();
      if (m.runs.some((x) => x.id === ref.runId)) {
        assert.equal(ref.complete, true);
        assert.ok(r.events.some((e) => e.state === 'Commit' && e.type === 'StateExited'));
        break;
      }
      // Not committed yet: the period is still hot and read from its table; its job's work is kept.
      assert.equal(ref.complete, false);
      assert.ok(!r.events.some((e) => e.state === 'Verify'), 'not added up before the last slice');
      assert.ok(
        m.runs.some((x) => x.id === hot.id),
        'the period is still hot',
      );
      assert.ok((await sys.cold.bucket.childNames(OBJECTS.spillPrefix(''))).includes(ref.runId), "GC spared the unfinished job's spills");
      sys.refreshManifests();
      await assertReadsMatch(sys.url, model, rng, { gets: 10, ranges: 2 });
      assert.ok(executions < 40);
    }
    const total = 2 * job.totalSegments + 2 * job.rangeCount;
    assert.ok(total > 2 * SLICE, `${total} tasks: the offload needs three executions or more`);
    assert.equal(executions, Math.ceil(total / SLICE));
    // Every task once, each phase after the one before.
    const expected = [
      ...Array<string>(job.totalSegments).fill('ScanSegments'),
      ...Array<string>(job.rangeCount).fill('MergeRanges'),
      ...Array<string>(job.rangeCount).fill('VerifyRanges'),
      ...Array<string>(job.totalSegments).fill('Rescan'),
    ];
    assert.deepEqual(phases, expected);
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 3 });
  });

  it('does every task again after the run fails verification as a whole, over as many executions', async () => {
    await sealedPeriod('q');
    // The first adding up finds a count that differs (as a lost record would): VerificationFailed.
    let failed = false;
    const tasks: Record<string, TaskHandler> = {};
    for (const [p, h] of Object.entries(sys.tasks)) {
      tasks[p] = async (input) => {
        const out = await h(input);
        if (stepOf(p, input) === 'verify:offload' && !failed) {
          failed = true;
          const runId = (input as { runId: string }).runId;
          await jobs().putRecord(runId, 'failure', 0, { at: Date.now(), problems: ['injected'] });
          throw new VerificationFailed(runId, ['injected']);
        }
        return out;
      };
    }
    let executions = 0;
    let first: OffloadJob | undefined;
    for (; executions < 40;) {
      const r = await sys.runnerWith(tasks, { retryIntervalMs: 0 }).start('lifecycle').done;
      executions++;
      const ref = preparedJob(r);
      if (ref) first ??= await jobs().spec<OffloadJob>(ref.runId);
      if (r.status === 'FAILED') {
        assert.equal(r.error, 'VerificationFailed');
        break;
      }
    }
    assert.ok(first && failed);
    const total = 2 * first.totalSegments + 2 * first.rangeCount;
    // Every task is done again after the failure, in as many executions as the first time.
    let again = 0;
    for (;;) {
      const r = await sys.runLifecycle();
      assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${String(r.cause)}`);
      again++;
      // Committed (and, with the earlier period's run, compacted at once): the period is no longer hot.
      if (!(await sys.dataPlane.manifests.read()).runs.some((x) => x.id === first.hotRunId)) break;
      assert.ok(again < 40);
    }
    assert.equal(again, Math.ceil(total / SLICE));
    assert.equal(executions, Math.ceil(total / SLICE));
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 3 });
  });
});

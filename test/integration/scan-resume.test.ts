/**
 * A scan segment that runs out of time goes on where it was: the offload's scan (and
 * verification's re-scan) records its position with what it read and spilled, stops with
 * TaskSuspended before the invocation's end, and the state machine's retry goes on from the
 * record, reading no page twice. The run it makes adds up (count and setsum against the
 * other scan's) and reads equal the model. Locally a function's context does not say how much
 * time is left, so the first attempt here is given a clock that says none is.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { OffloadJob, SegmentProgress } from '../../lambda/core/jobs.ts';
import { scanSegment } from '../../lambda/offload/offload.ts';
import { storesFrom } from '../../lambda/store/stores.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import { rescanSegment } from '../../lambda/segment-scan.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, stepOf, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

// Segments of about 2 MB: two pages each (a Scan page holds at most 1 MB).
const SETTINGS = tinyStore('resume', {
  segmentBytes: 3 * 1024 * 1024,
  rangeBytes: 1024 * 1024,
  spillBytes: 256 * 1024,
  blockBytes: 4096,
  blobBytes: 256 * 1024,
});
/** One page of each of 8 segments, read by the planner's sample. */
const SAMPLE_SCANS = 8;

describe('a scan segment out of time goes on where it was', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 0, 0) + 500);
  const model = new Model();
  const rng = prng(5);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  async function sealedPeriod(tag: string): Promise<void> {
    const writer = directWriter(sys.dataPlane, model);
    const pad = 'x'.repeat(1000);
    for (let b = 0; b < 200; b++)
      await writer.write(Array.from({ length: 25 }, (_, i) => ({ pk: `p${Math.floor(rng() * 500)}`, sk: `${tag}${b}-${i}`, value: { b, i, pad } })));
    clock.advance(SETTINGS.periodMs + SETTINGS.sealGraceMs + 1);
  }

  /** Scan requests each function made. */
  const scans = (unit: string): number =>
    sys.iam
      .all()
      .filter((e) => e.action === 'dynamodb:Scan' && e.principal.includes(unit))
      .reduce((a, e) => a + e.count, 0);

  /**
   * A lifecycle whose first attempt of `step` for segment 0 is told no time is left: it stops
   * after its first page. Returns that attempt's progress record and the number of attempts.
   */
  async function interrupted(step: 'offload:scan' | 'rescan:rescan') {
    let attempts = 0;
    let progress: SegmentProgress | undefined;
    const s = storesFrom(sys.envOf(step === 'offload:scan' ? 'offload' : 'rescan'));
    const tasks: Record<string, TaskHandler> = {};
    for (const [p, h] of Object.entries(sys.tasks)) {
      tasks[p] = async (input) => {
        const i = input as { runId: string; segment?: number };
        if (stepOf(p, input) !== step || i.segment !== 0) return h(input);
        if (attempts++ > 0) return h(input);
        const outOfTime = { remainingMs: () => 0 };
        try {
          if (step === 'offload:scan') await scanSegment(s, i.runId, 0, outOfTime);
          else await rescanSegment(s, await s.jobs.spec<OffloadJob>(i.runId), 0, outOfTime);
          assert.fail('the first attempt stops');
        } catch (err) {
          assert.equal((err as Error).name, 'TaskSuspended');
          progress = await s.jobs.record(i.runId, step === 'offload:scan' ? 'scanProgress' : 'rescanProgress', 0);
          throw err;
        }
      };
    }
    assert.equal(tasks[arnPlaceholder('offload')] !== undefined, true);
    sys.iam.clear();
    const r = await sys.runnerWith(tasks, { retryIntervalMs: 0 }).start('lifecycle').done;
    assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${String(r.cause)}`);
    return {
      attempts,
      progress: progress!,
      runId: (r.events.find((e) => e.state === 'Prepare' && e.type === 'StateExited')!.output as { job: { runId: string } }).job.runId,
    };
  }

  it("the offload's scan: stopped after a page, retried, goes on from its record; the run adds up", async () => {
    await sealedPeriod('a');
    const { attempts, progress, runId } = await interrupted('offload:scan');
    assert.equal(attempts, 2, 'stopped once, then went on');
    const s = storesFrom(sys.envOf('offload'));
    const whole = (await s.jobs.record(runId, 'scan', 0))!;
    assert.ok(progress.position !== '' && progress.count > 0 && progress.count < whole.count, `recorded ${progress.count} of ${whole.count}`);
    assert.ok(
      progress.spills!.some((n) => n > 0),
      'what it read was spilled before it recorded',
    );
    // No page read twice: the scans read as many pages as the independent re-scan.
    assert.equal(scans('offload') - SAMPLE_SCANS, scans('rescan'));
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 2, partitions: 8 });
  });

  it("verification's re-scan: stopped after a page, retried, goes on from its record; the run adds up", async () => {
    await sealedPeriod('b');
    const { attempts, progress } = await interrupted('rescan:rescan');
    assert.equal(attempts, 2);
    assert.ok(progress.position !== '' && progress.count > 0 && progress.spills === undefined);
    assert.equal(scans('rescan'), scans('offload') - SAMPLE_SCANS);
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 2, partitions: 8 });
  });
});

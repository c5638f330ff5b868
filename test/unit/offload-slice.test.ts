import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { OFFLOAD_PHASES, offloadSlice, offloadToDo, type OffloadPhase, type OffloadProgress, type SliceBudget } from '../../lambda/core/offload-slice.ts';
import { MAP_CONCURRENCY, offloadBudget, offloadTaskSeconds, SCAN_TASK_SECONDS, scanPlan } from '../../lambda/core/fan-out.ts';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lambda/core/limits.ts';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';

/** A job's records as the model keeps them: when each task last recorded. */
interface Model {
  segments: number;
  ranges: number;
  scanned: Map<number, number>;
  merged: Map<number, number>;
  verified: Map<number, number>;
  rescanned: Map<number, number>;
  failedAt?: number;
}
const RECORDS: Record<OffloadPhase, 'scanned' | 'merged' | 'verified' | 'rescanned'> = {
  scan: 'scanned',
  merge: 'merged',
  verify: 'verified',
  rescan: 'rescanned',
};
const progressOf = (m: Model): OffloadProgress => ({
  ...m,
  scanned: new Map(m.scanned),
  merged: new Map(m.merged),
  verified: new Map(m.verified),
  rescanned: new Map(m.rescanned),
});

/** What the model says an offload's run is made of when it is added up: every task recorded since the last failure, each phase after the one before. */
function sound(m: Model): string | undefined {
  const after = m.failedAt ?? -1;
  const newestScan = Math.max(...m.scanned.values());
  for (let i = 0; i < m.segments; i++) {
    if (!((m.scanned.get(i) ?? -1) > after)) return `segment ${i} not scanned since the failure`;
    if (!((m.rescanned.get(i) ?? -1) > after)) return `segment ${i} not re-scanned since the failure`;
  }
  for (let r = 0; r < m.ranges; r++) {
    const merged = m.merged.get(r) ?? -1;
    if (!(merged > after && merged > newestScan)) return `range ${r} not merged after every scan`;
    if (!((m.verified.get(r) ?? -1) > merged)) return `range ${r} not read back after its merge`;
  }
  return undefined;
}

const budgets = fc.record({
  seconds: fc.integer({ min: 1, max: 20_000 }),
  concurrency: fc.integer({ min: 1, max: 8 }),
  taskSeconds: fc.record({
    scan: fc.integer({ min: 1, max: 3000 }),
    merge: fc.integer({ min: 1, max: 3000 }),
    verify: fc.integer({ min: 1, max: 3000 }),
    rescan: fc.integer({ min: 1, max: 3000 }),
  }),
  maxTasks: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
});

describe('an offload in slices over executions', () => {
  it('does every task of every phase in order, over as many executions as it takes, each within its budget, and after a failed verification does everything again (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        budgets,
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }),
        (segments, ranges, budget: SliceBudget, failures) => {
          const m: Model = { segments, ranges, scanned: new Map(), merged: new Map(), verified: new Map(), rescanned: new Map() };
          let clock = 1;
          let executions = 0;
          const failAt = new Set(failures);
          for (;;) {
            executions++;
            assert.ok(executions < 500, 'the offload finishes');
            const todo = offloadToDo(progressOf(m));
            const { lists, complete } = offloadSlice(todo, budget);
            const taken = OFFLOAD_PHASES.reduce((a, k) => a + lists[k].length, 0);
            const left = OFFLOAD_PHASES.reduce((a, k) => a + todo[k].length, 0);
            assert.ok(taken > 0 || left === 0, 'a slice always does something while anything is left');
            if (budget.maxTasks !== undefined) assert.ok(taken <= budget.maxTasks);
            // Within the budget, unless the slice is the one wave of a first phase it must always take.
            const seconds = OFFLOAD_PHASES.reduce((a, k) => a + Math.ceil(lists[k].length / budget.concurrency) * budget.taskSeconds[k], 0);
            const first = OFFLOAD_PHASES.find((k) => lists[k].length > 0);
            if (first && seconds > budget.seconds)
              assert.ok(lists[first].length <= budget.concurrency && taken === lists[first].length, `${seconds} s over ${budget.seconds}`);
            for (const k of OFFLOAD_PHASES) assert.deepEqual(lists[k], todo[k].slice(0, lists[k].length), `${k}: the first tasks still to do`);
            // The Maps run in order: each task records when.
            for (const k of OFFLOAD_PHASES) for (const i of lists[k]) m[RECORDS[k]].set(i, clock++);
            if (!complete) continue;
            const problem = sound(m);
            assert.equal(problem, undefined, problem);
            // Adding up: a failed verification now and then, after which everything is done again.
            if (failAt.has(executions)) {
              m.failedAt = clock++;
              continue;
            }
            assert.deepEqual(offloadToDo(progressOf(m)), { scan: [], merge: [], verify: [], rescan: [] });
            return;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('merges every range again when any segment is scanned again, and reads back a range merged after its reading', () => {
    const at = (entries: [number, number][]) => new Map(entries);
    const p: OffloadProgress = {
      segments: 3,
      ranges: 2,
      scanned: at([
        [0, 5],
        [1, 6],
      ]),
      merged: at([
        [0, 7],
        [1, 8],
      ]),
      verified: at([
        [0, 9],
        [1, 9],
      ]),
      rescanned: at([[2, 3]]),
    };
    assert.deepEqual(offloadToDo(p), { scan: [2], merge: [0, 1], verify: [0, 1], rescan: [0, 1] });
    const q: OffloadProgress = {
      ...p,
      scanned: at([
        [0, 5],
        [1, 6],
        [2, 7],
      ]),
      merged: at([
        [0, 8],
        [1, 6],
      ]),
      verified: at([
        [0, 9],
        [1, 10],
      ]),
    };
    assert.deepEqual(offloadToDo(q), { scan: [], merge: [1], verify: [1], rescan: [0, 1] });
    // Records of earlier releases (at 0) count as done, unless the run failed verification since.
    const old: OffloadProgress = { segments: 1, ranges: 1, scanned: at([[0, 0]]), merged: at([[0, 0]]), verified: at([[0, 0]]), rescanned: at([[0, 0]]) };
    assert.deepEqual(offloadToDo(old), { scan: [], merge: [], verify: [], rescan: [] });
    assert.deepEqual(offloadToDo({ ...old, failedAt: 1 }), { scan: [0], merge: [0], verify: [0], rescan: [0] });
  });

  it('plans a terabyte a day in slices of half an execution, and a small period in one', () => {
    const settings = DEFAULT_SETTINGS;
    const tib = 2 ** 40;
    const scan = scanPlan(tib, 40_000, settings);
    const job = { bytes: tib, totalSegments: scan.segments, readUnitsPerSegment: scan.readUnitsPerSegment, rangeCount: 512 };
    const seconds = offloadTaskSeconds(job, settings);
    // Paced to finish its reading in SCAN_TASK_SECONDS strongly consistent; the scan reads eventually consistent, twice as fast.
    assert.ok(seconds.rescan <= SCAN_TASK_SECONDS && seconds.rescan > SCAN_TASK_SECONDS * 0.9, `${seconds.rescan}`);
    assert.equal(seconds.scan, seconds.rescan / 2);
    const budget = offloadBudget(job, settings);
    assert.equal(budget.seconds, EXECUTION_TIMEOUT_SECONDS.lifecycle / 2);
    assert.equal(budget.concurrency, MAP_CONCURRENCY);
    const all = {
      scan: [...Array(job.totalSegments).keys()],
      merge: [...Array(512).keys()],
      verify: [...Array(512).keys()],
      rescan: [...Array(job.totalSegments).keys()],
    };
    const first = offloadSlice(all, budget);
    assert.equal(first.complete, false);
    assert.equal(first.lists.scan.length, job.totalSegments, 'the scans fit one slice');
    assert.ok(first.lists.rescan.length < job.totalSegments);
    const small = { bytes: 2 ** 30, totalSegments: 8, readUnitsPerSegment: 750, rangeCount: 1 };
    const one = offloadSlice({ scan: [...Array(8).keys()], merge: [0], verify: [0], rescan: [...Array(8).keys()] }, offloadBudget(small, settings));
    assert.equal(one.complete, true);
    // A job planned before it recorded its bytes: every task taken at the most it may take.
    assert.deepEqual(offloadTaskSeconds({ totalSegments: 8, rangeCount: 1 }, settings).rescan, SCAN_TASK_SECONDS);
    assert.equal(offloadBudget(small, { ...settings, offloadSlice: 3 }).maxTasks, 3);
  });
});

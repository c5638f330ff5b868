/** Which leftovers GC may sweep: only what nothing can still commit. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import type { ExportState } from '../../lambda/core/export-format.ts';
import type { ImportState } from '../../lambda/core/import-format.ts';
import { abandoned, compactionMayCommit } from '../../lambda/core/leftovers.ts';
import type { Manifest, RunMeta } from '../../lambda/core/manifest.ts';
import { hotRunId, offloadRunId } from '../../lambda/core/schema.ts';

const H = 3_600_000;
const run = (id: string, tier: 'hot' | 'cold', periodStart: number, periods = 1, level = 0): RunMeta =>
  ({ id, tier, level, periodStart, periodEnd: periodStart + periods * H, minSeq: 0, maxSeq: 0, count: 0, bytes: 0, setsum: '', createdAt: '' }) as RunMeta;

describe('abandoned leftovers', () => {
  const m: Manifest = {
    version: 9,
    runs: [run(hotRunId(5 * H, H), 'hot', 5 * H), run(offloadRunId(4 * H, H), 'cold', 4 * H), run('c1-0-2', 'cold', 0)],
    garbage: [
      { id: 'run:c1-9-10', kind: 'run', target: 'c1-9-10', releasedAt: 0 },
      { id: 'job:p-x', kind: 'job', target: offloadRunId(3 * H, H), releasedAt: 0 },
    ],
  };
  const states = new Map<string, ImportState | undefined>([
    ['run', 'running'],
    ['wait', 'awaiting-upload'],
    ['fail', 'failed'],
    ['done', 'succeeded'],
  ]);

  it('spares committed runs, released ones (GC deletes them after gcGrace), pending offloads and live imports', () => {
    const found = {
      runs: [offloadRunId(4 * H, H), 'c1-0-2', 'c1-9-10', 'i-run', 'i-wait'],
      spills: [offloadRunId(5 * H, H), offloadRunId(3 * H, H), 'i-run'],
    };
    assert.deepEqual(abandoned(m, H, found, states), []);
  });

  it('spares a rewrite or packing whose spec names inputs all still there, and sweeps it once one is gone or it has no spec', () => {
    const inputs: Manifest = { version: 1, runs: [run('c1-10-12', 'cold', 10 * H, 2, 1), run('c1-12-14', 'cold', 12 * H, 2, 1)] };
    const rewrite = `w1-${10 * H}-${12 * H}-h0123456789`;
    const packing = `k1-${10 * H}-${14 * H}-h9876543210`;
    const merged = `c2-${10 * H}-${14 * H}-haaaaaaaaaa`;
    assert.equal(compactionMayCommit(inputs, rewrite, ['c1-10-12']), true);
    assert.equal(compactionMayCommit(inputs, packing, ['c1-10-12', 'c1-12-14']), true);
    assert.equal(compactionMayCommit(inputs, merged, ['c1-10-12', 'gone']), false);
    assert.equal(compactionMayCommit(inputs, rewrite, undefined), false, 'no spec: nothing can commit it');
    assert.equal(compactionMayCommit(inputs, rewrite, []), false);
    const specs = new Map([
      [rewrite, ['c1-10-12']],
      [packing, ['c1-10-12', 'gone']],
    ]);
    assert.deepEqual(abandoned(inputs, H, { runs: [rewrite, packing], spills: [rewrite, merged] }, states, new Map(), specs), [merged, packing].sort());
  });

  it('spares a compaction whose inputs are all still there: a large one goes on over several executions', () => {
    // Two level-1 runs over periods 10..14: their merge (level 2) may still commit; one over 10..16 may not (a gap), nor one of the wrong level.
    const inputs: Manifest = { version: 1, runs: [run('c1-10-12', 'cold', 10 * H, 2, 1), run('c1-12-14', 'cold', 12 * H, 2, 1)] };
    const span = (a: number, b: number, level: number) => `c${level}-${a * H}-${b * H}`;
    assert.equal(compactionMayCommit(inputs, span(10, 14, 2)), true);
    assert.equal(compactionMayCommit(inputs, span(10, 16, 2)), false);
    assert.equal(compactionMayCommit(inputs, span(10, 14, 3)), false);
    assert.equal(compactionMayCommit(inputs, span(10, 12, 2)), false, 'one input is no merge');
    assert.equal(compactionMayCommit(inputs, 'p-20261123'), false);
    assert.deepEqual(abandoned(inputs, H, { runs: [span(10, 14, 2), span(10, 16, 2)], spills: [span(10, 14, 2)] }, states), [span(10, 16, 2)]);
  });

  it('sweeps uncommitted compactions, offloads of periods no longer hot, and ended imports', () => {
    const found = { runs: ['c2-0-4', offloadRunId(2 * H, H), 'i-fail', 'i-done', 'i-gone'], spills: ['i-fail', offloadRunId(1 * H, H)] };
    assert.deepEqual(abandoned(m, H, found, states), ['c2-0-4', 'i-done', 'i-fail', 'i-gone', offloadRunId(1 * H, H), offloadRunId(2 * H, H)].sort());
  });

  it("spares a running export's job, and sweeps one that ended", () => {
    const running = 'x-00000000000000000001';
    const ended = 'x-00000000000000000002';
    const exports = new Map<string, ExportState | undefined>([
      [running, 'running'],
      [ended, 'failed'],
    ]);
    assert.deepEqual(abandoned(m, H, { runs: [], spills: [running, ended, 'x-00000000000000000003'] }, states, exports), [ended, 'x-00000000000000000003']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { CHECKPOINT_TTL, checkpointTtl, checkpointView, isLive, lastSealedEnd, makeCheckpoint, pinnedBy, rebased } from '../../lambda/core/checkpoint.ts';
import type { Garbage, Manifest, RunMeta } from '../../lambda/core/manifest.ts';
import { maxCheckpointTtlMs } from '../../lambda/core/settings.ts';

const HOUR = 3_600_000;
const run = (id: string, tier: 'hot' | 'cold', start: number, end: number, level = 0): RunMeta => ({
  id,
  tier,
  level,
  periodStart: start,
  periodEnd: end,
  minSeq: start * 1000,
  maxSeq: end * 1000 - 1,
  count: 1,
  bytes: 1,
  setsum: '0'.repeat(64),
  createdAt: '',
  ...(tier === 'hot' ? { table: `t-${id}` } : {}),
});

describe('checkpoints (core)', () => {
  const s = { periodMs: HOUR, sealGraceMs: 600_000 };
  const m: Manifest = {
    version: 9,
    runs: [run('h3', 'hot', 3 * HOUR, 4 * HOUR), run('h2', 'hot', 2 * HOUR, 3 * HOUR), run('h1', 'hot', HOUR, 2 * HOUR), run('c0', 'cold', 0, HOUR)],
  };

  it('pins every cold run and the hot runs of sealed periods, as of the last sealed end', () => {
    // 10 minutes into hour 3 plus the seal grace: hour 2 is sealed only once its grace has passed.
    assert.equal(lastSealedEnd(3 * HOUR + 599_999, HOUR, 600_000), 2 * HOUR);
    assert.equal(lastSealedEnd(3 * HOUR + 600_000, HOUR, 600_000), 3 * HOUR);
    const c = makeCheckpoint(m, 'ck', 3 * HOUR + 600_000, HOUR, s);
    assert.equal(c.asOf, 3 * HOUR);
    assert.deepEqual(
      c.runs.map((r) => r.id),
      ['h2', 'h1', 'c0'],
    );
    assert.deepEqual(checkpointView(c), { version: 9, runs: c.runs });
    assert.ok(isLive(c, c.createdAt + HOUR - 1) && !isLive(c, c.createdAt + HOUR));
  });

  it('is pinned by live checkpoints only, moves a table pin to its offloaded run, and pins no jobs', () => {
    const c = makeCheckpoint(m, 'ck', 3 * HOUR + 600_000, HOUR, s);
    const table: Garbage = { id: 'table:t-h1', kind: 'table', target: 't-h1', releasedAt: 0, replacedBy: run('o1', 'cold', HOUR, 2 * HOUR) };
    const cold: Garbage = { id: 'run:c0', kind: 'run', target: 'c0', releasedAt: 0 };
    const job: Garbage = { id: 'job:c0', kind: 'job', target: 'c0', releasedAt: 0 };
    assert.deepEqual(
      pinnedBy([c], table, c.createdAt).map((x) => x.id),
      ['ck'],
    );
    assert.deepEqual(
      pinnedBy([c], cold, c.createdAt).map((x) => x.id),
      ['ck'],
    );
    assert.deepEqual(pinnedBy([c], job, c.createdAt), []);
    assert.deepEqual(pinnedBy([c], cold, c.expiresAt), [], 'an expired checkpoint pins nothing');
    const moved = rebased(c, 't-h1', table.replacedBy!);
    assert.deepEqual(
      moved.runs.map((r) => r.id),
      ['h2', 'o1', 'c0'],
    );
    assert.deepEqual(pinnedBy([moved], table, c.createdAt), []);
    assert.deepEqual(
      pinnedBy([moved], { id: 'run:o1', kind: 'run', target: 'o1', releasedAt: 0 }, c.createdAt).map((x) => x.id),
      ['ck'],
    );
  });

  it('takes a ttl from a minute to 30 days, a day by default', () => {
    assert.equal(checkpointTtl(undefined), 86_400_000);
    assert.equal(checkpointTtl('6h'), 6 * HOUR);
    for (const bad of ['59s', '31d', 'soon', '']) assert.throws(() => checkpointTtl(bad), { code: 'InvalidTtl' });
  });

  it('under a purge window, lives at most a quarter of it (it keeps what a purge removes)', () => {
    const max = maxCheckpointTtlMs({ purgeWithinMs: 30 * 86_400_000 }, CHECKPOINT_TTL.maxMs);
    assert.equal(max, 7.5 * 86_400_000);
    assert.equal(checkpointTtl('7d', max), 7 * 86_400_000);
    assert.throws(() => checkpointTtl('8d', max), { code: 'InvalidTtl', message: /from 1m to 180h \(a quarter of the store's purge window/ });
    assert.equal(
      checkpointTtl(undefined, maxCheckpointTtlMs({ purgeWithinMs: 2 * 86_400_000 }, CHECKPOINT_TTL.maxMs)),
      12 * HOUR,
      'the default day, cut to the quarter',
    );
    assert.equal(maxCheckpointTtlMs({ purgeWithinMs: undefined }, CHECKPOINT_TTL.maxMs), CHECKPOINT_TTL.maxMs);
  });
});

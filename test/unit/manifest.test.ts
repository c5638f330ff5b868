import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { applyEdit, coldRunsOldestFirst, ConflictError, EMPTY_MANIFEST, hotRuns, type Edit } from '../../lambda/core/manifest.ts';
import { coldRun, hotRun } from '../support/runs.ts';

describe('manifest edits', () => {
  const rotate: Edit = { kind: 'rotate', remove: [], add: [hotRun(0, 10), hotRun(10, 20)] };
  const offload: Edit = { kind: 'offload', remove: ['hot-0'], add: [coldRun('r0', 0, 0, 10)] };

  it('applies an edit as a new version, runs newest first', () => {
    const a = applyEdit(EMPTY_MANIFEST, rotate);
    assert.equal(a.changed, true);
    assert.equal(a.manifest.version, 1);
    const b = applyEdit(a.manifest, offload);
    assert.equal(b.manifest.version, 2);
    assert.deepEqual(
      b.manifest.runs.map((r) => r.id),
      ['hot-10', 'r0'],
    );
    assert.deepEqual(
      hotRuns(b.manifest).map((r) => r.id),
      ['hot-10'],
    );
    assert.deepEqual(
      coldRunsOldestFirst(b.manifest).map((r) => r.id),
      ['r0'],
    );
  });

  it('treats an edit already applied as a no-op (a re-run commits at most once)', () => {
    const a = applyEdit(applyEdit(EMPTY_MANIFEST, rotate).manifest, offload).manifest;
    const again = applyEdit(a, offload);
    assert.equal(again.changed, false);
    assert.equal(again.manifest, a);
    assert.equal(applyEdit(a, { kind: 'rotate', remove: [], add: [hotRun(10, 20)] }).changed, false);
  });

  it('rejects an edit whose inputs are gone or whose outputs half exist, changing nothing', () => {
    const a = applyEdit(EMPTY_MANIFEST, rotate).manifest;
    assert.throws(() => applyEdit(a, { kind: 'compact', remove: ['hot-0', 'nope'], add: [coldRun('c', 1, 0, 20)] }), ConflictError);
    assert.throws(() => applyEdit(a, { kind: 'import', remove: [], add: [hotRun(0, 10), coldRun('x', 0, 0, 1)] }), /already in the manifest/);
    assert.throws(() => applyEdit(a, { kind: 'import', remove: [], add: [coldRun('x', 0, 0, 1), coldRun('x', 0, 0, 1)] }), /added twice/);
    assert.equal(a.version, 1);
    assert.equal(a.runs.length, 2);
  });

  it('keeps released things as garbage until GC collects them, idempotently', () => {
    const a = applyEdit(EMPTY_MANIFEST, rotate).manifest;
    const g = { id: 'table:alki-hot-0', kind: 'table' as const, target: 'alki-hot-0', releasedAt: 5 };
    const b = applyEdit(a, { ...offload, release: [g] }).manifest;
    assert.deepEqual(b.garbage, [g]);
    assert.equal(applyEdit(b, { ...offload, release: [g] }).changed, false);
    const c = applyEdit(b, { kind: 'gc', remove: [], add: [], collected: [g.id] });
    assert.equal(c.changed, true);
    assert.deepEqual(c.manifest.garbage, []);
    assert.deepEqual(c.manifest.runs, b.runs);
    assert.equal(applyEdit(c.manifest, { kind: 'gc', remove: [], add: [], collected: [g.id] }).changed, false);
  });
});

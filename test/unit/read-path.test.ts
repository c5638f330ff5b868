/** Which runs a read asks: hot tables of later periods (made ahead by rotation) hold nothing yet. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { encodeKey } from '../../lambda/core/keys.ts';
import type { Manifest } from '../../lambda/core/manifest.ts';
import { CLOCK_TOLERANCE_MS, pointGet, pointRange, runsFor, type RunReaders } from '../../lambda/core/read-path.ts';
import type { Entry } from '../../lambda/core/record.ts';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';
import { hotRunMeta } from '../../lambda/rotate/rotate.ts';

const settings = { ...DEFAULT_SETTINGS, periodMs: 3_600_000 };
const start = Date.UTC(2026, 10, 23, 12);
// The current period and seven ahead, as rotation leaves them.
const manifest: Manifest = { version: 1, runs: Array.from({ length: 8 }, (_, i) => hotRunMeta(settings, start + i * settings.periodMs)) };
const key = encodeKey('team', 'e1');

describe('the read path and the tables made ahead', () => {
  it("asks only the hot tables whose period has begun, by the reader's clock plus the tolerance", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 * settings.periodMs - 1 }), (offset) => {
        const readAt = start + offset;
        const asked = runsFor(manifest, pointRange(key), { readAt });
        const expected = manifest.runs.filter((r) => r.periodStart <= readAt + CLOCK_TOLERANCE_MS);
        assert.deepEqual(
          asked.map((r) => r.id),
          expected.map((r) => r.id),
        );
        assert.ok(
          asked.some((r) => r.periodStart <= readAt && readAt < r.periodEnd),
          'the current period is always asked',
        );
      }),
    );
  });

  it('costs one hot read, not eight, for a point read in the current period; a write a little ahead is still seen', async () => {
    const asked: string[] = [];
    const readers: RunReaders = {
      hot: {
        get: async (run) => {
          asked.push(run.id);
          return run.periodStart === start + settings.periodMs
            ? ({ key, seq: (start + settings.periodMs) * 1000, value: Buffer.from('1') } as Entry)
            : undefined;
        },
        query: () => (async function* () {})(),
      },
      cold: { entries: () => (async function* () {})(), blob: () => ({ size: 0, read: async () => Buffer.alloc(0) }) } as unknown as RunReaders['cold'],
    };
    assert.equal(await pointGet(manifest, readers, key, { readAt: start + 60_000 }), undefined);
    assert.equal(asked.length, 1);
    // A writer whose clock is ahead wrote into the next period just before it began here.
    asked.length = 0;
    const found = await pointGet(manifest, readers, key, { readAt: start + settings.periodMs - CLOCK_TOLERANCE_MS / 2 });
    assert.ok(found);
    assert.equal(asked.length, 2);
  });

  it('skips a hot table only when the marks were listed after its seal and do not name it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 * settings.periodMs }), fc.subarray(manifest.runs.map((r) => r.table!)), (offset, marked) => {
        const knownAt = start + offset;
        const readAt = start + 8 * settings.periodMs;
        const written = { tables: new Set(marked), knownAt, sealGraceMs: settings.sealGraceMs };
        const asked = runsFor(manifest, pointRange(key), { readAt, written }).map((r) => r.id);
        for (const r of manifest.runs) {
          const sealedBeforeListing = r.periodEnd + settings.sealGraceMs + CLOCK_TOLERANCE_MS <= knownAt;
          assert.equal(asked.includes(r.id), marked.includes(r.table!) || !sealedBeforeListing, `${r.id} at ${offset}`);
        }
      }),
    );
  });
});

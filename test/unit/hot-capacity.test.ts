/**
 * The hot capacity plan (core/hot-capacity.ts) against its rules, for any store, clock and
 * history: on-demand mode provisions nothing; provisioned mode provisions exactly the tables
 * whose period takes writes within a rotation interval and is not sealed, all at the same
 * size; the size covers the recent write rate at the target utilization within the quota.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { AUTO_SCALING, capacityPlan, provisionedFor, recentWriteRate, warmReadsFor, warmWritesFor } from '../../lambda/core/hot-capacity.ts';
import { fanOut, MAP_CONCURRENCY, SCAN_BYTES_PER_READ_UNIT, SCAN_READ_SHARE, SCAN_TASK_SECONDS, scanPlan } from '../../lambda/core/fan-out.ts';
import { apiThrottle } from '../../lambda/core/limits.ts';
import { DEFAULT_SETTINGS, rotationIntervalMs, settingsFromEnv, type StoreSettings } from '../../lambda/core/settings.ts';
import { coldRun, hotRun } from '../support/runs.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('hot capacity plan', () => {
  it('in provisioned mode, provisions exactly the tables taking writes now or within a rotation interval, until sealed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(60_000, 15 * 60_000, HOUR, DAY),
        fc.integer({ min: 0, max: 10 * 60_000 }),
        fc.integer({ min: 0, max: 2 * DAY }),
        fc.integer({ min: 2, max: 10 }),
        (periodMs, sealGraceMs, offset, ahead) => {
          const settings: StoreSettings = { ...DEFAULT_SETTINGS, periodMs, sealGraceMs, hotCapacity: 'provisioned' };
          const now = Date.UTC(2026, 10, 23) + offset;
          const first = Math.floor(now / periodMs) * periodMs - 3 * periodMs;
          const hot = Array.from({ length: ahead + 4 }, (_, i) => hotRun(first + i * periodMs, first + (i + 1) * periodMs));
          const plan = capacityPlan(settings, hot, hot, now);
          const lead = rotationIntervalMs(periodMs);
          hot.forEach((r, i) => {
            const takesWrites = r.periodStart - lead <= now && now < r.periodEnd + sealGraceMs;
            assert.equal(plan[i]!.mode, takesWrites ? 'provisioned' : 'on-demand', `period ${i - 3} at ${offset} ms`);
          });
          // The current period's table is always among them.
          assert.equal(plan[3]!.mode, 'provisioned');
          // With nothing offloaded, at the floor.
          assert.deepEqual(
            new Set(plan.filter((c) => c.mode === 'provisioned').map((c) => JSON.stringify(c))),
            new Set([JSON.stringify(provisionedFor(undefined))]),
          );
        },
      ),
    );
  });

  it('in on-demand mode (the default), provisions nothing, and warms new tables for the recent rate', () => {
    const hot = [hotRun(0, HOUR), hotRun(HOUR, 2 * HOUR)];
    assert.equal(DEFAULT_SETTINGS.hotCapacity, 'on-demand');
    // 1e9 records in an hour: warmed to the table quota, for writes and for the offload's reads.
    const warm = { mode: 'on-demand', warmWrites: 40_000, warmReads: 40_000 };
    assert.deepEqual(capacityPlan({ ...DEFAULT_SETTINGS, periodMs: HOUR }, hot, [coldRun('c', 0, 0, HOUR, 1e9)], HOUR / 2), [warm, warm]);
    assert.deepEqual(capacityPlan({ ...DEFAULT_SETTINGS, periodMs: HOUR }, hot, [coldRun('c', 0, 0, HOUR, 1e6)], HOUR / 2), [
      { mode: 'on-demand' },
      { mode: 'on-demand' },
    ]);
  });

  it('sizes writes from the latest offloaded data at 70% utilization, within the floor and the quota', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        fc.option(fc.integer({ min: 1, max: 400_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
        (rate, itemBytes, readUnits) => {
          const c = provisionedFor(rate, { ...(itemBytes !== undefined ? { itemBytes } : {}), ...(readUnits !== undefined ? { readUnits } : {}) });
          assert.equal(c.mode, 'provisioned');
          if (c.mode !== 'provisioned') return;
          const units = rate * Math.max(1, Math.ceil((itemBytes ?? 1) / 1024));
          const needed = (units * 100) / AUTO_SCALING.targetUtilization;
          assert.equal(c.write.initial, Math.min(AUTO_SCALING.maxUnits, Math.max(AUTO_SCALING.minUnits, Math.ceil(needed))));
          for (const t of [c.write, c.read]) {
            assert.ok(AUTO_SCALING.minUnits <= t.min && t.min <= t.initial && t.initial <= t.max && t.max === AUTO_SCALING.maxUnits, JSON.stringify(t));
          }
          // Auto scaling may halve writes in quiet hours, no lower.
          assert.equal(c.write.min, Math.max(AUTO_SCALING.minUnits, Math.ceil(c.write.initial / 2)));
          assert.equal(c.read.initial, Math.min(AUTO_SCALING.maxUnits, Math.max(AUTO_SCALING.minUnits, readUnits ?? 0)));
        },
      ),
    );
    // The audit-log workload: 5,000 writes/s of 400-byte records need 7,143 write units.
    const audit = provisionedFor(5000, { itemBytes: 480 });
    assert.deepEqual(audit.mode === 'provisioned' && [audit.write.initial, audit.write.min], [7143, 3572]);
  });

  it('takes the write rate from the cold run that ends last, live records over its span', () => {
    assert.equal(recentWriteRate([hotRun(0, HOUR)]), undefined);
    const runs = [
      coldRun('old', 0, 0, HOUR, 3600),
      coldRun('compacted', 1, HOUR, 3 * HOUR, 72_000),
      coldRun('empty', 0, 3 * HOUR, 4 * HOUR, 0),
      hotRun(4 * HOUR, 5 * HOUR),
    ];
    assert.equal(recentWriteRate(runs), 10);
  });

  it('reads the mode from ALKI_HOT_CAPACITY, and refuses anything else with a clear error', () => {
    assert.equal(settingsFromEnv({ ALKI_HOT_CAPACITY: 'provisioned' }).hotCapacity, 'provisioned');
    assert.equal(settingsFromEnv({}).hotCapacity, 'on-demand');
    assert.throws(() => settingsFromEnv({ ALKI_HOT_CAPACITY: 'reserved' }), /hot capacity must be on-demand or provisioned, not "reserved"/);
  });

  it('warms a new on-demand table for three times the recent rate or 1.5 times the configured peak, when that passes 4,000 writes a second', () => {
    assert.equal(warmWritesFor({ peakWritesPerSecond: undefined }, undefined), undefined);
    assert.equal(warmWritesFor({ peakWritesPerSecond: undefined }, 1000), undefined, '3,000 a second: a new table takes that');
    assert.equal(warmWritesFor({ peakWritesPerSecond: undefined }, 5000), 15_000);
    assert.equal(warmWritesFor({ peakWritesPerSecond: 8000 }, 1000), 12_000);
    assert.equal(warmWritesFor({ peakWritesPerSecond: 8000 }, 1000, { itemBytes: 1500 }), 24_000, 'two write units a record');
    assert.equal(warmWritesFor({ peakWritesPerSecond: 100_000 }, undefined), AUTO_SCALING.maxUnits, 'at most the table quota');
    // Provisioned: a table made ahead is created warm for the capacity it will be provisioned with, partitions and all.
    const runs = [coldRun('c', 0, 0, HOUR, 5000 * 3600)];
    const [ahead, soon] = capacityPlan(
      { ...DEFAULT_SETTINGS, periodMs: HOUR, hotCapacity: 'provisioned' },
      [hotRun(10 * HOUR, 11 * HOUR), hotRun(HOUR, 2 * HOUR)],
      runs,
      HOUR - 60_000,
    );
    assert.ok(
      ahead!.mode === 'on-demand' && soon!.mode === 'provisioned' && ahead!.warmWrites! >= soon!.write.initial && soon!.write.initial > 4000,
      JSON.stringify([ahead, soon]),
    );
    const plan = capacityPlan({ ...DEFAULT_SETTINGS, peakWritesPerSecond: 8000 }, [hotRun(0, DAY), hotRun(DAY, DAY)], [], 0);
    // A day of 4,000 writes a second (the peak over the peak factor) of up to 1 KB: more reads than the quota would take to offload in 1.5 h.
    assert.deepEqual(plan, [
      { mode: 'on-demand', warmWrites: 12_000, warmReads: 40_000 },
      { mode: 'on-demand', warmWrites: 12_000, warmReads: 40_000 },
    ]);
    assert.equal(settingsFromEnv({ ALKI_PEAK_WRITES_PER_SECOND: '8000' }).peakWritesPerSecond, 8000);
    assert.throws(() => settingsFromEnv({ ALKI_PEAK_WRITES_PER_SECOND: '0' }), /ALKI_PEAK_WRITES_PER_SECOND must be an integer/);
  });

  it("warms a new on-demand table's reads for its offload: a scan and a re-scan in 1.5 h at half the table's reads", () => {
    assert.equal(warmReadsFor({ peakWritesPerSecond: undefined, periodMs: DAY }, undefined), undefined);
    assert.equal(warmReadsFor({ peakWritesPerSecond: undefined, periodMs: DAY }, 1000, { itemBytes: 460 }), undefined, "a new table's 12,000 suffice");
    // The design load: 5,000 writes a second of 460-byte items, a day: 199 GB, 73 million read units (half of them for the eventually consistent scan).
    const bytes = 5000 * 86_400 * 460;
    assert.equal(
      warmReadsFor({ peakWritesPerSecond: undefined, periodMs: DAY }, 5000, { itemBytes: 460 }),
      Math.ceil((bytes / 8192 + bytes / 4096) / 5400 / 0.5),
    );
    assert.equal(warmReadsFor({ peakWritesPerSecond: undefined, periodMs: DAY }, 50_000, { itemBytes: 460 }), 40_000, 'at most the table quota');
  });

  it('plans scans that read at their share of the table, each segment within its time, however large the period', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e6, max: 2 ** 41, noNaN: true }), fc.integer({ min: 1, max: 40_000 }), (bytes, reads) => {
        const p = scanPlan(bytes, reads, DEFAULT_SETTINGS);
        assert.ok(p.segments >= fanOut(bytes, DEFAULT_SETTINGS).segments);
        assert.ok(
          Math.abs(p.readUnitsPerSegment * Math.min(p.segments, MAP_CONCURRENCY) - Math.max(1, reads * SCAN_READ_SHARE)) < 1e-6 * reads,
          'together, the share (at least a unit) and no more',
        );
        assert.ok(bytes / p.segments / SCAN_BYTES_PER_READ_UNIT / p.readUnitsPerSegment <= SCAN_TASK_SECONDS * 1.0001, 'a segment read in its time');
      }),
    );
  });

  it("throttles the API for the configured peak: at least 2,000 a second, at most the account's 10,000, burst twice", () => {
    assert.deepEqual(apiThrottle(undefined), { rateLimit: 2000, burstLimit: 4000 });
    assert.deepEqual(apiThrottle(5000), { rateLimit: 7500, burstLimit: 15_000 });
    assert.deepEqual(apiThrottle(50_000), { rateLimit: 10_000, burstLimit: 20_000 });
  });
});

/** The cost report's measurement on the embedded system, and `npm run cost -- --json`. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from '@jest/globals';
import { stdoutBytes } from '../../cost/front-end.ts';
import { measure } from '../../cost/measure.ts';

describe('the cost report', () => {
  it('measures one write unit per 400-byte record, one hot table per hot read, one GET per cold read', async () => {
    const { result: m, bytes: leaked } = await stdoutBytes(() => measure({ records: 2000, reads: 100 }));
    // The functions' lines and metrics are measured, never printed: stdout is the report's (npm run cost -- --json).
    assert.equal(leaked, 0);
    assert.equal(m.records, 2000);
    assert.ok(Math.abs(m.recordBytes - 400) < 2, `${m.recordBytes} bytes per record`);
    assert.equal(m.writeUnitsPerRecord, 1);
    // Reads skip the tables rotation made for later periods: one hot table, about one read unit.
    assert.ok(m.readUnitsPerHotRead >= 1 && m.readUnitsPerHotRead < 1.1, `${m.readUnitsPerHotRead} read units per hot read`);
    assert.ok(m.s3GetsPerColdRead > 0.9 && m.s3GetsPerColdRead <= 1.05, `${m.s3GetsPerColdRead} GETs per cold read`);
    assert.ok(m.s3BytesPerLogicalByte > 0.05 && m.s3BytesPerLogicalByte < 0.5, `${m.s3BytesPerLogicalByte} S3 bytes per logical byte`);
    assert.ok(m.indexBytesPerLogicalByte > 0 && m.indexBytesPerLogicalByte < 0.05, `${m.indexBytesPerLogicalByte} index bytes per logical byte`);
    // An index item is billed a write unit per KB of it, rounded up: at least its bytes' worth (less the 100 bytes of storage
    // overhead each), at most twice that (a small measurement's items are fewer KB each, so rounding weighs more).
    assert.ok(
      m.indexWriteUnitsPerLogicalGb >= (m.indexBytesPerLogicalByte * 1e9) / 1024 / 2 &&
        m.indexWriteUnitsPerLogicalGb < ((m.indexBytesPerLogicalByte * 1e9) / 1000) * 2,
      `${m.indexWriteUnitsPerLogicalGb} index write units per logical GB`,
    );
    assert.ok(m.offloadPerLogicalGb.s3Puts > 0 && m.offloadPerLogicalGb.lambdaGbSeconds > 0 && m.transitionsPerExecution > 0);
    // The front end: one PutItem a single write; a batch of 100 in BatchWriteItems of 25; metrics lines not one a request.
    assert.ok(Math.abs(m.frontEnd.single.calls.PutItem! - 1) < 0.01, JSON.stringify(m.frontEnd.single.calls));
    assert.ok(Math.abs(m.frontEnd.batch.calls.BatchWriteItem! - 4) < 0.01, JSON.stringify(m.frontEnd.batch.calls));
    assert.ok(m.frontEnd.single.durationMs > m.frontEnd.single.ownMs && m.frontEnd.batch.durationMs > m.frontEnd.single.durationMs);
    // A GET of an item written moments before: one GetItem of the hot table.
    assert.ok(Math.abs(m.frontEnd.read.calls.GetItem! - 1) < 0.01, JSON.stringify(m.frontEnd.read.calls));
    assert.ok(m.frontEnd.single.logBytes < 50, `${m.frontEnd.single.logBytes} log bytes a request`);
    assert.ok(m.frontEnd.accessLogBytes > 200 && m.frontEnd.accessLogBytes < 600);
    // The lifecycle logs: its functions' lines and metrics at INFO, the state machine's events with their data.
    assert.ok(m.lifecycleLogs.bytesPerTask > 0 && m.lifecycleLogs.bytesPerTransition > 100, JSON.stringify(m.lifecycleLogs));
  });

  it('prints the scenarios as JSON from a saved measurement', () => {
    const out = execFileSync(process.execPath, ['bin/cost.ts', '--json', '--measurement', 'test/fixtures/cost-measurement.json'], { encoding: 'utf8' });
    const r = JSON.parse(out) as {
      measured: { s3BytesPerLogicalByte: number };
      scenarios: {
        name: string;
        writePath: string;
        retentionDays: number;
        capacity: string;
        alki: { monthlyUsd: number; breakdown: Record<string, number> };
        dynamodbOnly: { monthlyUsd: number };
        ratio: number;
      }[];
    };
    assert.equal(typeof r.measured.s3BytesPerLogicalByte, 'number');
    const paths = ['api-single', 'api-batch', 'direct'];
    assert.deepEqual(
      r.scenarios.map((s) => [s.retentionDays, s.writePath, s.capacity]),
      (['on-demand', 'provisioned'] as const).flatMap((c) =>
        [365, 2555].flatMap((d) =>
          paths.flatMap((w) => [
            [d, w, c],
            [d, w, c],
          ]),
        ),
      ),
    );
    for (const s of r.scenarios) {
      assert.ok(Math.abs(s.ratio - s.dynamodbOnly.monthlyUsd / s.alki.monthlyUsd) < 1e-9);
      assert.ok(
        s.alki.breakdown[s.capacity === 'provisioned' ? 'hot writes (DynamoDB provisioned, auto-scaled)' : 'hot writes (DynamoDB on demand)']! > 0,
        s.name,
      );
      // Index items are written with every run and deleted with every replaced or expired one.
      assert.ok(s.alki.breakdown['index writes and deletes (DynamoDB on demand)']! > 0, s.name);
    }
  });

  it('refuses a measurement file it cannot read, with a clear message', () => {
    assert.throws(
      () => execFileSync(process.execPath, ['bin/cost.ts', '--measurement', '/nonexistent.json'], { encoding: 'utf8', stdio: 'pipe' }),
      (err: { status: number; stderr: string }) => err.status === 2 && /cannot read \/nonexistent\.json/.test(err.stderr),
    );
  });
});

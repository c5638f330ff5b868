/**
 * The scale model (bench/scale-model.ts): its fan-out is the planner's own, a setting that
 * makes a task outlast Lambda is a violation, verification does not grow in one task with
 * the run, and `npm run simulate -- --scale --json` prints the report.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from '@jest/globals';
import { cpuShare, defaultScaleInput, QUOTAS, scaleModel, throughputsFromBench, type ScaleReport } from '../../bench/scale-model.ts';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';
import { compactionSlice, INDEX_KEY_WRITE_UNITS, SCAN_TASK_SECONDS } from '../../lambda/core/fan-out.ts';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lambda/core/limits.ts';

const GiB = 2 ** 30;
const t = throughputsFromBench();

describe('the scale model', () => {
  it('fans out as the offload planner does', () => {
    // A period's table holds its records and 60 bytes of item a record (460 per 400). Its scans take half the table's
    // reads (a new table's 12,000 a second; at 1 TiB a day, rotation warms it to the 40,000 quota), each segment
    // 300 s of strongly consistent reading at 4 KB a unit, 100 at once: 1 GiB in 17 segments, 1 TiB in 5,146.
    // Key ranges of 2 GiB: 1 and 512.
    for (const [bytes, segments, ranges] of [
      [GiB, 17, 1],
      [1024 * GiB, 5146, 512],
    ] as const) {
      const r = scaleModel(defaultScaleInput(bytes, 400, 30), t);
      assert.equal(r.steps.find((s) => s.name === 'offload scan')!.tasks, segments, `${bytes} bytes`);
      assert.equal(r.steps.find((s) => s.name === 'offload merge')!.tasks, ranges, `${bytes} bytes`);
    }
  });

  it('runs the re-scan in its own function at a fraction of a vCPU, still paced by its read units', () => {
    for (const bytes of [GiB, 1024 * GiB]) {
      const r = scaleModel(defaultScaleInput(bytes, 400, 365), t);
      const scan = r.steps.find((s) => s.name === 'offload scan')!;
      const rescan = r.steps.find((s) => s.name === 'offload re-scan')!;
      assert.equal(rescan.unit, 'rescan');
      assert.ok(cpuShare('rescan') < 0.5 && cpuShare('offload') === 1);
      // Strongly consistent, a segment's re-scan takes twice its eventually consistent scan's units at the same pace:
      // twice the seconds, however little CPU it has. Were it CPU-bound, it would take longer.
      assert.ok(Math.abs(rescan.maxTaskSeconds / scan.maxTaskSeconds - 2) < 0.01, `${rescan.maxTaskSeconds} s against ${scan.maxTaskSeconds} s`);
    }
  });

  it("finds a store of 1 GiB a day, kept a year, within every step's quota and every rate", () => {
    const r = scaleModel(defaultScaleInput(GiB, 400, 365), t);
    assert.deepEqual(r.violations, []);
    assert.deepEqual(
      r.limits.filter((l) => !l.ok).map((l) => l.name),
      [],
    );
    assert.equal(r.withinQuotas, true);
    // Each range's index entries under a key of their own, paced: at most the writer's share of a key.
    assert.ok(r.limits.find((l) => l.name === 'index writes per partition key')!.demand <= INDEX_KEY_WRITE_UNITS);
    // Partitioned verification: no task reads more than a range or a segment, however large the run.
    const largestWrite = Math.max(...r.steps.filter((s) => !s.name.includes('verify') && !s.name.includes('re-scan')).map((s) => s.maxTaskBytes));
    for (const s of r.steps.filter((x) => x.name.includes('verify') || x.name.includes('re-scan')))
      assert.ok(s.maxTaskBytes <= largestWrite, `${s.name}: ${s.maxTaskBytes} bytes in a task`);
  });

  it('says how much one export execution covers in its timeout, and how many exports by key range the whole store takes', () => {
    const TiB = 1024 * GiB;
    const r = scaleModel(defaultScaleInput(TiB, 400, 3650), t);
    const { exportSeconds, exportBytesPerExecution, wholeStoreExports } = r.execution;
    assert.ok(exportSeconds > EXECUTION_TIMEOUT_SECONDS.export, 'ten years of a terabyte a day do not fit one export');
    assert.ok(exportBytesPerExecution > 100 * TiB && exportBytesPerExecution < 3650 * TiB);
    assert.equal(wholeStoreExports, Math.ceil((3650 * TiB) / exportBytesPerExecution));
    // Every export task within Lambda's budget, whatever the store's size.
    for (const st of r.steps.filter((x) => x.name.startsWith('export')))
      assert.ok(st.maxTaskSeconds < QUOTAS.taskBudgetSeconds, `${st.name}: ${st.maxTaskSeconds} s`);
    assert.equal(scaleModel(defaultScaleInput(GiB, 400, 365), t).execution.wholeStoreExports, 1);
  });

  it('times a purge rewrite of the largest run and of every run against half the purge window', () => {
    const TiB = 1024 * GiB;
    const month = scaleModel(defaultScaleInput(TiB, 400, 3650, { purgeWithinMs: 30 * 86_400_000 }), t);
    assert.deepEqual(
      month.violations.filter((v) => v.startsWith('purge')),
      [],
    );
    assert.ok(month.purge);
    assert.equal(month.purge.halfWindowHours, 360);
    // The largest run's rewrite fits half the window; every run's is reported (ten years at a terabyte a day: about 25 days of executions, each merge paced by its index writes).
    assert.ok(month.purge.largestRewriteHours < 360 && month.purge.largestRewriteHours < month.purge.storeRewriteHours, JSON.stringify(month.purge));
    // Four days leave two for a rewrite that takes a week of executions.
    const short = scaleModel(defaultScaleInput(TiB, 400, 3650, { purgeWithinMs: 4 * 86_400_000 }), t);
    assert.ok(
      short.violations.some((v) => /^purge: rewriting the largest run takes \d+ h, over half the 4d window$/.test(v)),
      short.violations.join('\n'),
    );
    assert.equal(scaleModel(defaultScaleInput(TiB, 400, 3650), t).purge, undefined);
  });

  it("reports a task that outlasts Lambda's 15 minutes", () => {
    // Key ranges of 64 GiB: two of 50 GiB each, merged by one task each.
    const r = scaleModel(defaultScaleInput(100 * GiB, 400, 30, { rangeBytes: 64 * GiB }), t);
    const merge = r.steps.find((s) => s.name === 'offload merge')!;
    assert.equal(merge.tasks, 2);
    assert.ok(merge.maxTaskSeconds > QUOTAS.lambdaSeconds);
    assert.equal(r.withinQuotas, false);
    assert.ok(
      r.violations.some((v) => v.startsWith('offload merge: a task takes') && v.includes("over Lambda's 900 s")),
      r.violations.join('\n'),
    );
    // Scans are sized by their pace, whatever segmentBytes says: never past their time.
    const scan = scaleModel(defaultScaleInput(100 * GiB, 400, 30, { segmentBytes: 64 * GiB }), t).steps.find((s) => s.name === 'offload scan')!;
    assert.ok(scan.tasks > 2 && scan.maxTaskSeconds <= SCAN_TASK_SECONDS);
  });

  it("keeps every state and the parent's history the same size at any fan-out: tasks are Distributed Map children", () => {
    const small = scaleModel(defaultScaleInput(GiB, 400, 30), t);
    const large = scaleModel(defaultScaleInput(1024 * GiB, 400, 30), t);
    assert.ok(large.steps.find((x) => x.name === 'offload scan')!.tasks > 64, 'no cap of 64 on the fan-out');
    // The state carries counts and references: 17 segments or 5,146 differ by a few digits, not by a list.
    const grown = large.steps[0]!.maxStatePayloadBytes - small.steps[0]!.maxStatePayloadBytes;
    assert.ok(grown >= 0 && grown <= 24, `${grown} bytes more`);
    assert.ok(large.steps[0]!.maxStatePayloadBytes < QUOTAS.statePayloadBudgetBytes);
    assert.ok(large.execution.historyEvents < 1000, `${large.execution.historyEvents} events`);
    for (const x of large.steps.filter((y) => y.name.startsWith('offload') || y.name.startsWith('import')))
      assert.ok(x.maxTaskSeconds < QUOTAS.taskBudgetSeconds, `${x.name}: ${x.maxTaskSeconds} s`);
  });

  it('finds 1 TiB a day over ten years within every quota and every rate: offloads and compactions planned in slices that span executions, merges of many spills in two passes', () => {
    const r = scaleModel(defaultScaleInput(1024 * GiB, 400, 3650, {}, 6, { writesPerRequest: 100 }), t);
    assert.deepEqual(r.violations, []);
    assert.equal(r.withinQuotas, true);
    assert.deepEqual(
      r.limits.filter((l) => !l.ok).map((l) => l.name),
      [],
    );
    // A terabyte scanned and re-scanned at half the table quota's reads takes longer than an execution leaves an offload:
    // it goes on over executions, each within its timeout, and the period is offloaded well within a day.
    assert.ok(r.execution.offloadSeconds > EXECUTION_TIMEOUT_SECONDS.lifecycle / 2, `${r.execution.offloadSeconds} s`);
    assert.ok(r.execution.offloadExecutions > 1 && r.execution.offloadExecutions <= 4, `${r.execution.offloadExecutions} executions`);
    assert.ok(r.execution.lifecycleSeconds < EXECUTION_TIMEOUT_SECONDS.lifecycle, `${r.execution.lifecycleSeconds} s`);
    assert.deepEqual(
      r.limits.find((l) => l.name === 'offload scan reads per table'),
      { name: 'offload scan reads per table', demand: 20_000, limit: 40_000, unit: 'read units/s', ok: true },
    );
    // A compaction plan of a million ranges writes them over 64 partition keys: 312 a second each.
    assert.equal(r.limits.find((l) => l.name === 'job record writes per partition key')!.demand, 312.5);
    const plans = r.steps.filter((x) => / plan$/.test(x.name));
    assert.ok(plans.length >= 10, 'compaction reaches level 10 and more in ten years');
    for (const p of plans) assert.ok(p.maxTaskSeconds < QUOTAS.taskBudgetSeconds, `${p.name}: ${p.maxTaskSeconds} s`);
    assert.ok(r.execution.largestCompactionExecutions > 1, 'the largest compaction spans executions');
    // The planner's own slice, not a copy.
    assert.equal(r.execution.compactionSlice, compactionSlice(DEFAULT_SETTINGS));
  });

  it("knows rates: one team at 5,000 writes a second (peak twice that, half the writes) is within a partition key's limit with 8 shards and over it with one", () => {
    const workload = { writesPerSecond: 5000, peakFactor: 2, hotKeyShare: 0.5 };
    const bytes = 5000 * 400 * 86_400;
    const limitOf = (r: ScaleReport, name: string) => r.limits.find((l) => l.name === name)!;
    const r = scaleModel(defaultScaleInput(bytes, 400, 3650, {}, 6, workload), t);
    assert.deepEqual(
      r.limits.map((l) => l.name),
      [
        'hot table writes at period start',
        'hot partition key writes',
        'offload scan reads per table',
        'index writes per partition key',
        'index table writes',
        'job record writes per partition key',
        'API requests per second',
        'Lambda concurrency',
        'S3 PUTs per prefix',
      ],
    );
    assert.deepEqual(limitOf(r, 'hot partition key writes'), { name: 'hot partition key writes', demand: 625, limit: 1000, unit: 'write units/s', ok: true });
    // A new table takes 4,000 a second; warmed for the workload (1.5 times its peak of 10,000), 15,000.
    assert.deepEqual([limitOf(r, 'hot table writes at period start').demand, limitOf(r, 'hot table writes at period start').limit], [10_000, 15_000]);
    assert.equal(limitOf(r, 'API requests per second').ok, true, 'API throttling follows the configured peak');
    const one = scaleModel(defaultScaleInput(bytes, 400, 3650, { hotShards: 1 }, 6, workload), t);
    assert.deepEqual([limitOf(one, 'hot partition key writes').demand, limitOf(one, 'hot partition key writes').ok], [5000, false]);
    assert.equal(one.withinQuotas, false);
    // Scans: up to MAP_CONCURRENCY segments at once, each at its pace (eventually consistent: 8 KB a unit), together half the warmed table's reads.
    const scan = r.steps.find((x) => x.name === 'offload scan')!;
    const reads = limitOf(r, 'offload scan reads per table');
    assert.ok(Math.abs(reads.demand - Math.min(100, scan.tasks) * ((scan.maxTaskBytes * 460) / 400 / scan.maxTaskSeconds / 8192)) < 1);
    assert.ok(Math.abs(reads.demand - reads.limit / 2) < 1 && reads.limit > 12_000, JSON.stringify(reads));
    assert.ok(r.execution.lifecycleSeconds < EXECUTION_TIMEOUT_SECONDS.lifecycle, "the design load's lifecycle fits its execution");
  });

  it('reports an execution that outlasts its timeout', () => {
    // One key range per execution would be too small to matter; a slice of everything is too big.
    const r = scaleModel(defaultScaleInput(1024 * GiB, 400, 3650, { compactionSlice: 10_000_000 }), t);
    assert.ok(
      r.violations.some((v) => /^lifecycle execution: .* over its 6 h timeout/.test(v)),
      r.violations.join('\n'),
    );
  });

  it('prints the report as JSON, exiting 1 when a quota is passed', () => {
    const run = (args: string[]): { status: number; report: ScaleReport } => {
      try {
        return {
          status: 0,
          report: JSON.parse(execFileSync(process.execPath, ['bench/simulate.ts', '--scale', '--json', ...args], { encoding: 'utf8' })) as ScaleReport,
        };
      } catch (err) {
        const e = err as { status: number; stdout: string };
        return { status: e.status, report: JSON.parse(e.stdout) as ScaleReport };
      }
    };
    const small = run(['--period-bytes', String(GiB), '--record-bytes', '400', '--days', '365']);
    assert.equal(small.status, small.report.withinQuotas ? 0 : 1);
    assert.deepEqual(Object.keys(small.report).sort(), ['cost', 'execution', 'limits', 'rates', 'requests', 'steps', 'violations', 'withinQuotas']);
    assert.deepEqual(Object.keys(small.report.limits[0]!).sort(), ['demand', 'limit', 'name', 'ok', 'unit']);
    assert.deepEqual(Object.keys(small.report.steps[0]!).sort(), ['maxStatePayloadBytes', 'maxTaskBytes', 'maxTaskSeconds', 'name', 'tasks', 'unit']);
    const big = run(['--period-bytes', String(100 * GiB), '--record-bytes', '400', '--days', '30', '--range-bytes', String(64 * GiB)]);
    assert.equal(big.status, 1);
    assert.equal(big.report.withinQuotas, false);
  });
});

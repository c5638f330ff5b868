/**
 * `npm run simulate -- --periods 1095 --fanout 2 [--max-level 12] [--every 73] [--json]`
 * Prints runs and cumulative write amplification over a simulated history.
 * `npm run simulate -- --scale [--period-bytes N | --writes-per-second N] [--peak-factor F]
 * [--hot-key-share F] [--hot-shards N] [--reads-per-second N] [--writes-per-request N]
 * --record-bytes N --days N [--range-bytes N] [--spill-bytes N] [--segment-bytes N]
 * [--purge-within 30d] [--json]`: the scale model (bench/scale-model.ts): each step's tasks,
 * their size and duration, state sizes, history events, and every request-rate quota (`limits`).
 * `npm run simulate -- --compare [--periods N] [--svg FILE] [--json]`: the compaction strategies
 * on three workloads (bench/strategy-comparison.ts).
 * `npm run simulate -- --faults --seeds N [--from S] [--jobs J] [--json]`: the seeded
 * simulation of crashes and races on the embedded system (bench/fault-simulation.ts).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY_OPTIONS } from '../lambda/core/compaction.ts';
import { parseDuration } from '../lambda/core/settings.ts';
import { simulate } from './simulator.ts';

const { values } = parseArgs({
  options: {
    periods: { type: 'string', default: '1095' },
    fanout: { type: 'string', default: String(DEFAULT_POLICY_OPTIONS.fanout) },
    'max-level': { type: 'string', default: String(DEFAULT_POLICY_OPTIONS.maxLevel) },
    every: { type: 'string' },
    json: { type: 'boolean', default: false },
    faults: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '20' },
    from: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    scale: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
    svg: { type: 'string' },
    'period-bytes': { type: 'string' },
    'record-bytes': { type: 'string', default: '400' },
    days: { type: 'string', default: '3650' },
    'range-bytes': { type: 'string' },
    'spill-bytes': { type: 'string' },
    'segment-bytes': { type: 'string' },
    'purge-within': { type: 'string' },
    'writes-per-second': { type: 'string' },
    'peak-factor': { type: 'string' },
    'hot-key-share': { type: 'string' },
    'hot-shards': { type: 'string' },
    'reads-per-second': { type: 'string' },
    'writes-per-request': { type: 'string' },
  },
});

function positive(name: string, v: string | undefined, max = Infinity): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    console.error(`--${name} must be a number above 0${max < Infinity ? ` and at most ${max}` : ''}, not ${v}`);
    process.exit(2);
  }
  return n;
}

function int(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, not ${v}`);
    process.exit(2);
  }
  return n;
}

if (values.faults) {
  const { runFaults } = await import('./fault-simulation.ts');
  const seeds = int('seeds', values.seeds);
  const from = int('from', values.from);
  process.exit(await runFaults({ seeds, from, jobs: int('jobs', values.jobs), json: values.json }));
}

if (values.compare) {
  const { compareStrategies, comparisonSvg, comparisonTable } = await import('./strategy-comparison.ts');
  const rows = compareStrategies(int('periods', values.periods));
  if (values.svg) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values.svg, `${comparisonSvg(rows)}\n`);
  }
  if (values.json)
    console.log(
      JSON.stringify(
        rows.map(({ overhead: _o, writeAmplificationOverTime: _w, ...r }) => r),
        null,
        2,
      ),
    );
  else console.log(comparisonTable(rows));
  process.exit(0);
}

if (values.scale) {
  const { defaultScaleInput, scaleModel, throughputsFromBench } = await import('./scale-model.ts');
  const recordBytes = int('record-bytes', values['record-bytes']);
  const overrides = {
    ...(values['range-bytes'] ? { rangeBytes: int('range-bytes', values['range-bytes']) } : {}),
    ...(values['spill-bytes'] ? { spillBytes: int('spill-bytes', values['spill-bytes']) } : {}),
    ...(values['segment-bytes'] ? { segmentBytes: int('segment-bytes', values['segment-bytes']) } : {}),
    ...(values['purge-within'] ? { purgeWithinMs: parseDuration('--purge-within', values['purge-within']) } : {}),
    ...(values['hot-shards'] ? { hotShards: int('hot-shards', values['hot-shards']) } : {}),
  };
  const rates = {
    ...(values['writes-per-second'] ? { writesPerSecond: positive('writes-per-second', values['writes-per-second']) } : {}),
    ...(values['peak-factor'] ? { peakFactor: positive('peak-factor', values['peak-factor']) } : {}),
    ...(values['hot-key-share'] ? { hotKeyShare: positive('hot-key-share', values['hot-key-share'], 1) } : {}),
    ...(values['reads-per-second'] ? { readsPerSecond: positive('reads-per-second', values['reads-per-second']) } : {}),
    ...(values['writes-per-request'] ? { writesPerRequest: positive('writes-per-request', values['writes-per-request'], 100) } : {}),
  };
  // A period's bytes: given, or the write rate's over a day; 1 TiB by default.
  const periodBytes = values['period-bytes']
    ? int('period-bytes', values['period-bytes'])
    : rates.writesPerSecond
      ? Math.ceil(rates.writesPerSecond * recordBytes * 86_400)
      : 2 ** 40;
  const report = scaleModel(
    defaultScaleInput(periodBytes, recordBytes, int('days', values.days), overrides, undefined, rates),
    throughputsFromBench(undefined, recordBytes),
  );
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    const gib = (b: number): string => (b / 2 ** 30).toFixed(2);
    console.log('step                          tasks  task GiB  task s  state B');
    for (const st of report.steps)
      console.log(
        `${st.name.padEnd(28)} ${String(st.tasks).padStart(6)}  ${gib(st.maxTaskBytes).padStart(8)}  ${String(Math.round(st.maxTaskSeconds)).padStart(6)}  ${String(st.maxStatePayloadBytes).padStart(7)}`,
      );
    console.log(
      `lifecycle execution: ${report.execution.historyEvents} history events (each task a child execution of ${report.execution.childHistoryEvents}), ${(report.execution.lifecycleSeconds / 3600).toFixed(1)} h at ${report.execution.mapConcurrency} tasks at once; an import ${(report.execution.importSeconds / 3600).toFixed(1)} h`,
    );
    console.log(
      `offload: ${(report.execution.offloadSeconds / 3600).toFixed(1)} h a period over ${report.execution.offloadExecutions} execution${report.execution.offloadExecutions > 1 ? 's' : ''}`,
    );
    console.log(
      `compaction: ${report.execution.compactionSlice} key ranges per execution; the largest takes ${report.execution.largestCompactionExecutions} executions`,
    );
    console.log(
      `export: the whole store in ${(report.execution.exportSeconds / 86_400).toFixed(1)} days; one export execution covers ${(report.execution.exportBytesPerExecution / 2 ** 40).toFixed(0)} TiB in its timeout, so the whole store takes ${report.execution.wholeStoreExports} exports by key range`,
    );
    console.log(
      `S3 per prefix: ${Math.round(report.requests.s3PutsPerSecondPerPrefix)} PUT/s, ${Math.round(report.requests.s3GetsPerSecondPerPrefix)} GET/s; DynamoDB read units per period: ${Math.round(report.requests.dynamodbReadUnitsPerPeriod)}`,
    );
    if (report.purge)
      console.log(
        `purge: the largest run's rewrite takes ${Math.round(report.purge.largestRewriteHours)} h, every run's ${Math.round(report.purge.storeRewriteHours)} h, against half the window: ${Math.round(report.purge.halfWindowHours)} h`,
      );
    console.log(
      `Lambda GB-s per period: ${Math.round(report.cost.lambdaGbSecondsPerPeriod)}; transitions per period: ${Math.round(report.cost.transitionsPerPeriod)}`,
    );
    console.log('\nrate quota                            demand      limit  unit');
    for (const l of report.limits)
      console.log(`${l.name.padEnd(36)} ${String(l.demand).padStart(9)}  ${String(l.limit).padStart(9)}  ${l.unit}${l.ok ? '' : '  OVER'}`);
    const over = report.limits.filter((l) => !l.ok).map((l) => `${l.name}: ${l.demand} ${l.unit} against ${l.limit}`);
    console.log(report.withinQuotas ? 'within quotas' : `violations:\n  ${[...report.violations, ...over].join('\n  ')}`);
  }
  process.exit(report.withinQuotas ? 0 : 1);
}

const periods = int('periods', values.periods);
const fanout = int('fanout', values.fanout);
const maxLevel = int('max-level', values['max-level']);
const every = values.every ? int('every', values.every) : Math.max(1, Math.ceil(periods / 20));
const rows: { period: number; runs: number; levels: string; writeAmplification: number }[] = [];

const result = simulate({
  periods,
  fanout,
  maxLevel,
  onStep: (m, p, s) => {
    if ((p + 1) % every === 0 || p === periods - 1) {
      const levels = m.runs.map((r) => r.level).join(' ');
      rows.push({ period: p + 1, runs: s.runs, levels, writeAmplification: Number((s.written / s.ingested).toFixed(3)) });
    }
  },
});

const summary = {
  periods,
  fanout,
  maxLevel,
  runs: result.runs,
  maxRuns: result.maxRuns,
  compactions: result.compactions,
  writeAmplification: Number(result.writeAmplification.toFixed(3)),
  largestMergePeriods: result.largestMerge,
};

if (values.json) {
  console.log(JSON.stringify({ summary, rows }, null, 2));
} else {
  console.log('period  runs  write-amp  levels (newest first)');
  for (const r of rows)
    console.log(`${String(r.period).padStart(6)}  ${String(r.runs).padStart(4)}  ${r.writeAmplification.toFixed(3).padStart(9)}  ${r.levels}`);
  console.log(
    `\n${periods} periods, fanout ${fanout}, maxLevel ${maxLevel}: ${result.runs} runs at the end (at most ${result.maxRuns}), ` +
      `${result.compactions} compactions, write amplification ${summary.writeAmplification}, largest merge ${result.largestMerge} periods of data`,
  );
}

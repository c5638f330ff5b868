/**
 * The compaction strategies compared over years of daily periods on three workloads (steady
 * appends, a storm of deletes, a retention change): space overhead and write amplification
 * over time, as a table and an SVG plot. `npm run simulate -- --compare [--periods N]
 * [--svg FILE] [--json]`; docs/compaction.md shows the result.
 */
import { DEFAULT_POLICY_OPTIONS, type CompactionPolicyName } from '../lambda/core/compaction.ts';
import { policyFor } from '../lambda/core/strategies/index.ts';
import { simulate, WORKLOADS, type SimulationResult } from './simulator.ts';

export interface Contender {
  readonly name: string;
  readonly compaction: CompactionPolicyName;
  /** Purge deadline in days. */
  readonly purgeWithin?: number;
}

export const CONTENDERS: readonly Contender[] = [
  { name: 'logarithmic', compaction: 'logarithmic' },
  { name: 'multi', compaction: 'multi' },
  { name: 'logarithmic, purge 30d', compaction: 'logarithmic', purgeWithin: 30 },
  { name: 'multi, purge 30d', compaction: 'multi', purgeWithin: 30 },
];

export interface ComparisonRow {
  readonly workload: string;
  readonly strategy: string;
  readonly writeAmplification: number;
  readonly meanOverhead: number;
  readonly maxOverhead: number;
  readonly finalOverhead: number;
  readonly maxPurgeLagDays: number;
  readonly compactions: Readonly<Record<string, number>>;
  /** Overhead and cumulative write amplification after each period. */
  readonly overhead: readonly number[];
  readonly writeAmplificationOverTime: readonly number[];
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));

export function compareStrategies(periods: number, recordsPerPeriod = 1000): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const key of ['steady', 'deleteStorm', 'retentionChange'] as const) {
    const workload = WORKLOADS[key](periods);
    for (const c of CONTENDERS) {
      const wa: number[] = [];
      const policy = policyFor({
        ...DEFAULT_POLICY_OPTIONS,
        compaction: c.compaction,
        purgeWithinMs: c.purgeWithin === undefined ? undefined : c.purgeWithin * 86_400_000,
      });
      const r: SimulationResult = simulate({
        periods,
        ...DEFAULT_POLICY_OPTIONS,
        policy,
        workload,
        recordsPerPeriod,
        ...(c.purgeWithin !== undefined ? { purgeWithin: c.purgeWithin } : {}),
        onStep: (_m, _p, s) => wa.push(s.written / s.ingested),
      });
      rows.push({
        workload: workload.name,
        strategy: c.name,
        writeAmplification: round(r.writeAmplification, 2),
        meanOverhead: round(r.overhead.reduce((a, b) => a + b, 0) / r.overhead.length),
        maxOverhead: round(Math.max(...r.overhead)),
        finalOverhead: round(r.overhead.at(-1)!),
        maxPurgeLagDays: r.maxPurgeLag,
        compactions: r.byStrategy,
        overhead: r.overhead,
        writeAmplificationOverTime: wa,
      });
    }
  }
  return rows;
}

export function comparisonTable(rows: readonly ComparisonRow[]): string {
  const lines = [
    '| workload | strategy | write amp. | mean overhead | max overhead | final overhead | longest purge lag (days) | compactions |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const by = Object.entries(r.compactions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `| ${r.workload} | ${r.strategy} | ${r.writeAmplification} | ${r.meanOverhead} | ${r.maxOverhead} | ${r.finalOverhead} | ${r.maxPurgeLagDays} | ${by} |`,
    );
  }
  return lines.join('\n');
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

/** Two rows of panels (space overhead, write amplification), a column per workload, a line per strategy. */
export function comparisonSvg(rows: readonly ComparisonRow[]): string {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const W = 330;
  const H = 200;
  const pad = { l: 46, r: 10, t: 34, b: 30 };
  const width = workloads.length * W;
  const height = 2 * H + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  const panel = (col: number, row: number, title: string, series: { name: string; ys: readonly number[] }[], yLabel: string): void => {
    const x0 = col * W + pad.l;
    const y0 = row * H + pad.t;
    const w = W - pad.l - pad.r;
    const h = H - pad.t - pad.b;
    const n = Math.max(...series.map((s) => s.ys.length));
    const max = Math.max(...series.flatMap((s) => s.ys));
    const min = Math.min(...series.flatMap((s) => s.ys));
    const lo = Math.floor(min * 10) / 10;
    const hi = Math.max(lo + 0.1, Math.ceil(max * 10) / 10);
    const sx = (i: number): number => x0 + (i / Math.max(1, n - 1)) * w;
    const sy = (v: number): number => y0 + h - ((v - lo) / (hi - lo)) * h;
    out.push(`<text x="${x0}" y="${y0 - 18}" font-weight="bold">${title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);
    out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (const v of [lo, (lo + hi) / 2, hi]) out.push(`<text x="${x0 - 4}" y="${sy(v) + 4}" text-anchor="end">${v.toFixed(v >= 10 ? 0 : 2)}</text>`);
    out.push(`<text x="${x0 + w}" y="${y0 + h + 14}" text-anchor="end">day ${n}</text><text x="${x0}" y="${y0 + h + 14}">day 1</text>`);
    out.push(`<text x="${x0 + 2}" y="${y0 - 5}" fill="#555">${yLabel}</text>`);
    series.forEach((s, k) => {
      const step = Math.max(1, Math.floor(s.ys.length / 300));
      const pts = s.ys
        .filter((_, i) => i % step === 0 || i === s.ys.length - 1)
        .map((v, j, arr) => `${sx(j === arr.length - 1 ? s.ys.length - 1 : j * step).toFixed(1)},${sy(v).toFixed(1)}`);
      out.push(
        `<polyline fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="1.3" ${k >= 2 ? 'stroke-dasharray="4 2" ' : ''}points="${pts.join(' ')}"/>`,
      );
    });
  };
  workloads.forEach((wl, col) => {
    const of = rows.filter((r) => r.workload === wl);
    panel(
      col,
      0,
      wl.split(' (')[0]!,
      of.map((r) => ({ name: r.strategy, ys: r.overhead })),
      'space overhead (stored / live)',
    );
    panel(
      col,
      1,
      '',
      of.map((r) => ({ name: r.strategy, ys: r.writeAmplificationOverTime })),
      'write amplification (cumulative)',
    );
  });
  strategies.forEach((s, k) => {
    const x = 10 + k * 200;
    out.push(
      `<line x1="${x}" y1="${height - 12}" x2="${x + 24}" y2="${height - 12}" stroke="${COLORS[k % COLORS.length]}" stroke-width="2" ${k >= 2 ? 'stroke-dasharray="4 2"' : ''}/><text x="${x + 30}" y="${height - 8}">${s}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

/** A small benchmark harness: time a body over repetitions, report the median. */
import { mapBounded } from '../lambda/core/read-path.ts';

export interface Figure {
  readonly suite: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What `value` is relative to (a baseline measured in the same run), if a ratio. */
  readonly baseline?: string;
}

export async function medianSeconds(reps: number, body: () => unknown | Promise<unknown>): Promise<number> {
  await body(); // warm-up: JIT and caches
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await body();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((f) => [f.suite, f.name, String(round(f.value)), f.unit + (f.baseline ? ` (vs ${f.baseline})` : '')]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 5));
  for (const r of rows) console.log(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}  ${r[3]}`);
}

/** Runs `fn` over the items with `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (x: T) => Promise<void>): Promise<void> {
  await mapBounded(items, concurrency, fn);
}

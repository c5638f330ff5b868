/**
 * Key ranges for partitioned work (offload merges, compaction merges): splitters chosen
 * from sampled keys or range summaries; a job's ranges are records of their own (core/jobs.ts,
 * JobRanges), and a task is told only its range's index.
 */
import { compareKeys } from './keys.ts';
import type { KeyRange } from './partition-query.ts';

/** A key range as a job stores it: base64 bounds, absent = unbounded. */
export interface RangeSpec {
  readonly index: number;
  readonly lo?: string;
  readonly hi?: string;
}

/** A key range of a written run and what it holds (stored bytes): kept with the run, so a compaction plans from its inputs' ranges. */
export interface RangeSummary extends RangeSpec {
  readonly bytes: number;
  readonly count: number;
}

/** Splitters at evenly spaced quantiles of the (sorted, distinct) sample. */
export function chooseSplitters(sample: readonly Buffer[], parts: number): Buffer[] {
  const sorted = [...sample].sort(compareKeys).filter((k, i, a) => i === 0 || !k.equals(a[i - 1]!));
  const out: Buffer[] = [];
  for (let i = 1; i < parts; i++) {
    const k = sorted[Math.floor((i * sorted.length) / parts)];
    if (k && (out.length === 0 || compareKeys(k, out[out.length - 1]!) > 0)) out.push(k);
  }
  return out;
}

export function rangesFrom(splitters: readonly Buffer[]): RangeSpec[] {
  const b64 = (k: Buffer): string => k.toString('base64');
  return Array.from({ length: splitters.length + 1 }, (_, i) => ({
    index: i,
    ...(i > 0 ? { lo: b64(splitters[i - 1]!) } : {}),
    ...(i < splitters.length ? { hi: b64(splitters[i]!) } : {}),
  }));
}

/** The range as encoded keys. Unbounded ends: the empty key, and 0xff (valid UTF-8 never holds that byte, so it follows every key). */
export function keyRangeOfSpec(r: RangeSpec): KeyRange {
  return { lo: r.lo ? Buffer.from(r.lo, 'base64') : Buffer.alloc(0), hi: r.hi ? Buffer.from(r.hi, 'base64') : Buffer.of(0xff) };
}

/** Which range a key falls in (binary search over the splitters). */
export function rangeOf(key: Buffer, splitters: readonly Buffer[]): number {
  let lo = 0;
  let hi = splitters.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(key, splitters[mid]!) >= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function splittersOf(ranges: readonly RangeSpec[]): Buffer[] {
  return ranges.slice(1).map((r) => Buffer.from(r.lo!, 'base64'));
}

/**
 * How many tasks a job of `bytes` raw bytes is split into: scan segments (one spill budget of
 * records each) and key ranges (one range budget each), within what an inline Map state
 * carries. Offload and import plan with it; the cost report and the scale model size their
 * periods with it too.
 */
import type { StoreSettings } from './settings.ts';

/** The most tasks of a kind one inline Map runs in this version (issue 11: more, by Distributed Map). */
export const MAX_TASKS_PER_MAP = 64;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export function fanOut(bytes: number, s: Pick<StoreSettings, 'rangeBytes' | 'spillBytes'>): { segments: number; ranges: number } {
  return { segments: clamp(Math.ceil(bytes / s.spillBytes), 2, MAX_TASKS_PER_MAP), ranges: clamp(Math.ceil(bytes / s.rangeBytes), 1, MAX_TASKS_PER_MAP) };
}

/** Bytes of input files an import parses per task: half a spill budget (the other half holds its sorters), at least 64 KiB. */
export const importChunkBytes = (s: Pick<StoreSettings, 'spillBytes'>): number => Math.max(64 * 1024, Math.floor(s.spillBytes / 2));

/**
 * Checkpoints: a consistent, immutable view of the store, as of the end of the last sealed
 * period (no write can land before that any more). A checkpoint pins the runs that hold
 * what was written before it (every cold run, and the hot runs of sealed periods); reads
 * through it merge exactly those, however much is written, offloaded, compacted or collected
 * afterwards. GC keeps what a live checkpoint pins; when an offload replaces a pinned hot
 * table by its cold run (the same records, verified), GC moves the pin to the cold run
 * before it drops the table, so a checkpoint never keeps a DynamoDB table alive.
 */
import { ValidationError } from './errors.ts';
import type { Garbage, Manifest, RunMeta } from './manifest.ts';
import { periodStartOf } from './schema.ts';
import { formatDuration, parseDuration } from './settings.ts';

/** A checkpoint's id, as the store makes them (`ck-` and a UUID): anything else names none. */
export const CHECKPOINT_ID = /^ck-[0-9a-f-]{36}$/;

export interface Checkpoint {
  readonly id: string;
  readonly manifestVersion: number;
  /** ms since the epoch: the end of the last sealed period when it was made. */
  readonly asOf: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The runs it reads, newest first (as a manifest lists them). */
  readonly runs: readonly RunMeta[];
}

export const CHECKPOINT_TTL = { defaultMs: 86_400_000, maxMs: 30 * 86_400_000 } as const;

/**
 * A TTL as the API takes it (`6h`, `7d`; default a day, at most `maxMs`: 30 days, or a quarter
 * of a purge window, since a checkpoint keeps what a purge rewrites).
 */
export function checkpointTtl(text: string | undefined, maxMs: number = CHECKPOINT_TTL.maxMs): number {
  if (text === undefined) return Math.min(CHECKPOINT_TTL.defaultMs, maxMs);
  let ms: number;
  try {
    ms = parseDuration('ttl', text);
  } catch {
    throw new ValidationError('InvalidTtl', `ttl must be a duration like 30m, 6h or 7d, not "${text}"`);
  }
  if (ms < 60_000 || ms > maxMs) {
    const why = maxMs < CHECKPOINT_TTL.maxMs ? " (a quarter of the store's purge window: a checkpoint keeps what a purge must remove)" : '';
    throw new ValidationError('InvalidTtl', `ttl must be from 1m to ${formatDuration(maxMs)}${why}`);
  }
  return ms;
}

/** The end of the last sealed period: writes before it can no longer land. */
export function lastSealedEnd(nowMs: number, periodMs: number, sealGraceMs: number): number {
  return periodStartOf(nowMs - sealGraceMs, periodMs);
}

/** A checkpoint of manifest `m` made at `nowMs`: every cold run, and the hot runs of sealed periods. */
export function makeCheckpoint(m: Manifest, id: string, nowMs: number, ttlMs: number, s: { periodMs: number; sealGraceMs: number }): Checkpoint {
  const asOf = lastSealedEnd(nowMs, s.periodMs, s.sealGraceMs);
  return {
    id,
    manifestVersion: m.version,
    asOf,
    createdAt: nowMs,
    expiresAt: nowMs + ttlMs,
    runs: m.runs.filter((r) => r.tier === 'cold' || r.periodEnd <= asOf),
  };
}

export const isLive = (c: Checkpoint, nowMs: number): boolean => nowMs < c.expiresAt;

/** What reads through the checkpoint see: its runs, as a manifest. */
export const checkpointView = (c: Checkpoint): Manifest => ({ version: c.manifestVersion, runs: c.runs });

/** What a garbage entry deletes, as a checkpoint names it: a run id, or a hot table. */
function pins(c: Checkpoint, g: Garbage): boolean {
  if (g.kind === 'run') return c.runs.some((r) => r.id === g.target);
  if (g.kind === 'table') return c.runs.some((r) => r.table === g.target);
  return false;
}

/** The live checkpoints that keep `g` from being deleted. */
export function pinnedBy(checkpoints: readonly Checkpoint[], g: Garbage, nowMs: number): Checkpoint[] {
  return checkpoints.filter((c) => isLive(c, nowMs) && pins(c, g));
}

/** The checkpoint reading `cold` where it read the hot run of `table` (an offload's replacement: the same records). */
export function rebased(c: Checkpoint, table: string, cold: RunMeta): Checkpoint {
  const runs = c.runs.map((r) => (r.table === table ? cold : r));
  return { ...c, runs };
}

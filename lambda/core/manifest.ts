/**
 * The manifest: the set of visible runs, as versions and edits (LevelDB's version_set).
 * One edit is one atomic commit (a compare-and-swap of the manifest item on its version).
 * Applying an edit that is already applied is a no-op, so re-running a step after a
 * crash commits at most once; an edit that is neither applicable nor applied is a conflict.
 */
import { AlkiError } from './errors.ts';
import { FORMAT_DEFAULTS } from './limits.ts';

export type Tier = 'hot' | 'cold';

export interface RunMeta {
  /** Deterministic from what the run holds, so a re-run names the same objects. */
  readonly id: string;
  readonly tier: Tier;
  /** Compaction level: 0 for a hot run and for a run offloaded from one period. */
  readonly level: number;
  /** Start (ms since the epoch) of the first period the run covers. */
  readonly periodStart: number;
  /** End (exclusive) of the last period the run covers. */
  readonly periodEnd: number;
  /** Smallest and largest seq held (a hot run: its periods' bounds, in microseconds). */
  readonly minSeq: number;
  readonly maxSeq: number;
  /** Encoded keys, base64; absent on hot runs and empty runs. */
  readonly minKey?: string;
  readonly maxKey?: string;
  readonly count: number;
  /** Bytes stored (S3 bytes for a cold run). */
  readonly bytes: number;
  /** setsum hexdigest of exactly the run's records. */
  readonly setsum: string;
  /** A hot run's DynamoDB table. */
  readonly table?: string;
  /** A hot run's table's write shards (core/hot-shards.ts); absent: one. */
  readonly shards?: number;
  /** A cold run's blob count. */
  readonly blobs?: number;
  readonly createdAt: string;
  /** Tombstones the run holds (absent: none). */
  readonly tombstones?: number;
  /**
   * When the purge clocks of its tombstones started (ms), the earliest and the latest: a delete's
   * time (its seq), or an import's commit for imported ones. A purge deadline counts from there.
   */
  readonly deletedFrom?: number;
  readonly deletedTo?: number;
  /**
   * Every tombstone whose clock started at or before this (ms) has been applied to the run's
   * records: none of them shadows a record still here. Absent: the time of `minSeq` (no delete
   * before a record was written can shadow it).
   */
  readonly purgedAt?: number;
  /** The compaction strategy that wrote it (absent: an offload, an import or the logarithmic merge). */
  readonly madeBy?: string;
}

/** What one compaction strategy wrote, in one commit: its rate limit and the index budget add these up. */
export interface Spend {
  readonly strategy: string;
  readonly at: number;
  readonly bytes: number;
  readonly indexItems: number;
}

/** What a compaction costs its strategy: the bytes it read and rewrote, and the index items of the run it wrote. */
export function spendOf(strategy: string, at: number, inputBytes: number, outputRecords: number): Spend {
  return { strategy, at, bytes: inputBytes, indexItems: Math.ceil(outputRecords / FORMAT_DEFAULTS.indexEntryMaxRecords) };
}

/** Spends the manifest keeps (the newest): more than any strategy's rate limit looks back over. */
export const SPEND_HISTORY = 64;

export type EditKind = 'rotate' | 'offload' | 'compact' | 'import' | 'retention' | 'gc';

/**
 * Something a commit made unreachable, deleted by GC once `releasedAt + gcGrace` has passed
 * (longer than any manifest cache or request), so no reader finds its data gone.
 */
export interface Garbage {
  /** Unique: `table:<name>`, `run:<id>`, `job:<id>` (its spills and spec), `upload:<import id>` (its input files). */
  readonly id: string;
  readonly kind: 'table' | 'run' | 'job' | 'upload';
  /** Table name, run id, job id or import id. */
  readonly target: string;
  readonly releasedAt: number;
  /** A hot table an offload released: the cold run holding its records (checkpoints that pin the table move to it). */
  readonly replacedBy?: RunMeta;
}

export interface Edit {
  readonly kind: EditKind;
  readonly remove: readonly string[];
  readonly add: readonly RunMeta[];
  /** What this commit releases (GC deletes it later). */
  readonly release?: readonly Garbage[];
  /** Garbage ids GC has deleted (removed from the list). */
  readonly collected?: readonly string[];
  /** A compaction's cost, charged to its strategy in the same commit. */
  readonly spend?: Spend;
}

export interface Manifest {
  readonly version: number;
  /** Newest first (by periodStart, then level), the order reads list their sources in. */
  readonly runs: readonly RunMeta[];
  /** Released, not yet deleted. */
  readonly garbage?: readonly Garbage[];
  /** The latest compactions' costs, oldest first. */
  readonly spent?: readonly Spend[];
}

export class ConflictError extends AlkiError {
  constructor(message: string) {
    super('Conflict', message);
  }
}

export const EMPTY_MANIFEST: Manifest = { version: 0, runs: [] };

/** Newest first: later periods first; within a period span, lower levels (newer) first. */
export function compareRunsNewestFirst(a: RunMeta, b: RunMeta): number {
  return b.periodStart - a.periodStart || b.periodEnd - a.periodEnd || a.level - b.level || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export type EditResult = { readonly changed: true; readonly manifest: Manifest } | { readonly changed: false; readonly manifest: Manifest };

/** Applies an edit, giving the next version; or reports that it is already applied. */
export function applyEdit(m: Manifest, edit: Edit): EditResult {
  if (edit.kind === 'gc') {
    const collect = new Set(edit.collected ?? []);
    const garbage = (m.garbage ?? []).filter((g) => !collect.has(g.id));
    if (garbage.length === (m.garbage ?? []).length) return { changed: false, manifest: m };
    return { changed: true, manifest: { ...m, version: m.version + 1, garbage } };
  }
  const ids = new Set(m.runs.map((r) => r.id));
  const removedPresent = edit.remove.filter((id) => ids.has(id));
  const addedPresent = edit.add.filter((r) => ids.has(r.id));
  if (removedPresent.length === 0 && addedPresent.length === edit.add.length && (edit.remove.length > 0 || edit.add.length > 0)) {
    // Every removal done and every addition there: this edit was committed already.
    return { changed: false, manifest: m };
  }
  if (removedPresent.length !== edit.remove.length) {
    const missing = edit.remove.filter((id) => !ids.has(id));
    throw new ConflictError(`${edit.kind}: runs ${missing.join(', ')} are no longer in the manifest`);
  }
  if (addedPresent.length > 0) {
    throw new ConflictError(`${edit.kind}: runs ${addedPresent.map((r) => r.id).join(', ')} are already in the manifest`);
  }
  const addIds = new Set<string>();
  for (const r of edit.add) {
    if (addIds.has(r.id)) throw new ConflictError(`${edit.kind}: run ${r.id} added twice`);
    addIds.add(r.id);
  }
  const remove = new Set(edit.remove);
  const runs = [...m.runs.filter((r) => !remove.has(r.id)), ...edit.add].sort(compareRunsNewestFirst);
  const known = new Set((m.garbage ?? []).map((g) => g.id));
  const garbage = [...(m.garbage ?? []), ...(edit.release ?? []).filter((g) => !known.has(g.id))];
  const spent = edit.spend ? [...(m.spent ?? []), edit.spend].slice(-SPEND_HISTORY) : m.spent;
  return {
    changed: true,
    manifest: { version: m.version + 1, runs, ...(garbage.length > 0 ? { garbage } : {}), ...(spent && spent.length > 0 ? { spent } : {}) },
  };
}

export function hotRuns(m: Manifest): RunMeta[] {
  return m.runs.filter((r) => r.tier === 'hot');
}

/** Hot runs whose period is sealed (its end and the seal grace passed) and not yet offloaded, oldest first: how far the lifecycle is behind. */
export function sealedHotRuns(m: Manifest, sealGraceMs: number, nowMs: number): RunMeta[] {
  return hotRuns(m)
    .filter((r) => r.periodEnd + sealGraceMs <= nowMs)
    .sort((a, b) => a.periodStart - b.periodStart);
}

/** Cold runs, oldest first: the order the compaction policy reasons in. */
export function coldRunsOldestFirst(m: Manifest): RunMeta[] {
  return m.runs.filter((r) => r.tier === 'cold').sort((a, b) => -compareRunsNewestFirst(a, b));
}

export function findRun(m: Manifest, id: string): RunMeta | undefined {
  return m.runs.find((r) => r.id === id);
}

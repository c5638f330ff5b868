/**
 * How much of each cold run is still live, from the manifest alone (Magic Pocket keeps a live
 * count per volume; a run's records are not counted one by one, so this estimates):
 *
 * - expired: retention hides records older than the cutoff; a run's bytes are taken to spread
 *   evenly over its seqs (each period offloads about as much as the next);
 * - its own tombstones are counted live: a rewrite cannot drop them while an older run may hold
 *   their keys, so counting them dead would rewrite the same run again and again;
 * - shadowed: a tombstone in another run shadows at most one older version, somewhere in the
 *   runs it can reach; each is charged to those runs by their share of records, and only if the
 *   run has not been checked against it already (`purgedAt`).
 *
 * A rewrite or merge measures what it drops exactly; the estimate only chooses what to rewrite.
 * Records overwritten by a newer put are not estimated (audit logs are appended, not rewritten):
 * a merge or rewrite drops them when it meets them.
 */
import { keysOverlap, purgedAtOf } from './compaction.ts';
import type { Manifest, RunMeta } from './manifest.ts';

/** The fraction of `r`'s seq span below `cutoff`. */
export function expiredFraction(r: RunMeta, cutoff: number | undefined): number {
  if (cutoff === undefined || r.count === 0 || r.minSeq >= cutoff) return 0;
  if (r.maxSeq < cutoff) return 1;
  return (cutoff - r.minSeq) / (r.maxSeq - r.minSeq + 1);
}

/** The fraction of `n`'s tombstones whose purge clock started after `since` (ms). */
function tombstonesAfter(n: RunMeta, since: number): number {
  const from = n.deletedFrom ?? 0;
  const to = n.deletedTo ?? from;
  if (to <= since) return 0;
  if (from > since || to === from) return 1;
  return (to - since) / (to - from);
}

export interface Liveness {
  /** Estimated live bytes of each cold run, by id. */
  readonly live: ReadonlyMap<string, number>;
  /** Bytes the cold runs store. */
  readonly stored: number;
  /** Their estimated live bytes. */
  readonly liveTotal: number;
}

export function liveness(m: Manifest, cutoff?: number): Liveness {
  const cold = m.runs.filter((r) => r.tier === 'cold');
  const avg = (r: RunMeta): number => (r.count > 0 ? r.bytes / r.count : 0);
  const dead = new Map<string, number>(cold.map((r) => [r.id, r.bytes * expiredFraction(r, cutoff)]));
  for (const n of cold) {
    if (!n.tombstones) continue;
    const reach = cold.filter((o) => o.id !== n.id && o.count > 0 && o.minSeq < n.maxSeq && keysOverlap(o, n));
    const records = reach.reduce((a, o) => a + o.count, 0);
    if (records === 0) continue;
    for (const o of reach) {
      const shadowed = n.tombstones * tombstonesAfter(n, purgedAtOf(o)) * (o.count / records);
      dead.set(o.id, dead.get(o.id)! + shadowed * avg(o));
    }
  }
  const live = new Map(cold.map((r) => [r.id, Math.max(0, r.bytes - dead.get(r.id)!)]));
  return { live, stored: cold.reduce((a, r) => a + r.bytes, 0), liveTotal: [...live.values()].reduce((a, b) => a + b, 0) };
}

/** A run's estimated live bytes over its stored bytes (1 for an empty run: nothing to reclaim). */
export function liveFraction(l: Liveness, r: RunMeta): number {
  return r.bytes === 0 ? 1 : (l.live.get(r.id) ?? r.bytes) / r.bytes;
}

/** Stored bytes over live bytes: 1 when nothing is garbage. */
export function spaceOverhead(l: Liveness): number {
  return l.liveTotal === 0 ? (l.stored === 0 ? 1 : Infinity) : l.stored / l.liveTotal;
}

/** A run that holds records a purge deadline says must go, and by when (ms). */
export interface PurgeDue {
  readonly run: RunMeta;
  readonly deadline: number;
  readonly reason: 'expired' | 'deleted';
}

/**
 * Runs to rewrite for purge deadlines, most urgent first. A record deleted (or expired) at t
 * must be gone by t + within; its run is rewritten from t + within/2, which leaves the other
 * half for the rewrite, GC's grace and the deletion of every object version.
 */
export function purgeDue(m: Manifest, nowMs: number, withinMs: number, cutoff?: number): PurgeDue[] {
  // The retention in force: how far the cutoff trails now. A record expired when the cutoff passed its seq.
  const retentionMs = cutoff === undefined ? undefined : nowMs - cutoff / 1000;
  const cold = m.runs.filter((r) => r.tier === 'cold' && r.count > 0);
  const out: PurgeDue[] = [];
  for (const o of cold) {
    let due: PurgeDue | undefined;
    const consider = (since: number, reason: PurgeDue['reason']): void => {
      if (since + withinMs / 2 <= nowMs && (!due || since + withinMs < due.deadline)) due = { run: o, deadline: since + withinMs, reason };
    };
    if (retentionMs !== undefined) {
      // Its oldest record expired at minSeq + retention; a run expired whole is dropped by retention instead.
      const expiredAt = Math.floor(o.minSeq / 1000) + retentionMs;
      const wholeAt = Math.floor(o.maxSeq / 1000) + retentionMs;
      if (wholeAt > nowMs) consider(expiredAt, 'expired');
    }
    const purgedAt = purgedAtOf(o);
    for (const n of cold) {
      if (n.id === o.id || !n.tombstones || (n.deletedTo ?? 0) <= purgedAt || n.maxSeq <= o.minSeq || !keysOverlap(n, o)) continue;
      consider(Math.max(n.deletedFrom ?? 0, purgedAt + 1), 'deleted');
    }
    if (due) out.push(due);
  }
  return out.sort((a, b) => a.deadline - b.deadline || (a.run.id < b.run.id ? -1 : 1));
}

/**
 * An offload larger than a lifecycle execution goes on in the next one, as a large compaction
 * does. Its work is four kinds of tasks in order: scan every segment of the sealed table into
 * spills, merge every key range into the new run, read every range back, re-scan every
 * segment; then the run is added up and committed. Each task records what it did (with when),
 * so the work still to do follows from the job's records alone, and an execution takes a slice
 * of it that fits its budget. Pure: the planner (lambda/offload) and the scale model use it.
 */

export const OFFLOAD_PHASES = ['scan', 'merge', 'verify', 'rescan'] as const;
export type OffloadPhase = (typeof OFFLOAD_PHASES)[number];
export type PhaseLists = Record<OffloadPhase, number[]>;

/** When each task of the job last recorded (ms; 0 for a record of a release that did not say); absent: never. */
export interface OffloadProgress {
  readonly segments: number;
  readonly ranges: number;
  readonly scanned: ReadonlyMap<number, number>;
  readonly merged: ReadonlyMap<number, number>;
  readonly verified: ReadonlyMap<number, number>;
  readonly rescanned: ReadonlyMap<number, number>;
  /** When adding the run up last failed verification: everything recorded before is done again. */
  readonly failedAt?: number;
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The tasks still to do, by phase. A segment is scanned again when it was never scanned since
 * the last failure; every range is merged again when any segment is (a range's merge reads
 * every segment's spills), or when its merge predates the newest scan; a range is read back
 * again when it is merged again or its reading predates its merge; the re-scan stands alone.
 */
export function offloadToDo(p: OffloadProgress): PhaseLists {
  const fresh = (at: number | undefined): at is number => at !== undefined && (p.failedAt === undefined || at > p.failedAt);
  const scan = upTo(p.segments).filter((i) => !fresh(p.scanned.get(i)));
  const newestScan = Math.max(0, ...p.scanned.values());
  const merge =
    scan.length > 0
      ? upTo(p.ranges)
      : upTo(p.ranges).filter((r) => {
          const at = p.merged.get(r);
          return !fresh(at) || at < newestScan;
        });
  const remerged = new Set(merge);
  const verify = upTo(p.ranges).filter((r) => {
    const at = p.verified.get(r);
    return remerged.has(r) || !fresh(at) || at < (p.merged.get(r) ?? 0);
  });
  const rescan = upTo(p.segments).filter((i) => !fresh(p.rescanned.get(i)));
  return { scan, merge, verify, rescan };
}

export interface SliceBudget {
  /** Seconds of the execution the offload may take. */
  readonly seconds: number;
  /** Tasks a Map runs at once: a phase of n tasks takes ceil(n / concurrency) waves. */
  readonly concurrency: number;
  /** Seconds one task of each phase is planned to take. */
  readonly taskSeconds: Readonly<Record<OffloadPhase, number>>;
  /** At most this many tasks in all (a setting, for tests and operators); absent: no cap. */
  readonly maxTasks?: number | undefined;
}

/**
 * The tasks of this execution: phases in order, each as many waves of its tasks as the budget
 * still holds; a phase not taken whole stops the slice there (the next phase needs it done).
 * A slice always does something when anything is left, so the offload always moves on.
 * `complete` when the slice is all that is left: the run is added up and committed after it.
 */
export function offloadSlice(todo: Readonly<PhaseLists>, b: SliceBudget): { lists: PhaseLists; complete: boolean } {
  const lists: PhaseLists = { scan: [], merge: [], verify: [], rescan: [] };
  let seconds = b.seconds;
  let tasks = b.maxTasks ?? Infinity;
  let taken = 0;
  for (const phase of OFFLOAD_PHASES) {
    const items = todo[phase];
    if (items.length === 0) continue;
    const waves = Math.max(0, Math.floor(seconds / Math.max(b.taskSeconds[phase], 1e-9)));
    let n = Math.min(items.length, waves * b.concurrency, tasks);
    if (taken === 0) n = Math.max(n, Math.min(items.length, Math.max(1, Math.min(b.concurrency, tasks))));
    lists[phase] = items.slice(0, n);
    taken += n;
    tasks -= n;
    seconds -= Math.ceil(n / b.concurrency) * b.taskSeconds[phase];
    if (n < items.length) return { lists, complete: false };
  }
  return { lists, complete: true };
}

/**
 * The control loop of the garbage strategies (Magic Pocket moves its compaction thresholds with
 * the fleet's overhead): the live fraction below which a run is rewritten rises with the
 * store's space overhead (stored bytes over live bytes) above the target, and falls below it,
 * within bounds. Stateless: the overhead is measured afresh at each plan.
 */
export interface ControlOptions {
  /** The overhead aimed at: 1.25 stores a quarter more than is live. */
  readonly targetOverhead: number;
  /** The threshold at the target. */
  readonly base: number;
  /** How far the threshold moves per unit of overhead off the target. */
  readonly gain: number;
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_CONTROL: ControlOptions = { targetOverhead: 1.25, base: 0.5, gain: 1, min: 0.2, max: 0.8 };

export function rewriteThreshold(overhead: number, o: ControlOptions = DEFAULT_CONTROL): number {
  if (!Number.isFinite(overhead)) return o.max;
  return Math.min(o.max, Math.max(o.min, o.base + o.gain * (overhead - o.targetOverhead)));
}

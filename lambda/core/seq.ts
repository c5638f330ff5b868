/**
 * Server-assigned seqs: microseconds since the epoch, strictly increasing within a process.
 * Safe as doubles until the year 2255.
 */
export type Clock = () => number;

/** Wall-clock milliseconds with sub-millisecond precision. */
export const systemClock: Clock = () => performance.timeOrigin + performance.now();

export class SeqClock {
  private last = 0;
  private readonly now: Clock;

  constructor(now: Clock = systemClock) {
    this.now = now;
  }

  /** The next seq: now in microseconds, or one more than the last if the clock has not moved. */
  next(): number {
    const t = Math.floor(this.now() * 1000);
    this.last = t > this.last ? t : this.last + 1;
    return this.last;
  }

  /** The next seq, and above `floor` (a version another writer, whose clock runs ahead, made). */
  nextAbove(floor: number): number {
    const seq = this.next();
    if (seq > floor) return seq;
    this.last = floor + 1;
    return this.last;
  }
}

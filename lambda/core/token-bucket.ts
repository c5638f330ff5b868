/**
 * Token buckets: `rate` tokens a second up to `capacity`. The embedded system refuses with
 * them what AWS refuses for rate (local/throughput.ts); writers pace themselves with them
 * (`Pacer`) so that they never ask one partition key for more than its share.
 */

/** A token bucket, starting with a second's worth. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  rate: number;
  capacity: number;

  constructor(rate: number, capacity: number, now: () => number) {
    this.rate = rate;
    this.capacity = capacity;
    this.now = now;
    this.last = now();
    this.tokens = Math.min(capacity, rate);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /** Whether a request may start: the bucket holds some capacity (a request may then take it into debt). */
  admits(): boolean {
    this.refill();
    return this.tokens > 1e-9;
  }

  charge(units: number): void {
    this.refill();
    this.tokens -= units;
  }

  /** Milliseconds until the bucket is out of debt (0 when it holds capacity). */
  debtMs(): number {
    this.refill();
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }

  /** Whether it has refilled completely (an idle key's bucket can be forgotten). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }
}

/**
 * Paces one writer to `rate` units a second (a second's burst at most): each `take` charges
 * its units and waits out the debt, so over any T seconds the writer asks for at most
 * rate × (T + 1) units.
 */
export class Pacer {
  private readonly bucket: TokenBucket;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds spent waiting, for the task's report. */
  waitedMs = 0;

  constructor(rate: number, now: () => number = Date.now, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {
    this.bucket = new TokenBucket(rate, rate, now);
    this.sleep = sleep;
  }

  async take(units: number): Promise<void> {
    this.bucket.charge(units);
    const ms = this.bucket.debtMs();
    if (ms <= 0) return;
    this.waitedMs += ms;
    await this.sleep(ms);
  }
}

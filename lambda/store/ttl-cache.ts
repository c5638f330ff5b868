/** A value loaded on demand and kept for a while (by the given clock); a failed load is not kept. */
import type { Clock } from '../core/seq.ts';

export class TtlCache<T> {
  private readonly load: (at: number) => Promise<T>;
  private readonly ttlMs: number;
  private readonly now: Clock;
  private cached: { at: number; value: Promise<T> } | undefined;

  /** `load` is told the time it was started at. */
  constructor(load: (at: number) => Promise<T>, ttlMs: number, now: Clock) {
    this.load = load;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  get(): Promise<T> {
    const t = this.now();
    if (!this.cached || t - this.cached.at >= this.ttlMs) {
      const value = this.load(t);
      this.cached = { at: t, value };
      value.catch(() => {
        if (this.cached?.value === value) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}

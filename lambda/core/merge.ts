/**
 * k-way merge of sorted sources: the heart of reads, offload and compaction.
 *
 * For each key the version with the highest seq wins (ties go to the earlier source, so
 * callers list sources newest first). Older versions are shadowed. A winning tombstone is
 * emitted unless `dropTombstones` (reads, and compactions that include the oldest run);
 * a winner older than `retentionCutoff` is expired, and so is the whole key.
 *
 * Everything not emitted is counted (and hashed, with `trackSetsums`), so that callers
 * can check setsum(out) + setsum(dropped) = sum of setsum(in). Only input and dropped
 * records are hashed; the output's setsum is their difference, which verification then
 * compares with the setsum of the run as read back.
 */
import { CorruptionError } from './errors.ts';
import { compareKeys } from './keys.ts';
import { Heap } from './heap.ts';
import type { Entry } from './record.ts';
import { Setsum } from './setsum.ts';
import type { Direction } from './blob-reader.ts';

export type Source = AsyncIterable<Entry> | Iterable<Entry>;

export interface MergeOptions {
  direction?: Direction;
  dropTombstones?: boolean;
  /** Records with seq below this are expired: dropped, as is every older version. */
  retentionCutoff?: number;
  /** Hash input and dropped records; 'dropped' hashes only those (the caller knows its input's setsum). */
  trackSetsums?: boolean | 'dropped';
}

export interface RunningTally {
  count: number;
  setsum: Setsum;
}

export interface DroppedTally extends RunningTally {
  shadowed: number;
  tombstones: number;
  expired: number;
}

export interface MergeStats {
  readonly input: RunningTally;
  readonly output: RunningTally;
  readonly dropped: DroppedTally;
}

interface Cursor {
  readonly src: number;
  entry: Entry;
  readonly next: () => IteratorResult<Entry> | Promise<IteratorResult<Entry>>;
}

function iteratorOf(s: Source): () => IteratorResult<Entry> | Promise<IteratorResult<Entry>> {
  if (Symbol.iterator in s) {
    const it = s[Symbol.iterator]();
    return () => it.next();
  }
  const it = s[Symbol.asyncIterator]();
  return () => it.next();
}

export class MergeIterator implements AsyncIterable<Entry> {
  private readonly input: RunningTally = { count: 0, setsum: new Setsum() };
  private readonly dropped: DroppedTally = { count: 0, setsum: new Setsum(), shadowed: 0, tombstones: 0, expired: 0 };
  private outputCount = 0;
  private readonly sources: readonly Source[];
  private readonly opts: MergeOptions;
  private started = false;

  constructor(sources: readonly Source[], opts: MergeOptions = {}) {
    this.sources = sources;
    this.opts = opts;
  }

  /** Counts so far; setsums only with `trackSetsums` (the output's is input minus dropped). */
  get stats(): MergeStats {
    return {
      input: this.input,
      output: { count: this.outputCount, setsum: this.input.setsum.clone().subtract(this.dropped.setsum) },
      dropped: this.dropped,
    };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Entry> {
    if (this.started) throw new Error('a MergeIterator can be iterated once');
    this.started = true;
    const sign = this.opts.direction === 'desc' ? -1 : 1;
    const cutoff = this.opts.retentionCutoff ?? -Infinity;
    const hashDropped = Boolean(this.opts.trackSetsums);
    const hash = this.opts.trackSetsums === true;
    const { input, dropped } = this;
    const heap = new Heap<Cursor>((a, b) => {
      const c = compareKeys(a.entry.key, b.entry.key) * sign;
      if (c !== 0) return c < 0;
      if (a.entry.seq !== b.entry.seq) return a.entry.seq > b.entry.seq;
      return a.src < b.src;
    });

    const see = (e: Entry): void => {
      input.count++;
      if (hash) input.setsum.insertEntry(e);
    };
    const drop = (e: Entry, why: 'shadowed' | 'tombstones' | 'expired'): void => {
      dropped.count++;
      dropped[why]++;
      if (hashDropped) dropped.setsum.insertEntry(e);
    };
    /** Advances a cursor; false when its source is exhausted. Checks the source's order. */
    const advance = async (c: Cursor): Promise<boolean> => {
      const r = await c.next();
      if (r.done) return false;
      if (compareKeys(r.value.key, c.entry.key) * sign <= 0) {
        throw new CorruptionError(`merge source ${c.src}`, undefined, `not strictly ordered (${this.opts.direction ?? 'asc'})`, '');
      }
      c.entry = r.value;
      see(r.value);
      return true;
    };

    for (let i = 0; i < this.sources.length; i++) {
      const next = iteratorOf(this.sources[i]!);
      const r = await next();
      if (r.done) continue;
      see(r.value);
      heap.push({ src: i, entry: r.value, next });
    }

    while (heap.size > 0) {
      const top = heap.peek()!;
      const winner = top.entry;
      if (await advance(top)) heap.replaceTop(top);
      else heap.pop();
      // Every other version of this key is older: shadowed.
      while (heap.size > 0 && heap.peek()!.entry.key.equals(winner.key)) {
        const c = heap.peek()!;
        drop(c.entry, 'shadowed');
        if (await advance(c)) heap.replaceTop(c);
        else heap.pop();
      }
      if (winner.seq < cutoff) {
        drop(winner, 'expired');
      } else if (winner.value === null && this.opts.dropTombstones) {
        drop(winner, 'tombstones');
      } else {
        this.outputCount++;
        yield winner;
      }
    }
  }
}

/** Convenience: merge and collect (tests, small inputs). */
export async function mergeAll(sources: readonly Source[], opts: MergeOptions = {}): Promise<{ entries: Entry[]; stats: MergeStats }> {
  const m = new MergeIterator(sources, opts);
  const entries: Entry[] = [];
  for await (const e of m) entries.push(e);
  return { entries, stats: m.stats };
}

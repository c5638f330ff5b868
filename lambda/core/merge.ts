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
import { batchesOf, isBatched, type Batched, type Source } from './source.ts';

export type { Source } from './source.ts';

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

/**
 * A source's place: its current record, within the batch it came in. A source not read yet
 * (`more` undefined) stands in the heap at its bound, as a record that sorts before any real
 * one of that key; it is read when it reaches the top.
 */
interface Cursor {
  readonly src: number;
  entry: Entry;
  batch: readonly Entry[];
  pos: number;
  more: AsyncIterator<readonly Entry[]> | undefined;
}

/** Records a merge output batch holds at most. */
const OUTPUT_BATCH = 256;

export class MergeIterator implements AsyncIterable<Entry>, Batched {
  private readonly input: RunningTally = { count: 0, setsum: new Setsum() };
  private readonly dropped: DroppedTally = { count: 0, setsum: new Setsum(), shadowed: 0, tombstones: 0, expired: 0 };
  private outputCount = 0;
  private readonly sources: readonly Source[];
  private readonly opts: MergeOptions;
  private readonly sign: number;
  private readonly cutoff: number;
  private readonly hashInput: boolean;
  private readonly hashDropped: boolean;
  private readonly heap: Heap<Cursor>;
  private started = false;
  /** The winner of the key being settled, while older versions of it are still being dropped. */
  private winner: Entry | undefined;

  constructor(sources: readonly Source[], opts: MergeOptions = {}) {
    this.sources = sources;
    this.opts = opts;
    this.sign = opts.direction === 'desc' ? -1 : 1;
    this.cutoff = opts.retentionCutoff ?? -Infinity;
    this.hashDropped = Boolean(opts.trackSetsums);
    this.hashInput = opts.trackSetsums === true;
    const sign = this.sign;
    this.heap = new Heap<Cursor>((a, b) => {
      const c = compareKeys(a.entry.key, b.entry.key) * sign;
      if (c !== 0) return c < 0;
      if (a.entry.seq !== b.entry.seq) return a.entry.seq > b.entry.seq;
      return a.src < b.src;
    });
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
    await this.start();
    for (;;) {
      let r = this.pull();
      while (r instanceof Promise) {
        await r;
        r = this.pull();
      }
      if (r === null) return;
      yield r;
    }
  }

  /** The output in batches: what a writer takes, without an await per record. */
  async *batches(): AsyncGenerator<readonly Entry[]> {
    await this.start();
    let out: Entry[] = [];
    for (;;) {
      let r = this.pull();
      while (r instanceof Promise) {
        await r;
        r = this.pull();
      }
      if (r === null) break;
      out.push(r);
      if (out.length >= OUTPUT_BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }

  private see(e: Entry): void {
    this.input.count++;
    if (this.hashInput) this.input.setsum.insertEntry(e);
  }

  private drop(e: Entry, why: 'shadowed' | 'tombstones' | 'expired'): void {
    this.dropped.count++;
    this.dropped[why]++;
    if (this.hashDropped) this.dropped.setsum.insertEntry(e);
  }

  private async start(): Promise<void> {
    if (this.started) throw new Error('a MergeIterator can be iterated once');
    this.started = true;
    const cursors = await Promise.all(
      this.sources.map(async (source, src): Promise<Cursor | undefined> => {
        if (isBatched(source) && source.bound) {
          const bound = await source.bound();
          return bound === undefined ? undefined : { src, entry: { key: bound, seq: Infinity, value: null }, batch: [], pos: 0, more: undefined };
        }
        const more = batchesOf(source)[Symbol.asyncIterator]();
        const r = await more.next();
        if (r.done) return undefined;
        const c: Cursor = { src, entry: r.value[0]!, batch: r.value, pos: 0, more };
        this.see(c.entry);
        return c;
      }),
    );
    for (const c of cursors) if (c) this.heap.push(c);
  }

  /** Reads a source that stood at its bound, now at the top of the heap: its first batch replaces the bound (no record may come before it). */
  private async open(c: Cursor): Promise<void> {
    c.more = batchesOf(this.sources[c.src]!)[Symbol.asyncIterator]();
    this.enter(c, await c.more.next(), 'after its bound');
  }

  /**
   * Puts a source's next batch under its cursor and restores the heap, or retires the cursor
   * at the source's end. The batch must follow the cursor's record: strictly, or (after a
   * bound) at it or later.
   */
  private enter(c: Cursor, r: IteratorResult<readonly Entry[]>, follows: 'strictly' | 'after its bound'): void {
    if (r.done) {
      this.heap.pop();
      return;
    }
    const order = compareKeys(r.value[0]!.key, c.entry.key) * this.sign;
    if (follows === 'strictly' ? order <= 0 : order < 0) throw this.outOfOrder(c, follows);
    c.batch = r.value;
    c.pos = 0;
    c.entry = r.value[0]!;
    this.see(c.entry);
    this.heap.replaceTop(c);
  }

  private outOfOrder(c: Cursor, follows: 'strictly' | 'after its bound'): CorruptionError {
    const why = follows === 'strictly' ? `not strictly ordered (${this.opts.direction ?? 'asc'})` : 'a record before the bound its source gave';
    return new CorruptionError(`merge source ${c.src}`, undefined, why, '');
  }

  /**
   * Moves a cursor to its next record and restores the heap. Synchronous within a batch (each
   * record strictly after the one before); a promise when the next batch must be awaited.
   */
  private advance(c: Cursor): void | Promise<void> {
    const pos = c.pos + 1;
    if (pos < c.batch.length) {
      if (compareKeys(c.batch[pos]!.key, c.batch[pos - 1]!.key) * this.sign <= 0) throw this.outOfOrder(c, 'strictly');
      c.pos = pos;
      c.entry = c.batch[pos]!;
      this.see(c.entry);
      this.heap.replaceTop(c);
      return;
    }
    return c.more!.next().then((r) => this.enter(c, r, 'strictly'));
  }

  /**
   * The next record out: an entry, null at the end, or a promise to await before pulling
   * again (a source's next batch). Each key's winner is the top of the heap; every other
   * version of it is older and shadowed.
   */
  private pull(): Entry | null | Promise<void> {
    const heap = this.heap;
    for (;;) {
      if (this.winner === undefined) {
        if (heap.size === 0) return null;
        const top = heap.peek()!;
        if (!top.more) return this.open(top);
        this.winner = top.entry;
        const wait = this.advance(top);
        if (wait) return wait;
      }
      const key = this.winner.key;
      while (heap.size > 0 && heap.peek()!.entry.key.equals(key)) {
        const c = heap.peek()!;
        // A bound sorts before every record of its key, so none can stand here.
        if (!c.more) throw new Error('an unread source at the key of a winner');
        this.drop(c.entry, 'shadowed');
        const wait = this.advance(c);
        if (wait) return wait;
      }
      const w = this.winner;
      this.winner = undefined;
      if (w.seq < this.cutoff) {
        this.drop(w, 'expired');
      } else if (w.value === null && this.opts.dropTombstones) {
        this.drop(w, 'tombstones');
      } else {
        this.outputCount++;
        return w;
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

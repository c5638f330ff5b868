/**
 * What a run, a key range of one or a blob holds, added up in one place: its count, setsum,
 * first and last key, seq bounds and tombstones. Records are added in key order as they are
 * written or read back (the blob writer, verification, recovery), and the stats of what comes
 * next in key order are appended (a blob's to its run's, as the cold writer does).
 */
import type { Entry } from './record.ts';
import { Setsum } from './setsum.ts';

/** Stats to append: what a finished blob or another RunStats has. */
export interface StatsPart {
  readonly count: number;
  readonly setsum: Setsum;
  readonly minKey?: Buffer | undefined;
  readonly maxKey?: Buffer | undefined;
  readonly minSeq: number;
  readonly maxSeq: number;
  readonly tombstones?: number;
  readonly tombMinSeq?: number;
  readonly tombMaxSeq?: number;
}

export class RunStats implements StatsPart {
  count = 0;
  readonly setsum = new Setsum();
  minKey: Buffer | undefined;
  maxKey: Buffer | undefined;
  minSeq = Infinity;
  maxSeq = -Infinity;
  tombstones = 0;
  tombMinSeq = Infinity;
  tombMaxSeq = -Infinity;
  /** Off only where nobody needs the setsum (spills). */
  private readonly hash: boolean;

  constructor(hash = true) {
    this.hash = hash;
  }

  /** A record, after every record before it in key order. */
  add(e: Entry): void {
    this.count++;
    if (this.hash) this.setsum.insertEntry(e);
    this.minKey ??= e.key;
    this.maxKey = e.key;
    if (e.seq < this.minSeq) this.minSeq = e.seq;
    if (e.seq > this.maxSeq) this.maxSeq = e.seq;
    if (e.value === null) {
      this.tombstones++;
      if (e.seq < this.tombMinSeq) this.tombMinSeq = e.seq;
      if (e.seq > this.tombMaxSeq) this.tombMaxSeq = e.seq;
    }
  }

  /** What follows in key order (a later blob, a later range). */
  append(o: StatsPart): void {
    if (o.count === 0) return;
    this.count += o.count;
    this.setsum.add(o.setsum);
    this.minKey ??= o.minKey;
    this.maxKey = o.maxKey ?? this.maxKey;
    this.minSeq = Math.min(this.minSeq, o.minSeq);
    this.maxSeq = Math.max(this.maxSeq, o.maxSeq);
    if (o.tombstones) {
      this.tombstones += o.tombstones;
      this.tombMinSeq = Math.min(this.tombMinSeq, o.tombMinSeq!);
      this.tombMaxSeq = Math.max(this.tombMaxSeq, o.tombMaxSeq!);
    }
  }

  /** The seq bounds as a manifest entry and a job record keep them: 0 and 0 when empty. */
  get seqBounds(): { minSeq: number; maxSeq: number } {
    return this.count > 0 ? { minSeq: this.minSeq, maxSeq: this.maxSeq } : { minSeq: 0, maxSeq: 0 };
  }
}

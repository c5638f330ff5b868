/**
 * The merge of a rewrite: one run's records, in order, less those a newer version shadows
 * (read from the runs that may hold one), those past retention, and (when nothing older can
 * hold their keys) its tombstones. Only the target's records are written or counted: the
 * newer runs are read, never rewritten, so verification checks setsum(target) =
 * setsum(output) + setsum(dropped) as it does a compaction's.
 */
import { compareKeys } from './keys.ts';
import type { DroppedTally } from './merge.ts';
import type { Entry } from './record.ts';
import { Setsum } from './setsum.ts';
import { batchesOf, type Batched, type Source } from './source.ts';

export interface ShadowFilterOptions {
  /** Seq below which records are expired. */
  readonly retentionCutoff?: number;
  readonly dropTombstones: boolean;
}

export class ShadowFilter implements Batched {
  private readonly target: Source;
  private readonly newer: Source;
  private readonly cutoff: number;
  private readonly dropTombstones: boolean;
  private readonly droppedTally: DroppedTally = { count: 0, setsum: new Setsum(), shadowed: 0, tombstones: 0, expired: 0 };

  /** `newer`: the newest version of each key among the runs that may shadow the target (a merge of them, tombstones kept). */
  constructor(target: Source, newer: Source, opts: ShadowFilterOptions) {
    this.target = target;
    this.newer = newer;
    this.cutoff = opts.retentionCutoff ?? -Infinity;
    this.dropTombstones = opts.dropTombstones;
  }

  /** What was left out of the target's records, hashed (the run writer's and verification's contract). */
  get stats(): { readonly dropped: DroppedTally } {
    return { dropped: this.droppedTally };
  }

  private drop(e: Entry, why: 'shadowed' | 'tombstones' | 'expired'): void {
    this.droppedTally.count++;
    this.droppedTally[why]++;
    this.droppedTally.setsum.insertEntry(e);
  }

  async *batches(): AsyncGenerator<readonly Entry[]> {
    const newer = batchesOf(this.newer)[Symbol.asyncIterator]();
    let batch: readonly Entry[] = [];
    let at = 0;
    let spent = false;
    for await (const records of batchesOf(this.target)) {
      const out: Entry[] = [];
      for (const r of records) {
        // The newer side's first key at or after r's: an await only when its batch is used up.
        for (;;) {
          if (at < batch.length) {
            if (compareKeys(batch[at]!.key, r.key) < 0) {
              at++;
              continue;
            }
            break;
          }
          if (spent) break;
          const next = await newer.next();
          if (next.done) {
            spent = true;
            break;
          }
          batch = next.value;
          at = 0;
        }
        const shadow = at < batch.length && batch[at]!.key.equals(r.key) ? batch[at] : undefined;
        if (shadow && shadow.seq > r.seq) this.drop(r, 'shadowed');
        else if (r.seq < this.cutoff) this.drop(r, 'expired');
        else if (r.value === null && this.dropTombstones) this.drop(r, 'tombstones');
        else out.push(r);
      }
      if (out.length > 0) yield out;
    }
  }
}

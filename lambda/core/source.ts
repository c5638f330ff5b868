/**
 * Sorted records as a merge or a writer takes them. A source that can hand over a block's
 * records at once is `Batched`: the consumer then steps through an array and awaits once per
 * block, not once per record (an await per record cost a compaction about a third of its time).
 */
import type { Entry } from './record.ts';

export interface Batched {
  /** The records in order, a batch at a time (never an empty batch); iterated once. */
  batches(): AsyncIterable<readonly Entry[]>;
  /**
   * A key no record comes before (after, descending), known cheaply; undefined when there is
   * no record. A merge orders the source by it and starts reading only when it is due.
   */
  bound?(): Promise<Buffer | undefined>;
}

export type Source = AsyncIterable<Entry> | Iterable<Entry> | Batched;

export function isBatched(s: Source): s is Batched {
  return typeof (s as Partial<Batched>).batches === 'function';
}

/** Records per batch cut from a source that yields records one by one. */
const CHUNK = 256;

/** Any source as batches: a Batched one as it is, an array whole, anything else cut into chunks. */
export async function* batchesOf(s: Source): AsyncGenerator<readonly Entry[]> {
  if (isBatched(s)) {
    for await (const b of s.batches()) if (b.length > 0) yield b;
    return;
  }
  if (Array.isArray(s)) {
    if (s.length > 0) yield s as readonly Entry[];
    return;
  }
  let chunk: Entry[] = [];
  if (Symbol.iterator in s) {
    for (const e of s) {
      chunk.push(e);
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = [];
      }
    }
  } else {
    // Records that arrive one by one (a DynamoDB query) are passed on one by one, so that a
    // read taking a few records does not pull more pages than it needs.
    for await (const e of s) yield [e];
  }
  if (chunk.length > 0) yield chunk;
}

/** Batches that also iterate as records (for callers that want one record at a time). */
export class BatchStream implements AsyncIterable<Entry>, Batched {
  private readonly make: () => AsyncIterable<readonly Entry[]>;

  constructor(make: () => AsyncIterable<readonly Entry[]>) {
    this.make = make;
  }

  batches(): AsyncIterable<readonly Entry[]> {
    return this.make();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Entry> {
    for await (const b of this.make()) yield* b;
  }
}

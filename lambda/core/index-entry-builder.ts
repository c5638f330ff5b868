/**
 * Builds a blob's sparse-index entries from its blocks as they are cut: the blob writer feeds
 * it while writing, and recovery (lambda/recover/) feeds it the blocks of a blob read back
 * from S3, so an index rebuilt from the bucket is the index the writer made.
 */
import { keyHash, type KeyHash, BloomFilter } from './bloom.ts';
import type { BlockHandle } from './blob-format.ts';
import { MAX_PARTITION_FENCES, type IndexEntry } from './sparse-index.ts';

export interface IndexEntryOptions {
  readonly indexEntryMaxBlocks: number;
  readonly indexEntryMaxRecords: number;
  readonly bloomBitsPerKey: number;
}

export class IndexEntryBuilder {
  private readonly opts: IndexEntryOptions;
  private entries: IndexEntry[] = [];
  private handles: BlockHandle[] = [];
  private hashes: KeyHash[] = [];
  private records = 0;
  private bytes = 0;
  private lastKey: Buffer | undefined;
  /** The partition prefix (`pk 0x00`) last added to this entry's filter. */
  private prefix: Buffer | undefined;
  /** Each partition's first and last key in this entry, until there are too many to keep. */
  private fences: { first: Buffer; last: Buffer }[] | undefined = [];

  constructor(opts: IndexEntryOptions) {
    this.opts = opts;
  }

  /** A record's key, in key order, before the block holding it is added. */
  addKey(key: Buffer): void {
    this.hashes.push(keyHash(key));
    this.records++;
    this.lastKey = key;
    const end = key.indexOf(0) + 1;
    const last = this.prefix;
    if (last && last.length === end && key.compare(last, 0, end, 0, end) === 0) {
      if (this.fences) this.fences[this.fences.length - 1]!.last = key;
      return;
    }
    this.prefix = key.subarray(0, end);
    this.hashes.push(keyHash(this.prefix));
    if (this.fences && this.fences.length < MAX_PARTITION_FENCES) this.fences.push({ first: key, last: key });
    else this.fences = undefined;
  }

  /** The block whose keys were just added; ends the entry when it is full. */
  addBlock(h: BlockHandle, blob: string): void {
    this.handles.push(h);
    this.bytes += h.length;
    if (this.handles.length >= this.opts.indexEntryMaxBlocks || this.records >= this.opts.indexEntryMaxRecords) this.finishEntry(blob);
  }

  /** Ends the blob: its last entry, then every entry of the blob, handed over. */
  finishBlob(blob: string): IndexEntry[] {
    this.finishEntry(blob);
    const out = this.entries;
    this.entries = [];
    return out;
  }

  /** The last key added (the blob's last key once its blocks are in). */
  get last(): Buffer | undefined {
    return this.lastKey;
  }

  private finishEntry(blob: string): void {
    if (this.handles.length === 0) return;
    this.entries.push({
      blob,
      firstKey: this.handles[0]!.firstKey,
      lastKey: this.lastKey!,
      count: this.records,
      bytes: this.bytes,
      blocks: this.handles,
      bloom: BloomFilter.fromHashes(this.hashes, this.opts.bloomBitsPerKey, true),
      // Copies: the keys may be views of a decoded block the entry should not keep alive.
      ...(this.fences ? { partitions: this.fences.map((f) => ({ first: Buffer.from(f.first), last: Buffer.from(f.last) })) } : {}),
    });
    this.handles = [];
    this.hashes = [];
    this.records = 0;
    this.bytes = 0;
    this.prefix = undefined;
    this.fences = [];
  }
}

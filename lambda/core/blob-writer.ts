/**
 * Streaming blob writer: records in strictly increasing key order go in; finished blobs
 * (bytes, footer facts and sparse-index entries) come out, each about `blobBytes`.
 * Pure and synchronous: the caller uploads what it returns, so memory stays at one blob.
 */
import { crc32 as crc } from 'node:zlib';
import { BlockBuilder } from './block.ts';
import { compressBlock, encodeFooter, FORMAT_VERSION, type BlockHandle } from './blob-format.ts';
import { ValidationError } from './errors.ts';
import { compareKeys } from './keys.ts';
import { FORMAT_DEFAULTS } from './limits.ts';
import type { Entry } from './record.ts';
import { RunStats } from './run-stats.ts';
import type { Setsum } from './setsum.ts';
import { IndexEntryBuilder } from './index-entry-builder.ts';
import type { IndexEntry } from './sparse-index.ts';

export interface BlobWriterOptions {
  blockBytes: number;
  blobBytes: number;
  indexEntryMaxBlocks: number;
  indexEntryMaxRecords: number;
  bloomBitsPerKey: number;
  zstdLevel: number;
  /** Also hash every record (off only where the caller does not need the setsum). */
  setsum: boolean;
}

export interface FinishedBlob {
  /** Ordinal of the blob within this writer, from 0. */
  readonly ordinal: number;
  readonly name: string;
  readonly bytes: Buffer;
  readonly count: number;
  readonly setsum: Setsum;
  readonly firstKey: Buffer;
  readonly lastKey: Buffer;
  readonly minSeq: number;
  readonly maxSeq: number;
  readonly rawBytes: number;
  readonly index: readonly IndexEntry[];
  /** What it holds, added up (core/run-stats.ts): a run's stats append its blobs'. */
  readonly stats: RunStats;
}

export class BlobWriter {
  private readonly opts: BlobWriterOptions;
  private readonly nameOf: (ordinal: number) => string;
  private readonly block: BlockBuilder;
  private ordinal = 0;
  private lastKey: Buffer | undefined;

  // The blob being built.
  private chunks: Buffer[] = [];
  private offset = 0;
  private handles: BlockHandle[] = [];
  private stats: RunStats;
  private rawBytes = 0;

  // The blob's index entries, built as its blocks are cut.
  private readonly entries: IndexEntryBuilder;

  constructor(nameOf: (ordinal: number) => string, opts: Partial<BlobWriterOptions> = {}) {
    this.opts = { ...FORMAT_DEFAULTS, setsum: true, ...opts };
    this.stats = new RunStats(this.opts.setsum);
    this.nameOf = nameOf;
    this.block = new BlockBuilder(this.opts.blockBytes);
    this.entries = new IndexEntryBuilder(this.opts);
  }

  /** Adds a record; returns a blob if this record's block completed one. */
  add(e: Entry): FinishedBlob | undefined {
    if (this.lastKey && compareKeys(this.lastKey, e.key) >= 0) {
      throw new ValidationError('OutOfOrder', 'blob writer input must be in strictly increasing key order');
    }
    let done: FinishedBlob | undefined;
    if (this.block.count > 0 && this.block.sizeWith(e) > this.opts.blockBytes) {
      this.flushBlock();
      if (this.offset >= this.opts.blobBytes) done = this.finishBlob();
    }
    this.block.add(e);
    this.lastKey = e.key;
    this.entries.addKey(e.key);
    this.stats.add(e);
    return done;
  }

  /** Flushes the last block and blob; undefined if nothing is pending. */
  finish(): FinishedBlob | undefined {
    if (this.block.count > 0) this.flushBlock();
    return this.handles.length > 0 ? this.finishBlob() : undefined;
  }

  private flushBlock(): void {
    const firstKey = this.block.firstKey!;
    const count = this.block.count;
    const raw = this.block.finish();
    this.rawBytes += raw.length;
    const compressed = compressBlock(raw, this.opts.zstdLevel);
    const h: BlockHandle = { firstKey, offset: this.offset, length: compressed.length, count, crc: crc(compressed) };
    this.chunks.push(compressed);
    this.offset += compressed.length;
    this.handles.push(h);
    this.entries.addBlock(h, this.nameOf(this.ordinal));
  }

  private finishBlob(): FinishedBlob {
    const index = this.entries.finishBlob(this.nameOf(this.ordinal));
    const footer = encodeFooter({
      version: FORMAT_VERSION,
      count: this.stats.count,
      setsum: this.stats.setsum,
      firstKey: this.handles[0]!.firstKey,
      lastKey: index[index.length - 1]!.lastKey,
      blocks: this.handles,
    });
    const out: FinishedBlob = {
      ordinal: this.ordinal,
      name: this.nameOf(this.ordinal),
      bytes: Buffer.concat([...this.chunks, footer]),
      count: this.stats.count,
      setsum: this.stats.setsum,
      firstKey: this.handles[0]!.firstKey,
      lastKey: index[index.length - 1]!.lastKey,
      minSeq: this.stats.minSeq,
      maxSeq: this.stats.maxSeq,
      rawBytes: this.rawBytes,
      index,
      stats: this.stats,
    };
    this.ordinal++;
    this.chunks = [];
    this.offset = 0;
    this.handles = [];
    this.stats = new RunStats(this.opts.setsum);
    this.rawBytes = 0;
    return out;
  }
}

/** Every blob of a sorted, in-memory set of records (tests and benchmarks; offload streams instead). */
export function writeBlobs(nameOf: (ordinal: number) => string, entries: Iterable<Entry>, opts: Partial<BlobWriterOptions> = {}): FinishedBlob[] {
  const w = new BlobWriter(nameOf, opts);
  const out: FinishedBlob[] = [];
  for (const e of entries) {
    const b = w.add(e);
    if (b) out.push(b);
  }
  const last = w.finish();
  if (last) out.push(last);
  return out;
}

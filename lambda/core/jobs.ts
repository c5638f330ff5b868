/**
 * The lifecycle's and the import's jobs as they are stored (docs/design.md §5): a job's spec, written
 * once by its first prepare, and one record per task of what that task did (a scanned
 * segment, a parsed chunk, a merged range), overwritten by a re-run. Step Functions carries
 * only a job's id and the indices of its tasks, so a state stays small at any period size;
 * whoever needs the lists (merge, verify, finish) reads them here.
 */
import type { ExportRangeRecord, ExportVerifyRecord } from './export-format.ts';
import { chunkFiles, type ImportCounts, type InvalidPolicy } from './import-format.ts';
import { periodStartOf } from './schema.ts';
import type { Tally } from './tally.ts';

/** A sealed period to offload: its hot run and table, and the run it becomes. */
export interface PeriodToOffload {
  readonly hotRunId: string;
  readonly table: string;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly runId: string;
}

/**
 * A job's key ranges are records of their own (`range#<set>#<index>`), so a spec stays one
 * small item however many ranges its job has (a compaction of a large level has a million);
 * a task reads its own range, a scan or a parse all of them. The set tells one prepare
 * attempt's ranges from another's.
 */
export interface JobRanges {
  readonly rangeCount: number;
  readonly rangeSet: string;
  /** Partition keys the key ranges are spread over (`rangeShards`); absent (jobs of earlier releases): one, the spec's. */
  readonly rangeShards?: number;
}

/** Most partition keys a job's key ranges are spread over. */
export const MAX_RANGE_SHARDS = 64;

/**
 * Partition keys for a job's key range records: one per 250 ranges, up to 64. They are
 * written at once when the job is planned (16 writers of 25-item batches, about 20,000 a
 * second), and one partition key takes at most 1,000 writes a second; spread this way none
 * takes more than half of that (a planning of a million ranges writes 312 a second to each).
 */
export function rangeShards(rangeCount: number): number {
  return Math.min(MAX_RANGE_SHARDS, Math.max(1, Math.ceil(rangeCount / 250)));
}

export interface OffloadJob extends PeriodToOffload, JobRanges {
  readonly totalSegments: number;
  /** The table's raw bytes as the planner estimated them (absent in jobs planned before slices). */
  readonly bytes?: number;
  /** Read units a second each segment's scan (and re-scan) asks of the table (core/fan-out.ts, scanPlan); absent in jobs planned before scans were paced. */
  readonly readUnitsPerSegment?: number;
}

/** A compaction: the policy's choice, with the key ranges its merge is split into. */
export interface CompactionJob extends JobRanges {
  /** A merge of the inputs, or a rewrite of one input against `shadows` (absent: a merge). */
  readonly kind?: 'merge' | 'rewrite';
  /** The strategy that chose it (absent: the logarithmic merge). */
  readonly strategy?: string;
  /** The output's purgedAt (core/compaction.ts). */
  readonly purgedAt?: number;
  /** When the purge clocks of the inputs' tombstones started: the output keeps what it keeps of them. */
  readonly deleted?: { readonly from: number; readonly to: number };
  readonly outputId: string;
  readonly level: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly dropTombstones: boolean;
  /** Input run ids, newest first (the merge's tie-break order). */
  readonly inputs: string[];
  /** Their total, from the manifest: what verification checks against. */
  readonly inputTotal: Tally;
  /** Their stored bytes: what the strategy is charged (absent in jobs planned before strategies were charged). */
  readonly inputBytes?: number;
  readonly retentionCutoff?: number;
}

export interface ImportChunk {
  readonly index: number;
  readonly file: number;
  readonly start: number;
  readonly end: number;
}

export interface ImportJob extends JobRanges {
  readonly importId: string;
  readonly runId: string;
  readonly onInvalid: InvalidPolicy;
  readonly files: { readonly key: string; readonly size: number }[];
  /** Files are parsed in chunks of this many bytes: the chunks follow from the files' sizes (importChunks). */
  readonly chunkBytes: number;
  readonly chunkCount: number;
}

/** An import's chunks, from its files' sizes: the same list at every call, never stored. */
export const importChunks = (job: Pick<ImportJob, 'files' | 'chunkBytes'>): ImportChunk[] =>
  chunkFiles(
    job.files.map((f) => f.size),
    job.chunkBytes,
  );

/** When a task recorded (ms): work recorded before the run last failed verification is done again. Absent in records of earlier releases. */
export interface Stamped {
  readonly at?: number;
}

/** What a scan of one table segment read, and how many spills it wrote per key range. */
export interface ScanRecord extends Tally, Stamped {
  readonly spills: number[];
  /** Pages the scan asked for again after throttling (absent: none). */
  readonly throttled?: number;
}

/** An independent re-scan of one segment of an offloaded table. */
export interface RescanRecord extends Tally, Stamped {}

/**
 * Where a scan (or re-scan) of one segment was when it last recorded, with what it had read up
 * to there (and, a scan, the spills holding it): a task run again goes on from there instead of
 * starting over.
 */
export interface SegmentProgress extends Tally, Stamped {
  /** The paged read's position (the store's encoding of a LastEvaluatedKey). */
  readonly position: string;
  readonly spills?: number[];
  readonly throttled?: number;
}

/** A scan's (and re-scan's) pace as its job planned it; none for a job planned before scans were paced. */
export const scanPaceOf = (job: Pick<OffloadJob, 'readUnitsPerSegment'>): { readUnitsPerSecond?: number } =>
  job.readUnitsPerSegment !== undefined ? { readUnitsPerSecond: job.readUnitsPerSegment } : {};

/** What parsing one import chunk found, and how many spills it wrote per key range. */
export interface ParseRecord extends Tally {
  /** Lines in the chunk's span, blank ones included (for file line numbers). */
  readonly lines: number;
  readonly nonBlank: number;
  readonly invalid: number;
  /** Chunk-local line numbers. */
  readonly errors: { line: number; reason: string }[];
  /** Versions of one key dropped inside this chunk (the merge drops the rest). */
  readonly duplicates: Tally;
  readonly spills: number[];
}

/** What merging one key range wrote, and (compaction, import) what it dropped. */
export interface MergeRecord extends Tally, Stamped {
  readonly bytes: number;
  readonly blobs: number;
  readonly dropped: Tally;
  /** Smallest and largest seq written (0 when empty). */
  readonly minSeq: number;
  readonly maxSeq: number;
}

/** What verification read back of one key range of a new run, and what was wrong with it. */
export interface VerifyRecord extends Tally {
  readonly bytes: number;
  readonly blobs: number;
  /** First and last key read (base64), absent when the range is empty. */
  readonly minKey?: string;
  readonly maxKey?: string;
  readonly minSeq: number;
  readonly maxSeq: number;
  /** Tombstones read back, and their seqs' span (absent: none). */
  readonly tombstones?: { readonly count: number; readonly minSeq: number; readonly maxSeq: number };
  readonly problems: string[];
  /** When it was read back (ms): a range read back before the last failed verification is read again. */
  readonly at: number;
}

/** The last time adding a job's ranges up failed verification, and why. */
export interface FailureRecord {
  readonly at: number;
  readonly problems: string[];
}

/** Each kind of task record, by the name it is stored under. */
export interface JobRecords {
  readonly scan: ScanRecord;
  readonly parse: ParseRecord;
  readonly merge: MergeRecord;
  readonly verify: VerifyRecord;
  readonly rescan: RescanRecord;
  /** Where a scan or a re-scan of a segment was (SegmentProgress). */
  readonly scanProgress: SegmentProgress;
  readonly rescanProgress: SegmentProgress;
  /** Index 0: the last failed verification of the whole run. */
  readonly failure: FailureRecord;
  /** An export's key range: its objects and tallies. */
  readonly export: ExportRangeRecord;
  /** An export's key range read back. */
  readonly exportVerify: ExportVerifyRecord;
}

/** An export: the runs of its checkpoint (offloaded hot runs replaced by their cold runs) and its key bounds. */
export interface ExportJob extends JobRanges {
  readonly exportId: string;
  /** Run ids, newest first (the merge's tie-break order). */
  readonly runs: string[];
  /** Their total, from the manifest: what the ranges' inputs must add up to. */
  readonly inputTotal: Tally;
  readonly retentionCutoff?: number;
}
export type JobRecordKind = keyof JobRecords;

/**
 * The key ranges of a compaction still to merge and verify: those never read back, read back
 * with problems, or read back before the run last failed verification as a whole (the ranges
 * are all done again then, as the failure may lie in any of them).
 */
export function rangesToDo(rangeCount: number, verified: ReadonlyMap<number, VerifyRecord>, failure: FailureRecord | undefined): number[] {
  const out: number[] = [];
  for (let i = 0; i < rangeCount; i++) {
    const v = verified.get(i);
    if (!v || v.problems.length > 0 || (failure !== undefined && v.at <= failure.at)) out.push(i);
  }
  return out;
}

/** The span of periods an import's versions fall in: where its run sorts among runs. */
export function importSpan(merged: readonly MergeRecord[], periodMs: number): { periodStart: number; periodEnd: number } {
  const nonEmpty = merged.filter((m) => m.count > 0);
  if (nonEmpty.length === 0) return { periodStart: 0, periodEnd: periodMs };
  const minMs = Math.floor(Math.min(...nonEmpty.map((m) => m.minSeq)) / 1000);
  const maxMs = Math.floor(Math.max(...nonEmpty.map((m) => m.maxSeq)) / 1000);
  return { periodStart: periodStartOf(minMs, periodMs), periodEnd: periodStartOf(maxMs, periodMs) + periodMs };
}

export function importCounts(parsed: readonly ParseRecord[], merged: readonly MergeRecord[]): ImportCounts {
  const valid = parsed.reduce((a, p) => a + p.count, 0);
  const invalid = parsed.reduce((a, p) => a + p.invalid, 0);
  const duplicates = parsed.reduce((a, p) => a + p.duplicates.count, 0) + merged.reduce((a, m) => a + m.dropped.count, 0);
  return { lines: valid + invalid, valid, invalid, duplicates, records: merged.reduce((a, m) => a + m.count, 0) };
}

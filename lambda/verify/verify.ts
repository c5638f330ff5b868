/**
 * Verification (docs/design.md §5, §6): before a new run becomes visible, read it back from S3 and
 * the index table, independently of the writer, and prove it is the run it should be. It is
 * partitioned as the writing was, so no task grows with the run: each key range is read back
 * by its own task (keys strictly increasing and inside the range, blobs matching their
 * footers, index items matching the blobs), an offloaded table is re-scanned segment by
 * segment, and a last task adds the ranges up and compares count and setsum with what the
 * sources said (scan tallies for an offload, inputs minus dropped for a compaction, parsed
 * minus duplicates for an import) and with the re-scan.
 */
import { readFooter, scanBlocks } from '../core/blob-reader.ts';
import type { BlockHandle } from '../core/blob-format.ts';
import { AccessDeniedError, AlkiError, MissingDataError, ThrottledError, UnavailableError } from '../core/errors.ts';
import type { VerifyRecord } from '../core/jobs.ts';
import { sumTallies, type Tally } from '../core/tally.ts';
import { compareKeys } from '../core/keys.ts';
import type { RunMeta } from '../core/manifest.ts';
import { keyRangeOfSpec, type RangeSpec } from '../core/key-ranges.ts';
import { OBJECTS } from '../core/schema.ts';
import { RunStats } from '../core/run-stats.ts';
import type { IndexEntry } from '../core/sparse-index.ts';
import type { Stores } from '../store/stores.ts';

/** Step Functions sees the error's name: the lifecycle's Catch and alarm key on it. */
export class VerificationFailed extends AlkiError {
  readonly problems: string[];
  constructor(runId: string, problems: readonly string[]) {
    super(
      'VerificationFailed',
      `run ${runId} failed verification: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
    );
    this.name = 'VerificationFailed';
    this.problems = problems.slice(0, 20);
  }
}

function sameHandle(a: BlockHandle, b: BlockHandle): boolean {
  return a.firstKey.equals(b.firstKey) && a.offset === b.offset && a.length === b.length && a.count === b.count && a.crc === b.crc;
}

/** The store not answering is not the run failing: the state retries it. Anything else (bytes that do not decode, fail a checksum) is the run's problem. */
function storeTrouble(err: unknown): boolean {
  return err instanceof ThrottledError || err instanceof UnavailableError || err instanceof MissingDataError || err instanceof AccessDeniedError;
}

/** Reads one key range of a run back: its blobs (under the range's prefix) and its index items. */
export async function verifyRange(s: Stores, runId: string, range: RangeSpec, nowMs = Date.now()): Promise<VerifyRecord> {
  const problems: string[] = [];
  const { lo, hi } = keyRangeOfSpec(range);
  const blobs = (await s.bucket.list(OBJECTS.rangeBlobPrefix(runId, range.index))).filter((o) => o.key.endsWith('.blob'));
  const entriesByBlob = new Map<string, IndexEntry[]>();
  for await (const e of s.coldReader.entriesWithin(runId, lo, hi)) entriesByBlob.set(e.blob, [...(entriesByBlob.get(e.blob) ?? []), e]);

  const read = new RunStats();
  let bytes = 0;
  for (const b of blobs) {
    bytes += b.size;
    const src = s.bucket.source(b.key, b.size);
    try {
      const footer = await readFooter(src);
      const blob = new RunStats();
      blocks: for await (const block of scanBlocks(src, footer.blocks).batches()) {
        for (const e of block) {
          const prev = blob.maxKey ?? read.maxKey;
          if (prev && compareKeys(prev, e.key) >= 0) {
            problems.push(`${b.key}: key out of order after the previous record`);
            break blocks;
          }
          if (compareKeys(e.key, lo) < 0 || compareKeys(e.key, hi) >= 0) {
            problems.push(`${b.key}: a key outside range ${range.index}`);
            break blocks;
          }
          blob.add(e);
        }
      }
      if (blob.count !== footer.count) problems.push(`${b.key}: ${blob.count} records, footer says ${footer.count}`);
      if (!blob.setsum.equals(footer.setsum)) problems.push(`${b.key}: setsum differs from its footer`);
      read.append(blob);
      // The index items of this blob, in order, must cover exactly the footer's blocks.
      const entries = (entriesByBlob.get(b.key) ?? []).sort((x, y) => compareKeys(x.firstKey, y.firstKey));
      entriesByBlob.delete(b.key);
      const handles = entries.flatMap((e) => e.blocks);
      if (handles.length !== footer.blocks.length || !handles.every((h, i) => sameHandle(h, footer.blocks[i]!))) {
        problems.push(`${b.key}: index items do not match the blob's blocks`);
      }
      if (entries.reduce((a, e) => a + e.count, 0) !== footer.count) problems.push(`${b.key}: index item counts do not add up to the blob's`);
      if (entries.length > 0 && !entries[entries.length - 1]!.lastKey.equals(footer.lastKey)) problems.push(`${b.key}: last index item ends at the wrong key`);
    } catch (err) {
      if (storeTrouble(err)) throw err;
      problems.push(`${b.key}: ${(err as Error).message}`);
    }
  }
  for (const blob of entriesByBlob.keys()) problems.push(`index items in range ${range.index} point at ${blob}, which is not a blob of that range`);
  return {
    count: read.count,
    setsum: read.setsum.hexdigest(),
    bytes,
    blobs: blobs.length,
    ...(read.minKey ? { minKey: read.minKey.toString('base64'), maxKey: read.maxKey!.toString('base64') } : {}),
    ...read.seqBounds,
    ...(read.tombstones > 0 ? { tombstones: { count: read.tombstones, minSeq: read.tombMinSeq, maxSeq: read.tombMaxSeq } } : {}),
    problems,
    at: nowMs,
  };
}

export interface VerifyRequest {
  readonly runId: string;
  readonly level: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  /** What the run must hold: the sum of `plus` minus the sum of `minus`. */
  readonly plus: readonly Tally[];
  readonly minus?: readonly Tally[];
  /** What each range read back, in range order. */
  readonly ranges: readonly VerifyRecord[];
  /** Offload: the sealed table, scanned again independently, by segment. */
  readonly rescan?: { readonly table: string; readonly segments: readonly Tally[] };
  /**
   * When the purge clocks of the run's tombstones started: absent, their seqs' times (an
   * offload's deletes); an import's start now; a compaction's are its inputs'.
   */
  readonly deleted?: { readonly from: number; readonly to: number };
  /** The run's purgedAt and strategy (a compaction's, from its job). */
  readonly purgedAt?: number;
  readonly madeBy?: string;
}

/** Adds the ranges up: the run's manifest entry if everything agrees; VerificationFailed otherwise. */
export function verifiedRun(req: VerifyRequest, now = new Date()): RunMeta {
  const problems = req.ranges.flatMap((r) => r.problems);
  const read = sumTallies(req.ranges);
  const expected = sumTallies(req.plus);
  const minus = sumTallies(req.minus ?? []);
  expected.setsum.subtract(minus.setsum);
  expected.count -= minus.count;
  if (read.count !== expected.count) problems.push(`holds ${read.count} records, expected ${expected.count}`);
  if (!read.setsum.equals(expected.setsum)) problems.push("setsum differs from the sources'");
  if (req.rescan) {
    const again = sumTallies(req.rescan.segments);
    if (again.count !== read.count || !again.setsum.equals(read.setsum))
      problems.push(`an independent re-scan of ${req.rescan.table} found ${again.count} records and another setsum`);
  }
  if (problems.length > 0) throw new VerificationFailed(req.runId, problems);
  const nonEmpty = req.ranges.filter((r) => r.count > 0);
  const tomb = req.ranges.flatMap((r) => (r.tombstones ? [r.tombstones] : []));
  const tombstones = tomb.reduce((a, t) => a + t.count, 0);
  const deleted = req.deleted ?? {
    from: Math.floor(Math.min(...tomb.map((t) => t.minSeq)) / 1000),
    to: Math.floor(Math.max(...tomb.map((t) => t.maxSeq)) / 1000),
  };
  return {
    id: req.runId,
    tier: 'cold',
    level: req.level,
    periodStart: req.periodStart,
    periodEnd: req.periodEnd,
    minSeq: nonEmpty.length > 0 ? Math.min(...nonEmpty.map((r) => r.minSeq)) : 0,
    maxSeq: nonEmpty.length > 0 ? Math.max(...nonEmpty.map((r) => r.maxSeq)) : 0,
    ...(nonEmpty.length > 0 ? { minKey: nonEmpty[0]!.minKey!, maxKey: nonEmpty[nonEmpty.length - 1]!.maxKey! } : {}),
    count: read.count,
    bytes: req.ranges.reduce((a, r) => a + r.bytes, 0),
    setsum: read.setsum.hexdigest(),
    blobs: req.ranges.reduce((a, r) => a + r.blobs, 0),
    createdAt: now.toISOString(),
    ...(tombstones > 0 ? { tombstones, deletedFrom: deleted.from, deletedTo: deleted.to } : {}),
    ...(req.purgedAt !== undefined ? { purgedAt: req.purgedAt } : {}),
    ...(req.madeBy !== undefined && req.madeBy !== 'logarithmic' ? { madeBy: req.madeBy } : {}),
  };
}

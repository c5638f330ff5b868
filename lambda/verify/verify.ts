/**
 * Verification (DESIGN §5, §6): before a new run becomes visible, read it back from S3 and
 * the index table, independently of the writer, and prove it is the run it should be:
 * keys strictly increasing within and across blobs, index items matching the blobs' footers,
 * and count and setsum equal to what the sources said (scan tallies for an offload,
 * inputs minus dropped for a compaction), plus, for an offload, a re-scan of the table.
 */
import { readFooter, scanBlocks } from '../core/blob-reader.ts';
import type { BlockHandle } from '../core/blob-format.ts';
import { AccessDeniedError, AlkiError, MissingDataError, ThrottledError, UnavailableError } from '../core/errors.ts';
import { compareKeys } from '../core/keys.ts';
import type { RunMeta } from '../core/manifest.ts';
import { OBJECTS } from '../core/schema.ts';
import { Setsum } from '../core/setsum.ts';
import type { IndexEntry } from '../core/sparse-index.ts';
import type { Stores } from '../store/stores.ts';

/** Step Functions sees the error's name: the lifecycle's Catch and alarm key on it. */
export class VerificationFailed extends AlkiError {
  constructor(runId: string, problems: readonly string[]) {
    super('VerificationFailed', `run ${runId} failed verification: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    this.name = 'VerificationFailed';
  }
}

export interface Tallied {
  readonly count: number;
  readonly setsum: string;
}

export interface VerifyRequest {
  readonly runId: string;
  readonly level: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  /** What the run must hold: the sum of `plus` minus the sum of `minus`. */
  readonly plus: readonly Tallied[];
  readonly minus?: readonly Tallied[];
  /** Offload: the sealed table, scanned again independently. */
  readonly rescanTable?: string;
}

function sameHandle(a: BlockHandle, b: BlockHandle): boolean {
  return a.firstKey.equals(b.firstKey) && a.offset === b.offset && a.length === b.length && a.count === b.count && a.crc === b.crc;
}

function total(parts: readonly Tallied[]): { count: number; setsum: Setsum } {
  const setsum = new Setsum();
  let count = 0;
  for (const p of parts) {
    count += p.count;
    setsum.add(Setsum.fromHex(p.setsum));
  }
  return { count, setsum };
}

/** Verifies and returns the run's manifest entry, built from what was read back; throws VerificationFailed. */
export async function verifyRun(s: Stores, req: VerifyRequest): Promise<RunMeta> {
  const problems: string[] = [];
  const blobs = (await s.cold.list(OBJECTS.runPrefix(req.runId))).filter((o) => o.key.endsWith('.blob'));
  const entriesByBlob = new Map<string, IndexEntry[]>();
  for await (const e of s.cold.allEntries(req.runId)) entriesByBlob.set(e.blob, [...(entriesByBlob.get(e.blob) ?? []), e]);

  const setsum = new Setsum();
  let count = 0;
  let bytes = 0;
  let prev: Buffer | undefined;
  let minKey: Buffer | undefined;
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for (const b of blobs) {
    bytes += b.size;
    const src = s.cold.source(b.key, b.size);
    try {
      const footer = await readFooter(src);
      const blobSetsum = new Setsum();
      let n = 0;
      for await (const e of scanBlocks(src, footer.blocks)) {
        if (prev && compareKeys(prev, e.key) >= 0) {
          problems.push(`${b.key}: key out of order after the previous record`);
          break;
        }
        prev = e.key;
        minKey ??= e.key;
        blobSetsum.insertEntry(e);
        minSeq = Math.min(minSeq, e.seq);
        maxSeq = Math.max(maxSeq, e.seq);
        n++;
      }
      if (n !== footer.count) problems.push(`${b.key}: ${n} records, footer says ${footer.count}`);
      if (!blobSetsum.equals(footer.setsum)) problems.push(`${b.key}: setsum differs from its footer`);
      setsum.add(blobSetsum);
      count += n;
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
      // The store not answering is not the run failing: the state retries it. Anything else
      // (bytes that do not decode, fail a checksum) is the run's problem.
      if (err instanceof ThrottledError || err instanceof UnavailableError || err instanceof MissingDataError || err instanceof AccessDeniedError) throw err;
      problems.push(`${b.key}: ${(err as Error).message}`);
    }
  }
  for (const blob of entriesByBlob.keys()) problems.push(`index items point at ${blob}, which is not a blob of the run`);

  const expected = total(req.plus);
  const minus = total(req.minus ?? []);
  expected.setsum.subtract(minus.setsum);
  expected.count -= minus.count;
  if (count !== expected.count) problems.push(`holds ${count} records, expected ${expected.count}`);
  if (!setsum.equals(expected.setsum)) problems.push('setsum differs from the sources\'');

  if (req.rescanTable) {
    const again = new Setsum();
    let n = 0;
    const segments = 4;
    await Promise.all(
      Array.from({ length: segments }, async (_, seg) => {
        for await (const e of s.hot.scanSegment(req.rescanTable!, seg, segments)) {
          again.insertEntry(e);
          n++;
        }
      }),
    );
    if (n !== count || !again.equals(setsum)) problems.push(`an independent re-scan of ${req.rescanTable} found ${n} records and another setsum`);
  }
  if (problems.length > 0) throw new VerificationFailed(req.runId, problems);
  return {
    id: req.runId,
    tier: 'cold',
    level: req.level,
    periodStart: req.periodStart,
    periodEnd: req.periodEnd,
    minSeq: count > 0 ? minSeq : 0,
    maxSeq: count > 0 ? maxSeq : 0,
    ...(minKey ? { minKey: minKey.toString('base64'), maxKey: prev!.toString('base64') } : {}),
    count,
    bytes,
    setsum: setsum.hexdigest(),
    blobs: blobs.length,
    createdAt: new Date().toISOString(),
  };
}

/**
 * The import state machine's tasks (docs/design.md §5 applied to uploaded files): prepare (chunks of
 * the input files and key-range splitters from a sample), parse one chunk into sorted spills
 * per range with count and setsum, check (line numbers, the invalid-line policy), merge one
 * range into the run, then record the outcome. Verification and the commit are the
 * lifecycle's own steps. Every step is idempotent: the job spec is stored on first prepare
 * and object names derive from the import id, chunk and range.
 */
import { defaultSeq, IMPORT_LIMITS, lineCount, lines, ownLines, parseImportLine, type LineError } from '../core/import-format.ts';
import { importChunks, importCounts, type ImportChunk, type ImportJob, type JobRanges, type ParseRecord } from '../core/jobs.ts';
import { fanOut, importChunkBytes } from '../core/fan-out.ts';
import { chooseSplitters, rangesFrom } from '../core/key-ranges.ts';
import { importRunId, OBJECTS } from '../core/schema.ts';
import { Setsum } from '../core/setsum.ts';
import { mergeSpills, RangeSpiller, writeRange } from '../run-writer.ts';
import type { Stores } from '../store/stores.ts';
import { type ImportRef, type TaskDone } from '../task-contract.ts';

const SAMPLE_BYTES = 256 * 1024;
const MAX_SAMPLED_CHUNKS = 16;

/** Bytes of a file from `start`, at most `length` (clipped at its end). */
async function readSpan(s: Stores, file: { key: string; size: number }, start: number, length: number): Promise<Buffer> {
  const end = Math.min(file.size, start + length);
  if (end <= start) return Buffer.alloc(0);
  return s.bucket.source(file.key, file.size).read(start, end - start);
}

/** The chunk's own lines as text (see ownLines), and where they start in the file. */
async function chunkText(s: Stores, job: ImportJob, c: ImportChunk): Promise<string> {
  const file = job.files[c.file]!;
  const from = Math.max(0, c.start - 1);
  const buf = await readSpan(s, file, from, c.end - from + IMPORT_LIMITS.maxLineBytes + 2);
  const own = ownLines(buf, from, c.start, c.end);
  return own ? buf.subarray(own.from, own.to).toString('utf8') : '';
}

export async function prepareImport(s: Stores, importId: string, nowMs: number): Promise<ImportRef> {
  const runId = importRunId(importId);
  const job = await s.jobs.getOrCreate<Omit<ImportJob, keyof JobRanges>>(runId, async () => {
    const status = await s.imports.get(importId);
    if (!status) throw new Error(`import ${importId} does not exist`);
    const listed = await s.bucket.list(OBJECTS.importPrefix(importId));
    const files = Array.from(
      { length: status.files },
      (_, i) => listed.find((o) => o.key === OBJECTS.importInput(importId, i)) ?? { key: OBJECTS.importInput(importId, i), size: 0 },
    );
    // A chunk is parsed in memory and spilled per range.
    const chunkBytes = importChunkBytes(s.settings);
    const chunks = importChunks({ files, chunkBytes });
    const total = files.reduce((a, f) => a + f.size, 0);
    const sample: Buffer[] = [];
    const step = Math.max(1, Math.ceil(chunks.length / MAX_SAMPLED_CHUNKS));
    for (let i = 0; i < chunks.length; i += step) {
      const c = chunks[i]!;
      const text = (await readSpan(s, files[c.file]!, c.start, SAMPLE_BYTES)).toString('utf8');
      for (const { text: line } of lines(text)) {
        const r = parseImportLine(line, 1, nowMs);
        if ('key' in r) sample.push(r.key);
      }
    }
    const spec = { importId, runId, onInvalid: status.onInvalid, files, chunkBytes, chunkCount: chunks.length };
    return { spec, ranges: rangesFrom(chooseSplitters(sample, fanOut(total, s.settings).ranges)) };
  });
  const maps = await s.maps.write(runId, { chunks: job.chunkCount, ranges: job.rangeCount });
  return { importId, runId, chunks: job.chunkCount, ranges: job.rangeCount, maps };
}

/** Parses one chunk: every line validated, valid records counted, hashed and spilled sorted per range; records that. */
export async function parseChunk(s: Stores, runId: string, chunk: number, nowMs: number): Promise<TaskDone> {
  const job = await s.jobs.spec<ImportJob>(runId);
  const c = importChunks(job)[chunk];
  if (!c) throw new Error(`import ${job.importId} has ${job.chunkCount} chunks, not chunk ${chunk}`);
  const text = await chunkText(s, job, c);
  // Half the budget holds the chunk's text, half its sorters.
  const spiller = new RangeSpiller(s, runId, await s.jobs.ranges(runId, job), c.index, s.settings.spillBytes / 2, true);
  const setsum = new Setsum();
  let count = 0;
  let nonBlank = 0;
  let invalid = 0;
  const errors: { line: number; reason: string }[] = [];
  for (const { line, text: t } of lines(text)) {
    nonBlank++;
    if (line >= 2 ** IMPORT_LIMITS.chunkLineBits) throw new Error(`chunk ${c.index} holds more than ${2 ** IMPORT_LIMITS.chunkLineBits} lines`);
    const r = parseImportLine(t, defaultSeq(c.index, line), nowMs);
    if (!('key' in r)) {
      invalid++;
      if (errors.length < IMPORT_LIMITS.maxReportedErrors) errors.push({ line, reason: r.reason });
      continue;
    }
    count++;
    setsum.insertEntry(r);
    const spilling = spiller.add(r);
    if (spilling) await spilling;
  }
  const { spills, duplicates } = await spiller.finish();
  const record: ParseRecord = { lines: lineCount(text), nonBlank, invalid, errors, count, setsum: setsum.hexdigest(), duplicates, spills };
  await s.jobs.putRecord(runId, 'parse', chunk, record);
  return { index: chunk, count };
}

/** Line errors with file line numbers: each chunk's lines follow the earlier chunks' of its file. */
export function fileLineErrors(job: ImportJob, parsed: readonly ParseRecord[]): LineError[] {
  const out: LineError[] = [];
  const before = new Map<number, number>();
  for (const c of importChunks(job)) {
    const p = parsed[c.index];
    if (!p) continue;
    const offset = before.get(c.file) ?? 0;
    for (const e of p.errors) if (out.length < IMPORT_LIMITS.maxReportedErrors) out.push({ file: c.file, line: offset + e.line, reason: e.reason });
    before.set(c.file, offset + p.lines);
  }
  return out;
}

/** After parsing: with invalid lines and `onInvalid: fail`, the import ends here, failed. */
export async function checkImport(s: Stores, runId: string): Promise<{ proceed: boolean; invalid: number }> {
  const job = await s.jobs.spec<ImportJob>(runId);
  const parsed = await s.jobs.allRecords(runId, 'parse', job.chunkCount);
  const invalid = parsed.reduce((a, p) => a + p.invalid, 0);
  if (invalid === 0 || job.onInvalid === 'skip') return { proceed: true, invalid };
  const lineCount = parsed.reduce((a, p) => a + p.nonBlank, 0);
  await s.imports.update(job.importId, (st) => ({
    ...st,
    state: 'failed',
    counts: { lines: lineCount, valid: lineCount - invalid, invalid, duplicates: 0, records: 0 },
    errors: fileLineErrors(job, parsed),
    cause: `${invalid} invalid line${invalid === 1 ? '' : 's'}; nothing was imported (onInvalid: "skip" imports the rest)`,
  }));
  return { proceed: false, invalid };
}

/** Merges one range's spills from every chunk into the run; older versions of a key are dropped and tallied. */
export async function mergeImportRange(s: Stores, runId: string, range: number): Promise<TaskDone> {
  const job = await s.jobs.spec<ImportJob>(runId);
  const parsed = await s.jobs.allRecords(runId, 'parse', job.chunkCount);
  const { merge, earlier } = await mergeSpills(s, runId, range, parsed, { trackSetsums: 'dropped' });
  return writeRange(s, runId, await s.jobs.range(runId, job, range), merge, earlier);
}

/** The import succeeded: its counts, bytes and (with `skip`) the lines left out. */
export async function finishImport(s: Stores, runId: string): Promise<{ state: 'succeeded' }> {
  const job = await s.jobs.spec<ImportJob>(runId);
  const parsed = await s.jobs.allRecords(runId, 'parse', job.chunkCount);
  const merged = await s.jobs.allRecords(runId, 'merge', job.rangeCount);
  await s.imports.update(job.importId, (st) => ({
    ...st,
    state: 'succeeded',
    counts: importCounts(parsed, merged),
    bytes: job.files.reduce((a, f) => a + f.size, 0),
    run: job.runId,
    errors: fileLineErrors(job, parsed),
  }));
  return { state: 'succeeded' };
}

/** The execution failed (after retries): the import says so and why; it may be committed again. */
export async function failImport(s: Stores, importId: string, error: { Error?: string; Cause?: string }): Promise<{ state: 'failed' | 'succeeded' }> {
  const cause = `${error.Error ?? 'Error'}: ${error.Cause ?? ''}`;
  // A step after the commit failed: the records are in, so the import succeeded all the same.
  const run = (await s.manifests.read()).runs.find((r) => r.id === importRunId(importId));
  const after = await s.imports.update(importId, (st) => {
    if (st.state === 'failed' || st.state === 'succeeded') return st;
    if (run) return { ...st, state: 'succeeded', run: run.id, cause: `committed ${run.count} records, but a later step failed: ${cause}` };
    return { ...st, state: 'failed', cause };
  });
  return { state: after.state === 'succeeded' ? 'succeeded' : 'failed' };
}

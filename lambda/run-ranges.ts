/**
 * Key ranges over runs already written: where a compaction or an export splits its work,
 * every `rangeBytes` of (estimated raw) data, at the boundaries of the key ranges the runs
 * were written in (range summaries: a few hundred bytes per range, a million read in
 * seconds), or, for a run that has none, at its index entries' (one per MiB or so).
 */
import { compareKeys } from './core/keys.ts';
import type { RunMeta } from './core/manifest.ts';
import type { Stores } from './store/stores.ts';

/** Compressed bytes are about a quarter of raw for audit logs: size ranges by raw bytes. */
const RAW_PER_STORED = 4;

/** Splitters between ranges of about `rangeBytes` raw each, strictly increasing; only keys inside [lo, hi) when given. */
export async function splittersOverRuns(
  s: Pick<Stores, 'coldReader'>,
  runs: readonly RunMeta[],
  rangeBytes: number,
  within: { lo?: Buffer; hi?: Buffer } = {},
): Promise<Buffer[]> {
  const bounds: { key: Buffer; bytes: number }[] = [];
  for (const r of runs) {
    const summaries = await s.coldReader.rangeSummaries(r.id);
    if (summaries.length > 0)
      for (const x of summaries) bounds.push({ key: x.lo === undefined ? Buffer.alloc(0) : Buffer.from(x.lo, 'base64'), bytes: x.bytes * RAW_PER_STORED });
    else for await (const e of s.coldReader.allEntries(r.id)) bounds.push({ key: e.firstKey, bytes: e.bytes * RAW_PER_STORED });
  }
  bounds.sort((a, b) => compareKeys(a.key, b.key));
  const splitters: Buffer[] = [];
  let acc = 0;
  for (const b of bounds) {
    const inside = (!within.lo || compareKeys(b.key, within.lo) > 0) && (!within.hi || compareKeys(b.key, within.hi) < 0);
    if (inside && acc >= rangeBytes && b.key.length > 0 && (splitters.length === 0 || compareKeys(b.key, splitters[splitters.length - 1]!) > 0)) {
      splitters.push(b.key);
      acc = 0;
    }
    acc += b.bytes;
  }
  return splitters;
}

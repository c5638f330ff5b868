/**
 * What failed attempts left that nothing can still commit: blobs, index items, spills and job
 * specs of runs that are not in the manifest, not waiting for GC, and not the work of a job
 * that may still commit. Lifecycle executions run one at a time and GC is the last step of
 * one, so an uncommitted job then belongs to a failed execution or goes on in the next. These
 * may still commit: the offload of a period whose hot table is still in the manifest (its job
 * spec is reused, and a large one goes on over several executions), a compaction
 * whose inputs are all still in the manifest (a large one goes on over several executions),
 * an import whose record says it is awaiting upload or running (it runs in its own
 * execution), and an export that is running (its job's item lists are under spills/).
 */
import { EXPORT_ID, type ExportState } from './export-format.ts';
import type { ImportState } from './import-format.ts';
import { isRewrittenId } from './compaction.ts';
import type { Manifest } from './manifest.ts';
import { offloadRunId } from './schema.ts';

export interface Found {
  /** Run ids with objects under `runs/`. */
  readonly runs: readonly string[];
  /** Job ids with objects under `spills/`. */
  readonly spills: readonly string[];
}

/** The import id of an import's run or job (`i-<importId>`). */
export const importIdOf = (id: string): string | undefined => (id.startsWith('i-') ? id.slice(2) : undefined);

/**
 * Whether `id` names a compaction whose inputs are all cold runs of the manifest, so it may
 * still commit: a plain logarithmic merge (`c<level>-<first period>-<end>`) says its inputs in
 * its id; a rewrite, packing or merge of them (hashed ids) by its job's spec (`specInputs`,
 * undefined when it has none).
 */
export function compactionMayCommit(m: Manifest, id: string, specInputs?: readonly string[]): boolean {
  if (isRewrittenId(id)) {
    const cold = new Set(m.runs.filter((r) => r.tier === 'cold').map((r) => r.id));
    return specInputs !== undefined && specInputs.length > 0 && specInputs.every((x) => cold.has(x));
  }
  const p = /^c(\d+)-(\d+)-(\d+)$/.exec(id);
  if (!p) return false;
  const [level, start, end] = [Number(p[1]), Number(p[2]), Number(p[3])];
  const inputs = m.runs.filter((r) => r.tier === 'cold' && r.periodStart >= start && r.periodEnd <= end).sort((a, b) => a.periodStart - b.periodStart);
  if (inputs.length < 2 || inputs.some((r) => r.level !== level - 1)) return false;
  return inputs[0]!.periodStart === start && inputs.at(-1)!.periodEnd === end && inputs.every((r, i) => i === 0 || r.periodStart === inputs[i - 1]!.periodEnd);
}

/** Whether `id` names an export's job (`x-<hex>`, core/export-format.ts). */
export const isExportJob = (id: string): boolean => EXPORT_ID.test(id);

/** Ids whose objects (and job spec) can be swept; `importState` answers for `i-` ids, `exportState` for exports. */
export function abandoned(
  m: Manifest,
  periodMs: number,
  found: Found,
  importState: ReadonlyMap<string, ImportState | undefined>,
  exportState: ReadonlyMap<string, ExportState | undefined> = new Map(),
  specInputs: ReadonlyMap<string, readonly string[] | undefined> = new Map(),
): string[] {
  const live = new Set<string>(m.runs.map((r) => r.id));
  for (const g of m.garbage ?? []) if (g.kind === 'run' || g.kind === 'job') live.add(g.target);
  for (const r of m.runs) if (r.tier === 'hot') live.add(offloadRunId(r.periodStart, periodMs));
  const out = new Set<string>();
  for (const id of [...found.runs, ...found.spills]) {
    if (live.has(id) || compactionMayCommit(m, id, specInputs.get(id))) continue;
    if (isExportJob(id) && exportState.get(id) === 'running') continue;
    const importId = importIdOf(id);
    if (importId !== undefined) {
      const state = importState.get(importId);
      if (state === 'running' || state === 'awaiting-upload') continue;
    }
    out.add(id);
  }
  return [...out].sort();
}

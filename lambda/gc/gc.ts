/**
 * Garbage collection and retention (docs/design.md §4, §5 step 4): delete what commits released once
 * gcGrace has passed (so no reader with a cached manifest finds its data gone), sweep what
 * failed attempts left that nothing can still commit, and drop whole runs past retention.
 * Deleting twice is harmless; the manifest forgets garbage only after it is gone.
 */
import { expiredRuns, isRewrittenId } from '../core/compaction.ts';
import type { CompactionJob } from '../core/jobs.ts';
import { isLive, pinnedBy, rebased } from '../core/checkpoint.ts';
import type { Garbage } from '../core/manifest.ts';
import { abandoned, importIdOf, isExportJob } from '../core/leftovers.ts';
import { OBJECTS } from '../core/schema.ts';
import { retentionCutoff } from '../core/settings.ts';
import type { Stores } from '../store/stores.ts';

export async function collectGarbage(
  s: Stores,
  nowMs: number,
): Promise<{ collected: string[]; waiting: number; swept: string[]; pinned: number; checkpointsExpired: number }> {
  const m = await s.manifests.read();
  // Checkpoints are read after the manifest: one made since reads a manifest without this garbage.
  const checkpoints = await s.checkpoints.list();
  const expired = checkpoints.filter((c) => !isLive(c, nowMs));
  if (expired.length > 0) await s.checkpoints.deleteAll(expired.map((c) => c.id));
  const live = checkpoints.filter((c) => isLive(c, nowMs));
  const due: Garbage[] = [];
  let pinned = 0;
  for (const g of (m.garbage ?? []).filter((x) => x.releasedAt + s.settings.gcGraceMs <= nowMs)) {
    const by = pinnedBy(live, g, nowMs);
    if (by.length > 0 && g.kind === 'table' && g.replacedBy) {
      // An offloaded table: its cold run holds the same records; the pin moves there.
      for (const c of by) {
        const moved = rebased(c, g.target, g.replacedBy);
        await s.checkpoints.replace(moved);
        live[live.indexOf(c)] = moved;
      }
    } else if (by.length > 0) {
      pinned++;
      continue;
    }
    due.push(g);
  }
  for (const g of due) await remove(s, g);
  if (due.length > 0) await s.manifests.commit({ kind: 'gc', remove: [], add: [], collected: due.map((g) => g.id) });
  const swept = await sweepAbandoned(s);
  return { collected: due.map((g) => g.id), waiting: (m.garbage ?? []).length - due.length, swept, pinned, checkpointsExpired: expired.length };
}

/** Deletes what failed attempts left and nothing can still commit (core/leftovers.ts says which). */
async function sweepAbandoned(s: Stores): Promise<string[]> {
  // Objects, then import and export states, then the manifest: whatever commits in between is in
  // the manifest read last (an import is marked succeeded only after its commit).
  const found = { runs: await s.bucket.childNames(OBJECTS.runsRoot), spills: await s.bucket.childNames(OBJECTS.spillPrefix('')) };
  const importIds = [...new Set([...found.runs, ...found.spills].map(importIdOf).filter((id): id is string => id !== undefined))];
  const states = new Map(await Promise.all(importIds.map(async (id) => [id, (await s.imports.get(id))?.state] as const)));
  const exportIds = [...new Set(found.spills.filter(isExportJob))];
  const exportStates = new Map(await Promise.all(exportIds.map(async (id) => [id, (await s.exports.get(id))?.state] as const)));
  // Jobs of rewrites and packings name their inputs only in their specs.
  const rewritten = [...new Set([...found.runs, ...found.spills].filter(isRewrittenId))];
  const specInputs = new Map(await Promise.all(rewritten.map(async (id) => [id, (await s.jobs.get<CompactionJob>(id))?.inputs] as const)));
  const m = await s.manifests.read();
  const ids = abandoned(m, s.settings.periodMs, found, states, exportStates, specInputs);
  const purge = s.settings.purgeWithinMs !== undefined;
  for (const id of ids) {
    await s.coldWriter.deleteRun(id, purge);
    await s.bucket.deletePrefix(`${OBJECTS.spillPrefix(id)}/`, purge);
    await s.jobs.delete(id);
  }
  return ids;
}

/** Deletes released garbage; under a purge deadline, every version of its objects (a versioned bucket keeps the rest). */
async function remove(s: Stores, g: Garbage): Promise<void> {
  const purge = s.settings.purgeWithinMs !== undefined;
  switch (g.kind) {
    case 'table':
      await s.tables.drop(g.target);
      return s.written.forget([g.target]);
    case 'run':
      return s.coldWriter.deleteRun(g.target, purge);
    case 'job':
      await s.bucket.deletePrefix(`${OBJECTS.spillPrefix(g.target)}/`, purge);
      return s.jobs.delete(g.target);
    case 'upload':
      await s.bucket.deletePrefix(OBJECTS.importPrefix(g.target), purge);
      return;
  }
}

/** Drops cold runs whose every record is past retention; GC deletes them after gcGrace. */
export async function applyRetention(s: Stores, nowMs: number): Promise<{ dropped: string[] }> {
  const cutoff = retentionCutoff(s.settings, nowMs);
  if (cutoff === undefined) return { dropped: [] };
  const m = await s.manifests.read();
  const expired = expiredRuns(m, cutoff);
  if (expired.length === 0) return { dropped: [] };
  await s.manifests.commit({
    kind: 'retention',
    remove: expired.map((r) => r.id),
    add: [],
    release: expired.map((r) => ({ id: `run:${r.id}`, kind: 'run', target: r.id, releasedAt: nowMs })),
  });
  return { dropped: expired.map((r) => r.id) };
}

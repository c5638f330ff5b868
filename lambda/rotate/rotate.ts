/**
 * Rotation (DESIGN §2, §5 step 1): create the tables of the current period and the next
 * `rotateAhead`, wait until they are ACTIVE, then register each as a hot run. Idempotent:
 * tables that exist and runs already registered are left alone, so it runs as often as
 * wanted: on its own schedule, and first in every lifecycle execution.
 */
import type { RunMeta } from '../core/manifest.ts';
import { hotRunId, hotTableName, periodSeqBounds, periodStartOf } from '../core/schema.ts';
import { Setsum } from '../core/setsum.ts';
import type { StoreSettings } from '../core/settings.ts';
import type { HotTables } from '../store/hot-tables.ts';
import type { ManifestStore } from '../store/manifest-store.ts';

export interface RotateResult {
  readonly periods: string[];
  readonly registered: string[];
  readonly manifestVersion: number;
  /** Sealed periods not yet offloaded. */
  readonly offloadLagPeriods: number;
  readonly hotRuns: number;
  readonly coldRuns: number;
  /** Consecutive periods after the current one with a registered table. */
  readonly horizonPeriods: number;
}

export function hotRunMeta(settings: StoreSettings, start: number, now = new Date()): RunMeta {
  const { periodMs, prefix } = settings;
  return {
    id: hotRunId(start, periodMs),
    tier: 'hot',
    level: 0,
    periodStart: start,
    periodEnd: start + periodMs,
    ...periodSeqBounds(start, periodMs),
    count: 0,
    bytes: 0,
    setsum: new Setsum().hexdigest(),
    table: hotTableName(prefix, start, periodMs),
    createdAt: now.toISOString(),
  };
}

export async function rotate(deps: { hot: HotTables; manifests: ManifestStore; settings: StoreSettings }, nowMs: number): Promise<RotateResult> {
  const { periodMs } = deps.settings;
  const current = periodStartOf(nowMs, periodMs);
  const starts = Array.from({ length: deps.settings.rotateAhead + 1 }, (_, i) => current + i * periodMs);
  const runs = starts.map((s) => hotRunMeta(deps.settings, s, new Date(nowMs)));
  await Promise.all(runs.map((r) => deps.hot.create(r.table!)));
  const registered: string[] = [];
  let manifest = await deps.manifests.read();
  // One commit per period: a concurrent rotation that registered some of them is no conflict.
  for (const run of runs) {
    const result = await deps.manifests.commit({ kind: 'rotate', remove: [], add: [run] });
    if (result.changed) registered.push(run.id);
    manifest = result.manifest;
  }
  const sealedBefore = nowMs - deps.settings.sealGraceMs;
  const hotStarts = new Set(manifest.runs.filter((r) => r.tier === 'hot').map((r) => r.periodStart));
  let horizonPeriods = 0;
  while (hotStarts.has(current + (horizonPeriods + 1) * periodMs)) horizonPeriods++;
  return {
    horizonPeriods,
    periods: runs.map((r) => r.id),
    registered,
    manifestVersion: manifest.version,
    offloadLagPeriods: manifest.runs.filter((r) => r.tier === 'hot' && r.periodEnd <= sealedBefore).length,
    hotRuns: manifest.runs.filter((r) => r.tier === 'hot').length,
    coldRuns: manifest.runs.filter((r) => r.tier === 'cold').length,
  };
}

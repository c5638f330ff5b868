/**
 * Rotation (docs/design.md §2, §5 step 1): create the tables of the current period and the next
 * `rotateAhead`, wait until they are ACTIVE, then register each as a hot run; then bring
 * every hot table to the capacity the plan gives it now (core/hot-capacity.ts: with
 * `hotCapacity: provisioned`, sized and auto-scaled while it takes writes, on-demand
 * otherwise). Idempotent: tables that exist, runs already registered and capacity already
 * right are left alone, so it runs as often as wanted: on its own schedule, and first in
 * every lifecycle execution.
 */
import { capacityPlan, type CurrentTable, type TableCapacity } from '../core/hot-capacity.ts';
import { sealedHotRuns, type RunMeta } from '../core/manifest.ts';
import { hotRunId, hotTableName, periodSeqBounds, periodStartOf } from '../core/schema.ts';
import { Setsum } from '../core/setsum.ts';
import type { StoreSettings } from '../core/settings.ts';
import type { HotTableAdmin, TableState } from '../store/hot-table-admin.ts';
import type { ManifestStore } from '../store/manifest-store.ts';
import type { TableScaling } from '../store/table-scaling.ts';

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
  /** Hot runs whose tables are provisioned (with auto scaling) after this run. */
  readonly provisioned: string[];
  /** Hot runs whose table was busy with an earlier update: the next rotation converges them. */
  readonly busy: string[];
}

export interface RotateDeps {
  readonly tables: HotTableAdmin;
  readonly scaling: TableScaling;
  readonly manifests: ManifestStore;
  readonly settings: StoreSettings;
}

export function hotRunMeta(settings: Pick<StoreSettings, 'prefix' | 'periodMs' | 'hotShards'>, start: number, now = new Date()): RunMeta {
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
    ...(settings.hotShards > 1 ? { shards: settings.hotShards } : {}),
    createdAt: now.toISOString(),
  };
}

/**
 * Brings one table to its planned capacity: auto scaling is detached before a table goes
 * back to on-demand (AWS keeps it otherwise), and attached (or refreshed to the new range)
 * once it is provisioned. A provisioned table whose period has not begun is raised to the
 * planned capacity (it may have been provisioned before the last offload sized it); once it
 * takes writes, auto scaling knows better. Returns the mode it has now, or 'busy'.
 */
async function converge(deps: RotateDeps, table: string, state: TableState, want: TableCapacity, begun: boolean): Promise<TableCapacity['mode'] | 'busy'> {
  if (want.mode === 'on-demand') {
    if (state.mode === 'on-demand') return 'on-demand';
    await deps.scaling.detach(table);
    return (await deps.tables.setCapacity(table, want, state.mode)) ? 'on-demand' : 'busy';
  }
  const raise = state.mode === 'provisioned' && !begun && (state.writeUnits < want.write.initial || state.readUnits < want.read.initial);
  if (raise) {
    want = {
      ...want,
      write: { ...want.write, initial: Math.max(state.writeUnits, want.write.initial) },
      read: { ...want.read, initial: Math.max(state.readUnits, want.read.initial) },
    };
  }
  if ((state.mode === 'on-demand' || raise) && !(await deps.tables.setCapacity(table, want, state.mode))) return 'busy';
  await deps.scaling.attach(table, want);
  return 'provisioned';
}

export async function rotate(deps: RotateDeps, nowMs: number): Promise<RotateResult> {
  const { periodMs } = deps.settings;
  const current = periodStartOf(nowMs, periodMs);
  const starts = Array.from({ length: deps.settings.rotateAhead + 1 }, (_, i) => current + i * periodMs);
  const runs = starts.map((s) => hotRunMeta(deps.settings, s, new Date(nowMs)));
  let manifest = await deps.manifests.read();
  // The table taking writes now tells the next one's item size and read capacity.
  let now: CurrentTable | undefined;
  if (deps.settings.hotCapacity === 'provisioned') {
    const state = await deps.tables.describe(runs[0]!.table!);
    now = state && {
      ...(state.itemBytes !== undefined ? { itemBytes: state.itemBytes } : {}),
      ...(state.mode === 'provisioned' ? { readUnits: state.readUnits } : {}),
    };
  }
  // Every other hot table too: the sealed ones go back to on-demand before their offload.
  const others = manifest.runs.filter((r) => r.tier === 'hot' && r.table !== undefined && !runs.some((x) => x.id === r.id));
  const plan = capacityPlan(deps.settings, [...runs, ...others], manifest.runs, nowMs, now);
  const states = await Promise.all([
    ...runs.map((r, i) => deps.tables.create(r.table!, plan[i]!, r.shards)),
    ...others.map((r) => deps.tables.describe(r.table!)),
  ]);
  const registered: string[] = [];
  // One commit per period: a concurrent rotation that registered some of them is no conflict.
  // A table created before the setting changed keeps its shards: the run records the table's own.
  for (const [i, planned] of runs.entries()) {
    const { shards: _planned, ...rest } = planned;
    const shards = states[i]!.shards;
    const run: RunMeta = shards > 1 ? { ...rest, shards } : rest;
    const result = await deps.manifests.commit({ kind: 'rotate', remove: [], add: [run] });
    if (result.changed) registered.push(run.id);
    manifest = result.manifest;
  }
  const tables = [...runs, ...others].map((run, i) => ({ run, state: states[i], want: plan[i]! }));
  const provisioned: string[] = [];
  const busy: string[] = [];
  for (const t of tables) {
    if (!t.state) continue; // dropped since the manifest was read
    const mode = await converge(deps, t.run.table!, t.state, t.want, t.run.periodStart <= nowMs);
    if (mode === 'provisioned') provisioned.push(t.run.id);
    if (mode === 'busy') busy.push(t.run.id);
  }
  const hotStarts = new Set(manifest.runs.filter((r) => r.tier === 'hot').map((r) => r.periodStart));
  let horizonPeriods = 0;
  while (hotStarts.has(current + (horizonPeriods + 1) * periodMs)) horizonPeriods++;
  return {
    horizonPeriods,
    periods: runs.map((r) => r.id),
    registered,
    manifestVersion: manifest.version,
    offloadLagPeriods: sealedHotRuns(manifest, deps.settings.sealGraceMs, nowMs).length,
    hotRuns: manifest.runs.filter((r) => r.tier === 'hot').length,
    coldRuns: manifest.runs.filter((r) => r.tier === 'cold').length,
    provisioned,
    busy,
  };
}

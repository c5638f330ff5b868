/** Lambda entry of rotation: a Task of the lifecycle state machine. Emits the store's health metrics. */
import { emfLine } from '../core/metrics.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import { storeEnvFrom, type Env } from '../store/clients.ts';
import { HotTables } from '../store/hot-tables.ts';
import { ManifestStore } from '../store/manifest-store.ts';
import { rotate, type RotateResult } from './rotate.ts';

export function createRotateHandler(env: () => Env, log: (line: string) => void = console.log, now: Clock = systemClock): () => Promise<RotateResult> {
  return async () => {
    const e = storeEnvFrom(env());
    const result = await rotate({ hot: new HotTables(e.ddb), manifests: new ManifestStore(e.ddb, e.indexTable), settings: e.settings }, now());
    // Every period of this rotation is registered once rotate returns; a failed rotation emits
    // nothing, and the "upcoming table missing" alarm treats missing data as breaching.
    log(emfLine(e.settings.prefix, { offloadLag: result.offloadLagPeriods, upcomingTablesMissing: 0, hotRuns: result.hotRuns, coldRuns: result.coldRuns }));
    return result;
  };
}

export const handler = createRotateHandler(() => process.env);

/** Lambda entry of rotation: a Task of the lifecycle state machine. */
import { storeEnvFrom } from '../store/clients.ts';
import { HotTables } from '../store/hot-tables.ts';
import { ManifestStore } from '../store/manifest-store.ts';
import { rotate, type RotateResult } from './rotate.ts';

export async function handler(): Promise<RotateResult> {
  const env = storeEnvFrom(process.env);
  return rotate({ hot: new HotTables(env.ddb), manifests: new ManifestStore(env.ddb, env.indexTable), settings: env.settings }, Date.now());
}

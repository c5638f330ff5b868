/** Every adapter a lifecycle step may need, built once per container from the environment. */
import { MAX_ATTEMPTS, storeEnvFrom, untraced, type ClientHook, type Env } from './clients.ts';
import type { ColdBucket } from './cold-bucket.ts';
import type { ColdReader } from './cold-reader.ts';
import type { ColdWriter } from './cold-writer.ts';
import { coldFrom } from './cold.ts';
import { S3SpillStore } from './spill-store.ts';
import { CheckpointStore } from './checkpoint-store.ts';
import { ExportObjects, ExportStore } from './exports.ts';
import { HotTableAdmin } from './hot-table-admin.ts';
import { HotTables } from './hot-tables.ts';
import { WrittenTables } from './written-tables.ts';
import { ImportStore } from './import-store.ts';
import { JobStore } from './job-store.ts';
import { ManifestStore } from './manifest-store.ts';
import { MapItems } from './map-items.ts';
import type { StoreSettings } from '../core/settings.ts';

export interface Stores {
  readonly settings: StoreSettings;
  readonly hot: HotTables;
  /** The tables themselves: the offload's planner describes them, GC drops them. */
  readonly tables: HotTableAdmin;
  readonly coldReader: ColdReader;
  readonly coldWriter: ColdWriter;
  readonly bucket: ColdBucket;
  readonly manifests: ManifestStore;
  readonly spills: S3SpillStore;
  readonly jobs: JobStore;
  readonly imports: ImportStore;
  readonly maps: MapItems;
  readonly checkpoints: CheckpointStore;
  readonly exports: ExportStore;
  readonly exportObjects: ExportObjects;
  readonly written: WrittenTables;
}

/** A lifecycle, import or export step's stores: its clients patient with throttling (MAX_ATTEMPTS.background). */
export function storesFrom(env: Env, hook: ClientHook = untraced): Stores {
  const e = storeEnvFrom(env, hook, MAX_ATTEMPTS.background);
  const cold = coldFrom(e.ddb, e.s3, e.indexTable, e.bucket);
  return {
    settings: e.settings,
    hot: new HotTables(e.ddb),
    tables: new HotTableAdmin(e.ddb),
    ...cold,
    manifests: new ManifestStore(e.ddb, e.indexTable, cold.bucket),
    spills: new S3SpillStore(cold.bucket),
    jobs: new JobStore(e.ddb, e.indexTable),
    imports: new ImportStore(e.ddb, e.indexTable),
    maps: new MapItems(cold.bucket),
    checkpoints: new CheckpointStore(e.ddb, e.indexTable),
    exports: new ExportStore(e.ddb, e.indexTable),
    exportObjects: new ExportObjects(cold.bucket, e.s3),
    written: new WrittenTables(e.ddb, e.indexTable),
  };
}

/** A handler's stores, made on first use and reused while the container lives. */
export function lazyStores(env: () => Env, hook: ClientHook = untraced): () => Stores {
  let stores: Stores | undefined;
  return () => (stores ??= storesFrom(env(), hook));
}

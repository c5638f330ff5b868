/**
 * What each unit may do: the capabilities its handler wires, as their adapters declare them.
 * The CDK app grants each function exactly this on exactly these resources; the embedded
 * system enforces the synthesized policies on every call, so a missing grant fails a test
 * and the IAM report (`npm run iam:report`) shows every grant in use.
 */
import { COLD_GRANTS } from './store/cold-store.ts';
import { IMPORT_START_GRANTS, LIFECYCLE_LIST_GRANTS } from './store/executions.ts';
import { mergeGrants, type Grant } from './store/grants.ts';
import { HOT_TABLE_GRANTS } from './store/hot-tables.ts';
import { IMPORT_RECORD_GRANTS } from './store/import-store.ts';
import { JOB_GRANTS } from './store/job-store.ts';
import { MANIFEST_GRANTS } from './store/manifest-store.ts';
import { MAP_ITEM_GRANTS } from './store/map-items.ts';
import { TABLE_SCALING_GRANTS } from './store/table-scaling.ts';
import { UPLOAD_GRANTS } from './store/uploads.ts';
import type { UnitName } from './units.ts';

export const UNIT_GRANTS: Readonly<Record<UnitName, readonly Grant[]>> = {
  ingest: mergeGrants(HOT_TABLE_GRANTS.write, MANIFEST_GRANTS.read),
  read: mergeGrants(HOT_TABLE_GRANTS.read, COLD_GRANTS.readRuns, MANIFEST_GRANTS.read),
  // Rotation is also the lifecycle's first task, which ends an execution that finds an earlier one running.
  // With hotCapacity provisioned it also sizes the tables and attaches auto scaling (and detaches it at the seal).
  rotate: mergeGrants(HOT_TABLE_GRANTS.create, HOT_TABLE_GRANTS.capacity, TABLE_SCALING_GRANTS.attach, TABLE_SCALING_GRANTS.detach, MANIFEST_GRANTS.commit, LIFECYCLE_LIST_GRANTS),
  offload: mergeGrants(MANIFEST_GRANTS.read, HOT_TABLE_GRANTS.describe, HOT_TABLE_GRANTS.scan, JOB_GRANTS.use, MAP_ITEM_GRANTS.write, COLD_GRANTS.spills, COLD_GRANTS.writeRuns),
  // Verify reads, and records what it read under its job's items only (job#*): it cannot write the manifest or a run.
  verify: mergeGrants(HOT_TABLE_GRANTS.scan, COLD_GRANTS.readRuns, JOB_GRANTS.read, JOB_GRANTS.record),
  compact: mergeGrants(MANIFEST_GRANTS.read, JOB_GRANTS.use, MAP_ITEM_GRANTS.write, COLD_GRANTS.readRuns, COLD_GRANTS.writeRuns),
  // Commit reads an import's record, so a late retry never re-adds a compacted run.
  commit: mergeGrants(MANIFEST_GRANTS.commit, IMPORT_RECORD_GRANTS.read, JOB_GRANTS.spec),
  // Only GC deletes tables.
  // It also sweeps what failed attempts left, reading import records to spare running imports.
  gc: mergeGrants(HOT_TABLE_GRANTS.drop, MANIFEST_GRANTS.commit, JOB_GRANTS.delete, COLD_GRANTS.deleteRuns, COLD_GRANTS.deleteSpills, COLD_GRANTS.deleteImports, IMPORT_RECORD_GRANTS.read),
  imports: mergeGrants(IMPORT_RECORD_GRANTS.write, UPLOAD_GRANTS, COLD_GRANTS.listImports, IMPORT_START_GRANTS),
  importer: mergeGrants(IMPORT_RECORD_GRANTS.write, JOB_GRANTS.use, MAP_ITEM_GRANTS.write, COLD_GRANTS.readImports, COLD_GRANTS.spills, COLD_GRANTS.writeRuns),
};

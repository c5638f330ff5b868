/**
 * What each unit may do: the capabilities its handler wires, as their adapters declare them.
 * The CDK app grants each function exactly this on exactly these resources; the embedded
 * system enforces the synthesized policies on every call, so a missing grant fails a test
 * and the IAM report (`npm run iam:report`) shows every grant in use.
 */
import { CHECKPOINT_GRANTS } from './store/checkpoint-store.ts';
import { IMPORT_OBJECT_GRANTS, PURGE_GRANTS } from './store/cold-bucket.ts';
import { RUN_READ_GRANTS } from './store/cold-reader.ts';
import { RUN_WRITE_GRANTS } from './store/cold-writer.ts';
import { SPILL_GRANTS } from './store/spill-store.ts';
import { EXPORT_START_GRANTS, IMPORT_START_GRANTS, LIFECYCLE_LIST_GRANTS } from './store/executions.ts';
import { EXPORT_DOWNLOAD_GRANTS } from './store/export-downloads.ts';
import { EXPORT_OBJECT_GRANTS, EXPORT_RECORD_GRANTS } from './store/exports.ts';
import { mergeGrants, type Grant } from './store/grants.ts';
import { HOT_TABLE_ADMIN_GRANTS } from './store/hot-table-admin.ts';
import { HOT_TABLE_GRANTS } from './store/hot-tables.ts';
import { IMPORT_RECORD_GRANTS } from './store/import-store.ts';
import { JOB_GRANTS } from './store/job-store.ts';
import { MANIFEST_GRANTS } from './store/manifest-store.ts';
import { MAP_ITEM_GRANTS } from './store/map-items.ts';
import { TABLE_SCALING_GRANTS } from './store/table-scaling.ts';
import { UPLOAD_GRANTS } from './store/uploads.ts';
import { WRITTEN_TABLES_GRANTS } from './store/written-tables.ts';
import type { UnitName } from './units.ts';

export const UNIT_GRANTS: Readonly<Record<UnitName, readonly Grant[]>> = {
  // A conditional write reads the key's versions, hot and cold, before its conditional put.
  // It marks a table written before its first write; a conditional write skips sealed tables never written.
  ingest: mergeGrants(
    HOT_TABLE_GRANTS.write,
    HOT_TABLE_GRANTS.putIf,
    HOT_TABLE_GRANTS.get,
    RUN_READ_GRANTS,
    MANIFEST_GRANTS.read,
    WRITTEN_TABLES_GRANTS.mark,
    WRITTEN_TABLES_GRANTS.read,
  ),
  // Checkpoints are part of reading: the read API makes, lists and deletes them (their items only).
  read: mergeGrants(HOT_TABLE_GRANTS.read, RUN_READ_GRANTS, MANIFEST_GRANTS.read, CHECKPOINT_GRANTS.read, CHECKPOINT_GRANTS.manage, WRITTEN_TABLES_GRANTS.read),
  // Rotation is also the lifecycle's first task, which ends an execution that finds an earlier one running.
  // With hotCapacity provisioned it also sizes the tables and attaches auto scaling (and detaches it at the seal).
  rotate: mergeGrants(
    HOT_TABLE_ADMIN_GRANTS.create,
    HOT_TABLE_ADMIN_GRANTS.capacity,
    TABLE_SCALING_GRANTS.attach,
    TABLE_SCALING_GRANTS.detach,
    MANIFEST_GRANTS.commit,
    LIFECYCLE_LIST_GRANTS,
  ),
  offload: mergeGrants(
    MANIFEST_GRANTS.read,
    HOT_TABLE_ADMIN_GRANTS.describe,
    HOT_TABLE_GRANTS.scan,
    JOB_GRANTS.use,
    MAP_ITEM_GRANTS.write,
    SPILL_GRANTS.use,
    RUN_WRITE_GRANTS.write,
  ),
  // Verify reads, and records what it read under its job's items only (job#*): it cannot write the manifest or a run.
  // Verify keeps the re-scan's grants while executions of release 0.2.0's definitions may still send it re-scans.
  verify: mergeGrants(HOT_TABLE_GRANTS.scan, RUN_READ_GRANTS, JOB_GRANTS.read, JOB_GRANTS.record),
  rescan: mergeGrants(HOT_TABLE_GRANTS.scan, JOB_GRANTS.spec, JOB_GRANTS.record),
  compact: mergeGrants(MANIFEST_GRANTS.read, JOB_GRANTS.use, MAP_ITEM_GRANTS.write, RUN_READ_GRANTS, RUN_WRITE_GRANTS.write),
  // Commit reads an import's record, so a late retry never re-adds a compacted run.
  commit: mergeGrants(MANIFEST_GRANTS.commit, IMPORT_RECORD_GRANTS.read, JOB_GRANTS.spec),
  // Only GC deletes tables.
  // It also sweeps what failed attempts left, reading import records to spare running imports.
  gc: mergeGrants(
    CHECKPOINT_GRANTS.collect,
    HOT_TABLE_ADMIN_GRANTS.drop,
    WRITTEN_TABLES_GRANTS.forget,
    MANIFEST_GRANTS.commit,
    JOB_GRANTS.spec,
    JOB_GRANTS.delete,
    RUN_WRITE_GRANTS.delete,
    SPILL_GRANTS.delete,
    IMPORT_OBJECT_GRANTS.delete,
    IMPORT_RECORD_GRANTS.read,
    PURGE_GRANTS.purge,
  ),
  // Also exports: it records one (taking a checkpoint when none is given: its PutItem on the index table, which the
  // import and export records need anyway, covers the checkpoint item), starts its machine, and signs its download URLs.
  transfers: mergeGrants(
    IMPORT_RECORD_GRANTS.write,
    UPLOAD_GRANTS,
    IMPORT_OBJECT_GRANTS.list,
    IMPORT_START_GRANTS,
    EXPORT_RECORD_GRANTS.write,
    EXPORT_START_GRANTS,
    EXPORT_OBJECT_GRANTS.read,
    EXPORT_DOWNLOAD_GRANTS,
    MANIFEST_GRANTS.read,
    CHECKPOINT_GRANTS.get,
  ),
  exporter: mergeGrants(
    MANIFEST_GRANTS.read,
    CHECKPOINT_GRANTS.get,
    JOB_GRANTS.use,
    JOB_GRANTS.delete,
    MAP_ITEM_GRANTS.write,
    SPILL_GRANTS.delete,
    RUN_READ_GRANTS,
    EXPORT_RECORD_GRANTS.write,
    EXPORT_OBJECT_GRANTS.write,
    EXPORT_OBJECT_GRANTS.read,
  ),
  importer: mergeGrants(IMPORT_RECORD_GRANTS.write, JOB_GRANTS.use, MAP_ITEM_GRANTS.write, IMPORT_OBJECT_GRANTS.read, SPILL_GRANTS.use, RUN_WRITE_GRANTS.write),
};

/**
 * Direct mode (client/direct.ts) runs the ingest and read operations in an application's
 * process: its writes need what ingest's calls need, its reads what read's need, nothing
 * more. AlkiStore.grantDirectWrite and grantDirectRead grant exactly these.
 */
export const DIRECT_GRANTS = { write: UNIT_GRANTS.ingest, read: UNIT_GRANTS.read } as const;

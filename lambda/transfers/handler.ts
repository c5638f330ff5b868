/**
 * The bulk transfer API, in both directions: create an import, commit it, and read its report;
 * start an export and read its report. One function serves both: each only records a job,
 * signs URLs and starts its state machine.
 */
import { makeApiHandler } from '../api/handler.ts';
import type { Operations } from '../api/dispatch.ts';
import { json, pathParam } from '../api/http.ts';
import { systemClock } from '../core/seq.ts';
import { storeEnvFrom, untraced, type ClientHook, type Env } from '../store/clients.ts';
import { ColdBucket } from '../store/cold-bucket.ts';
import { CheckpointStore } from '../store/checkpoint-store.ts';
import { EXPORT_STATE_MACHINE_ENV, IMPORT_STATE_MACHINE_ENV, SfnStarter, type ExecutionStarter } from '../store/executions.ts';
import { ExportDownloads } from '../store/export-downloads.ts';
import { ExportObjects, ExportStore } from '../store/exports.ts';
import { ManifestStore } from '../store/manifest-store.ts';
import { createExport, getExport, type ExportsDeps } from './exports.ts';
import { ImportStore } from '../store/import-store.ts';
import { Uploads } from '../store/uploads.ts';
import { commitImport, createImport, getImport, importPartUrls, type ImportsDeps } from './imports.ts';
import { IMPORT_LIMITS } from '../core/import-format.ts';
import { ValidationError } from '../core/errors.ts';

/** What the transfer routes need: the imports' deps, and the exports' under `exports`. */
export type TransfersDeps = ImportsDeps & { exports: ExportsDeps };

export const transferOps: Operations<TransfersDeps, 'transfers'> = {
  async createImport(d, { body }) {
    return json(201, await createImport(d, body));
  },
  async commitImport(d, { event, body }) {
    return json(202, await commitImport(d, pathParam(event, 'id'), body?.parts ?? {}));
  },
  async getImport(d, { event }) {
    return json(200, await getImport(d, pathParam(event, 'id')));
  },
  async getImportParts(d, { event, query }) {
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    if (limit !== undefined && limit > IMPORT_LIMITS.partUrlsPerPage)
      throw new ValidationError('InvalidImport', `limit must be 1 to ${IMPORT_LIMITS.partUrlsPerPage}`);
    return json(
      200,
      await importPartUrls(d, pathParam(event, 'id'), {
        file: Number(query.file),
        ...(query.part ? { from: Number(query.part) } : {}),
        ...(limit ? { limit } : {}),
      }),
    );
  },
  async createExport(d, { body }) {
    return json(202, await createExport(d.exports, body));
  },
  async getExport(d, { event, query }) {
    return json(200, await getExport(d.exports, pathParam(event, 'id'), query));
  },
};

export function transfersDepsFrom(
  env: Env,
  starters: { imports: ExecutionStarter; exports: ExecutionStarter },
  now = systemClock,
  hook: ClientHook = untraced,
): TransfersDeps {
  const e = storeEnvFrom(env, hook);
  const bucket = new ColdBucket(e.s3, e.bucket);
  return {
    imports: new ImportStore(e.ddb, e.indexTable),
    uploads: new Uploads(e.s3Presigner, e.bucket),
    bucket,
    starter: starters.imports,
    now,
    exports: {
      settings: e.settings,
      exports: new ExportStore(e.ddb, e.indexTable),
      exportObjects: new ExportObjects(bucket, e.s3),
      downloads: new ExportDownloads(e.s3Presigner, e.bucket),
      checkpoints: new CheckpointStore(e.ddb, e.indexTable),
      manifests: new ManifestStore(e.ddb, e.indexTable),
      starter: starters.exports,
      now,
    },
  };
}

export const createTransfersHandler = (deps: (hook: ClientHook) => TransfersDeps, env: () => Env = () => process.env) =>
  makeApiHandler('transfers', transferOps, deps, env);
export const handler = createTransfersHandler((hook) =>
  transfersDepsFrom(
    process.env,
    { imports: SfnStarter.fromEnv(process.env, IMPORT_STATE_MACHINE_ENV, hook), exports: SfnStarter.fromEnv(process.env, EXPORT_STATE_MACHINE_ENV, hook) },
    systemClock,
    hook,
  ),
);

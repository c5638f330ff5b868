/** The import API: create an import, commit it, and read its report. */
import { makeApiHandler, type Operations } from '../api/handler.ts';
import { json, pathParam } from '../api/http.ts';
import { systemClock } from '../core/seq.ts';
import { storeEnvFrom, untraced, type ClientHook, type Env } from '../store/clients.ts';
import { ColdBucket } from '../store/cold-bucket.ts';
import { IMPORT_STATE_MACHINE_ENV, SfnStarter, type ExecutionStarter } from '../store/executions.ts';
import { ImportStore } from '../store/import-store.ts';
import { Uploads } from '../store/uploads.ts';
import { commitImport, createImport, getImport, type ImportsDeps } from './imports.ts';

export const importOps: Operations<ImportsDeps, 'imports'> = {
  async createImport(d, { body }) {
    return json(201, await createImport(d, body));
  },
  async commitImport(d, { event, body }) {
    return json(202, await commitImport(d, pathParam(event, 'id'), body?.parts ?? {}));
  },
  async getImport(d, { event }) {
    return json(200, await getImport(d, pathParam(event, 'id')));
  },
};

export function importsDepsFrom(env: Env, starter: ExecutionStarter, now = systemClock, hook: ClientHook = untraced): ImportsDeps {
  const e = storeEnvFrom(env, hook);
  return { imports: new ImportStore(e.ddb, e.indexTable), uploads: new Uploads(e.s3Presigner, e.bucket), bucket: new ColdBucket(e.s3, e.bucket), starter, now };
}

export const createImportsHandler = (deps: (hook: ClientHook) => ImportsDeps, env: () => Env = () => process.env) => makeApiHandler('imports', importOps, deps, env);
export const handler = createImportsHandler((hook) => importsDepsFrom(process.env, SfnStarter.fromEnv(process.env, IMPORT_STATE_MACHINE_ENV, hook), systemClock, hook));

/**
 * Recovery wired to a store's resources (the operator's credentials, not a function's role):
 * the bucket and index table of the environment (RESOURCE_ENV), the store's hot tables found
 * by name. `alki recover` (bin/recover.ts) and the tests call it.
 */
import { paginateListTables } from '@aws-sdk/client-dynamodb';
import { hotTablePrefix } from '../core/schema.ts';
import { MAX_ATTEMPTS, storeEnvFrom, type Env } from '../store/clients.ts';
import { coldFrom } from '../store/cold.ts';
import { HotTableAdmin } from '../store/hot-table-admin.ts';
import { ensureIndexTable, isEmptyTable } from '../store/index-table.ts';
import { ManifestStore } from '../store/manifest-store.ts';
import { WrittenTables } from '../store/written-tables.ts';
import { recover, RecoveryError, type RecoveryReport } from './recover.ts';

export interface RecoverOptions {
  /** Create the index table when it does not exist (otherwise that is an error). */
  readonly createTable?: boolean;
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

export async function recoverStore(env: Env, o: RecoverOptions = {}): Promise<RecoveryReport> {
  const e = storeEnvFrom(env, undefined, MAX_ATTEMPTS.background);
  try {
    const tables = new HotTableAdmin(e.ddb);
    const exists = (await tables.describe(e.indexTable)) !== undefined;
    if (!exists && !o.createTable) throw new RecoveryError(`the index table ${e.indexTable} does not exist: pass --create-table to create it`);
    if (!exists) {
      await ensureIndexTable(e.ddb, e.indexTable);
      o.log?.(`created the index table ${e.indexTable}`);
    } else if (!(await isEmptyTable(e.ddb, e.indexTable))) {
      // Items of runs an earlier, interrupted recovery wrote are rewritten the same; anything with a manifest is refused by recover().
      o.log?.(`the index table ${e.indexTable} is not empty: continuing only if it holds no manifest`);
    }
    const cold = coldFrom(e.ddb, e.s3, e.indexTable, e.bucket);
    const written = new WrittenTables(e.ddb, e.indexTable);
    const prefix = hotTablePrefix(e.settings.prefix);
    return await recover({
      bucket: cold.bucket,
      coldWriter: cold.coldWriter,
      manifests: new ManifestStore(e.ddb, e.indexTable, cold.bucket),
      hotTables: async () => {
        const names: string[] = [];
        for await (const page of paginateListTables({ client: e.ddb }, { ExclusiveStartTableName: prefix }))
          names.push(...(page.TableNames ?? []).filter((t) => t.startsWith(prefix)));
        return names;
      },
      describe: (t) => tables.describe(t),
      markWritten: (t) => written.mark(t),
      prefix: e.settings.prefix,
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
  } finally {
    for (const c of [e.ddb, e.s3, e.s3Presigner]) c.destroy();
  }
}

/**
 * `alki recover`: rebuilds a lost index table (manifest and sparse index) from the bucket alone
 * (lambda/recover/recover.ts). Stop the lifecycle first (docs/operations.md).
 *
 *   alki recover --bucket B --index-table T [--prefix P] [--create-table] [--concurrency N] [--json]
 *                [--dynamodb-endpoint URL --s3-endpoint URL] [--region R]
 *
 * Against AWS, --bucket and --index-table are the stack's outputs BucketName and
 * IndexTableName, and the credentials the default chain's. Exit status: 0 recovered, 1 some
 * runs could not be rebuilt (nothing committed; the report names them), 2 bad arguments or an error.
 */
import { parseArgs } from 'node:util';
import { indexTableName } from '../lambda/core/schema.ts';
import { SETTINGS_ENV } from '../lambda/core/settings.ts';
import { RESOURCE_ENV } from '../lambda/store/clients.ts';
import { recoverStore } from '../lambda/recover/from-env.ts';

const USAGE =
  'usage: alki recover --bucket BUCKET --index-table TABLE [--prefix PREFIX] [--create-table] [--concurrency N] [--json] [--dynamodb-endpoint URL] [--s3-endpoint URL] [--region REGION]';

export async function recoverCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      bucket: { type: 'string' },
      'index-table': { type: 'string' },
      prefix: { type: 'string' },
      'create-table': { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      'dynamodb-endpoint': { type: 'string' },
      's3-endpoint': { type: 'string' },
      region: { type: 'string' },
    },
  });
  const concurrency = Number(values.concurrency);
  if (!values.bucket || !values['index-table'] || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    console.error(USAGE);
    return 2;
  }
  // The store's name prefix: given, or the index table's name without its -index.
  const table = values['index-table'];
  const prefix = values.prefix ?? (table.endsWith(indexTableName('')) ? table.slice(0, -indexTableName('').length) : undefined);
  if (!prefix) {
    console.error(`alki recover: --prefix is needed: ${table} is not named <prefix>${indexTableName('')}`);
    return 2;
  }
  const env: Record<string, string | undefined> = {
    ...process.env,
    [RESOURCE_ENV.bucket]: values.bucket,
    [RESOURCE_ENV.indexTable]: table,
    [SETTINGS_ENV.prefix]: prefix,
    ...(values['dynamodb-endpoint'] ? { [RESOURCE_ENV.dynamodb]: values['dynamodb-endpoint'] } : {}),
    ...(values['s3-endpoint'] ? { [RESOURCE_ENV.s3]: values['s3-endpoint'] } : {}),
    ...(values.region ? { AWS_REGION: values.region } : {}),
  };
  const log = values.json ? undefined : (line: string) => console.error(`recover: ${line}`);
  const report = await recoverStore(env, { createTable: values['create-table'], concurrency, ...(log ? { log } : {}) });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    const records = report.rebuilt.reduce((n, r) => n + r.records, 0);
    console.log(`from ${report.snapshot.name} (version ${report.snapshot.version}, committed ${report.snapshot.committedAt})`);
    console.log(
      `rebuilt ${report.rebuilt.length} runs (${records} records); hot tables kept ${report.hotTables.kept.length}, registered again ${report.hotTables.registered.length}, gone ${report.hotTables.missing.length}`,
    );
    for (const f of report.failed) console.log(`cannot rebuild ${f.id}: ${f.reason}`);
    console.log(
      report.manifestVersion !== undefined
        ? `manifest version ${report.manifestVersion} written`
        : 'nothing committed: restore the objects named above (docs/operations.md) and run again',
    );
  }
  return report.failed.length > 0 ? 1 : 0;
}

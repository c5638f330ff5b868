/**
 * `npm start`: the whole Alki on this machine, no AWS account. Configuration by environment:
 * PORT (8080), ALKI_DATA_DIR (.alki), ALKI_PERIOD (1m locally), and the store's other knobs
 * (ALKI_SEAL_GRACE, ALKI_GC_GRACE, ALKI_FANOUT, ALKI_MAX_LEVEL, ALKI_RETENTION, ...).
 */
import { resolve } from 'node:path';
import { formatDuration, settingsFromEnv, SETTINGS_ENV } from '../lambda/core/settings.ts';
import { startLocal, throughputScaleFromEnv } from '../local/system.ts';

const LOCAL_DEFAULTS: Record<string, string> = {
  [SETTINGS_ENV.periodMs]: '1m',
  [SETTINGS_ENV.sealGraceMs]: '5s',
  [SETTINGS_ENV.gcGraceMs]: '10s',
};

function fail(message: string): never {
  console.error(`alki: ${message}`);
  process.exit(2);
}

const env = { ...LOCAL_DEFAULTS, ...Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== '')) };
let settings;
try {
  settings = settingsFromEnv(env);
} catch (err) {
  fail((err as Error).message);
}
const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, not "${process.env.PORT}"`);
const dataDir = resolve(process.env.ALKI_DATA_DIR ?? '.alki');
let throughputScale = 1;
try {
  throughputScale = throughputScaleFromEnv(process.env.ALKI_LOCAL_THROUGHPUT_SCALE);
} catch (err) {
  fail((err as Error).message);
}

const system = await startLocal({ dataDir, port, settings, throughputScale, log: (line) => console.log(`alki: ${line}`) });
const row = (k: string, v: string): string => `  ${k.padEnd(18)} ${v}`;
console.log(
  [
    `Alki is running at ${system.url}`,
    `Console: ${system.url}/   API: ${system.url}/openapi.json`,
    '',
    row('data', dataDir),
    row('period', formatDuration(settings.periodMs)),
    row('seal grace', formatDuration(settings.sealGraceMs)),
    row('gc grace', formatDuration(settings.gcGraceMs)),
    row('fanout / maxLevel', `${settings.fanout} / ${settings.maxLevel}`),
    row('retention', settings.retentionMs === undefined ? 'off' : formatDuration(settings.retentionMs)),
    row('hot capacity', `${settings.hotCapacity}  (${SETTINGS_ENV.hotCapacity}=provisioned: auto-scaled hot tables)`),
    row('hot shards', `${settings.hotShards} partition keys per pk  (${SETTINGS_ENV.hotShards})`),
    row(
      'rates',
      `${throughputScale === 0 ? 'not enforced' : `AWS's limits times ${throughputScale}, refused as AWS refuses them`}  (ALKI_LOCAL_THROUGHPUT_SCALE; off: none)`,
    ),
    row('DynamoDB', `${system.dynamodbEndpoint}  (aws --endpoint-url ${system.dynamodbEndpoint} dynamodb list-tables)`),
    row('S3', `${system.s3Endpoint}  (aws --endpoint-url ${system.s3Endpoint} s3 ls s3://${system.store.bucket} --recursive)`),
    row('IAM', 'each function calls AWS with its deployed role (from the synthesized template); the AWS CLI acts as an administrator'),
    '',
    `Try: curl -X PUT ${system.url}/v1/items/team-1/2026-11-22T10:00:00Z%23e1 -d '{"action":"login"}'`,
    `     curl ${system.url}/v1/items/team-1`,
    `Schedules (as EventBridge rules): curl ${system.url}/local/schedules; pause the lifecycle with`,
    `     curl -X POST ${system.url}/local/schedules/lifecycle -d '{"enabled":false}'`,
    'Ctrl-C stops.',
  ].join('\n'),
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping...`);
  await system.stop();
  console.log('stopped; data kept in', dataDir);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

/**
 * `npm run cost [-- --json] [--records N] [--measurement FILE] [--save FILE]`: the monthly
 * cost of Alki's audit-log workloads against one DynamoDB table, from a measurement of the
 * embedded system (made now, about 30 s, unless a saved one is given) and the list prices in
 * cost/prices.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { measure, type Measurement } from '../cost/measure.ts';
import { scenarios, WRITE_PATHS } from '../cost/model.ts';
import { PRICES } from '../cost/prices.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function fail(message: string): never {
  console.error(`alki cost: ${message}`);
  process.exit(2);
}

const json = process.argv.includes('--json');
const from = option('--measurement');
const records = option('--records');
if (records !== undefined && !/^\d+$/.test(records)) fail(`--records must be a whole number, not "${records}"`);
const log = json ? undefined : (line: string) => console.error(`measuring: ${line}`);
let measured: Measurement;
try {
  measured = from
    ? (JSON.parse(readFileSync(from, 'utf8')) as Measurement)
    : await measure({ ...(records ? { records: Number(records) } : {}), ...(log ? { log } : {}) });
} catch (err) {
  fail(`${from ? `cannot read ${from}` : 'measurement failed'}: ${(err as Error).message}`);
}
const save = option('--save');
if (save) writeFileSync(save, JSON.stringify(measured, null, 2) + '\n');
const result = { prices: { region: PRICES.region, asOf: PRICES.asOf }, measured, scenarios: scenarios(measured, PRICES) };

if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const usd = (v: number): string => `$${Math.round(v).toLocaleString('en-US')}`;
  console.log(
    `Measured (${measured.records} records of ${Math.round(measured.recordBytes)} bytes): S3 ${measured.s3BytesPerLogicalByte.toFixed(3)} and index ${measured.indexBytesPerLogicalByte.toFixed(4)} bytes per logical byte, ${measured.writeUnitsPerRecord} write unit per record, ${measured.readUnitsPerColdRead.toFixed(2)} read units and ${measured.s3GetsPerColdRead.toFixed(2)} S3 GETs per cold read.`,
  );
  const fe = measured.frontEnd;
  console.log(
    `Front end: a single PUT ${fe.single.durationMs.toFixed(1)} ms of the ingest function (${fe.single.ownMs.toFixed(2)} its own), ${fe.single.logBytes.toFixed(1)} log bytes; a batch of ${fe.batchItems} ${fe.batch.durationMs.toFixed(1)} ms (${fe.batch.ownMs.toFixed(2)}), ${fe.batch.logBytes.toFixed(1)} log bytes; a GET ${fe.read.durationMs.toFixed(1)} ms of the read function (${fe.read.ownMs.toFixed(2)}); ${fe.accessLogBytes} bytes of access log a request.`,
  );
  console.log(
    `Prices: ${PRICES.region} list prices as of ${PRICES.asOf} (cost/prices.ts). Capacity: each scenario's, the same for Alki's hot tables and the DynamoDB-only table.\n`,
  );
  console.log(['scenario', 'Alki / month', 'DynamoDB only / month', 'ratio'].join(' | '));
  for (const s of result.scenarios) console.log([s.name, usd(s.alki.monthlyUsd), usd(s.dynamodbOnly.monthlyUsd), `${s.ratio.toFixed(1)}x`].join(' | '));
  // Alki's bill is the same against either table class: each write path's, on demand, for the first workload.
  for (const path of WRITE_PATHS) {
    const first = result.scenarios.find((s) => s.writePath === path && s.capacity === 'on-demand')!;
    console.log(`\nAlki's bill, ${first.name.split(',').slice(0, 4).join(',')}:`);
    for (const [k, v] of Object.entries(first.alki.breakdown)) console.log(`  ${k.padEnd(58)} ${usd(v)}`);
  }
}

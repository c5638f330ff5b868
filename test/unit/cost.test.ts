/** The cost model: DynamoDB's item sizes, and the monthly bill of a workload from a saved measurement. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import { itemBytes, readUnits, writeUnits } from '../../lambda/store/item-size.ts';
import type { Measurement } from '../../cost/measure.ts';
import { alkiMonthly, DAYS_PER_MONTH, DEFAULT_STORE, DEFAULT_WORKLOADS, dynamodbOnlyMonthly, provisionedWriteUnits, scenarios, type Workload } from '../../cost/model.ts';
import { PRICES } from '../../cost/prices.ts';

const measured = JSON.parse(readFileSync('test/fixtures/cost-measurement.json', 'utf8')) as Measurement;
const yearly: Workload = DEFAULT_WORKLOADS[0]!;

describe('DynamoDB item sizes', () => {
  it('counts names and values as DynamoDB bills them', () => {
    assert.equal(itemBytes({ pk: { S: 'team' }, sk: { S: 'é' } }), 2 + 4 + 2 + 2);
    assert.equal(itemBytes({ b: { B: new Uint8Array(10) } }), 11);
    assert.equal(itemBytes({ n: { N: '12345' } }), 1 + 4);
    assert.equal(itemBytes({ ok: { BOOL: true }, z: { NULL: true } }), 3 + 2);
    assert.equal(itemBytes({ l: { L: [{ S: 'ab' }, { S: 'c' }] } }), 1 + 3 + 3 + 2);
    assert.deepEqual([writeUnits(1), writeUnits(1024), writeUnits(1025), readUnits(4096, true), readUnits(4097, false)], [1, 1, 2, 1, 1]);
  });
});

describe('the monthly cost of a workload', () => {
  it('bills DynamoDB-only storage as every retained item plus its 100 bytes of overhead', () => {
    const item = measured.hotItemBytes - measured.recordBytes + yearly.recordBytes;
    const items = yearly.writesPerSecond * 86_400 * yearly.retentionDays;
    const std = dynamodbOnlyMonthly(measured, yearly, PRICES, 'standard');
    const ia = dynamodbOnlyMonthly(measured, yearly, PRICES, 'standard-ia');
    assert.equal(std.breakdown['storage (DynamoDB Standard)'], ((items * (item + 100)) / 1e9) * PRICES.dynamodb.storageStandardUsd);
    assert.equal(ia.breakdown['storage (DynamoDB Standard-IA)'], ((items * (item + 100)) / 1e9) * PRICES.dynamodb.storageIaUsd);
    const writes = yearly.writesPerSecond * DAYS_PER_MONTH * 86_400;
    assert.equal(std.breakdown['writes (DynamoDB on demand)'], (writes * PRICES.dynamodb.writeRequestUnitUsd) / 1e6);
  });

  it('charges Alki the same writes as DynamoDB-only, and far less storage', () => {
    const alki = alkiMonthly(measured, yearly, PRICES);
    const ddb = dynamodbOnlyMonthly(measured, yearly, PRICES, 'standard');
    assert.equal(alki.breakdown['hot writes (DynamoDB on demand)'], ddb.breakdown['writes (DynamoDB on demand)']);
    const alkiStorage = alki.breakdown['hot storage (DynamoDB)']! + alki.breakdown['index storage (DynamoDB)']! + alki.breakdown['cold storage (S3 Standard)']!;
    assert.ok(alkiStorage * 10 < ddb.breakdown['storage (DynamoDB Standard)']!, `${alkiStorage} vs ${ddb.breakdown['storage (DynamoDB Standard)']}`);
    assert.equal(alki.monthlyUsd, Object.values(alki.breakdown).reduce((s, v) => s + v, 0));
  });

  it('grows Alki\'s advantage with retention, and reads cost what their units and GETs cost', () => {
    const s = scenarios(measured, PRICES);
    assert.equal(s.length, 8);
    for (const capacity of ['on-demand', 'provisioned']) {
      for (const c of ['standard', 'standard-ia']) {
        const [oneYear, sevenYears] = s.filter((x) => x.tableClass === c && x.capacity === capacity).map((x) => x.ratio);
        assert.ok(sevenYears! > oneYear! && oneYear! > 1, `${capacity}, ${c}: ${oneYear} then ${sevenYears}`);
      }
    }
    const reading = { ...yearly, readsPerSecond: 100 };
    const extra = alkiMonthly(measured, reading, PRICES).monthlyUsd - alkiMonthly(measured, yearly, PRICES).monthlyUsd;
    const perRead = (measured.readUnitsPerColdRead * PRICES.dynamodb.readRequestUnitUsd) / 1e6 + (measured.s3GetsPerColdRead * PRICES.s3.getUsd) / 1000;
    assert.ok(Math.abs(extra - 100 * DAYS_PER_MONTH * 86_400 * perRead) < 1e-6);
  });

  it('prices provisioned hot tables by the unit-hour, sized as rotation sizes them, only while they take writes', () => {
    const item = measured.hotItemBytes - measured.recordBytes + yearly.recordBytes;
    // 5,000 writes/s of one write unit each, at 70% utilization.
    assert.equal(provisionedWriteUnits(5000, item), Math.ceil((5000 * 100) / 70));
    const alki = alkiMonthly(measured, yearly, PRICES, { ...DEFAULT_STORE, hotCapacity: 'provisioned' });
    const ddb = dynamodbOnlyMonthly(measured, yearly, PRICES, 'standard', 'provisioned');
    const hours = DAYS_PER_MONTH * 24;
    assert.equal(ddb.breakdown['writes (DynamoDB provisioned, auto-scaled)'], 7143 * hours * PRICES.dynamodb.provisionedWcuHourUsd);
    // Each daily table is provisioned from one rotation interval (15 minutes) before its day until sealed (10 minutes after).
    const alkiWrites = alki.breakdown['hot writes (DynamoDB provisioned, auto-scaled)']!;
    assert.ok(Math.abs(alkiWrites / ddb.breakdown['writes (DynamoDB provisioned, auto-scaled)']! - (24 * 60 + 25) / (24 * 60)) < 1e-9);
    assert.equal(alki.breakdown['hot writes (DynamoDB on demand)'], undefined);
    // The offload's two consistent scans are on-demand in both modes.
    assert.equal(alki.breakdown['offload scans (DynamoDB on demand)'], alkiMonthly(measured, yearly, PRICES).breakdown['offload scans (DynamoDB on demand)']);
    // The goals of the lever: at least 5x at one year, 20x at seven, against DynamoDB Standard in the same mode.
    const provisioned = scenarios(measured, PRICES).filter((x) => x.capacity === 'provisioned' && x.tableClass === 'standard');
    assert.ok(provisioned[0]!.ratio >= 5 && provisioned[1]!.ratio >= 20, provisioned.map((x) => x.ratio.toFixed(2)).join(', '));
  });
});

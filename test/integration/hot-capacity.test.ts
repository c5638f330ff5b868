/**
 * `hotCapacity: provisioned` through the real lifecycle on one-minute periods (a manual
 * clock): rotation provisions the tables that take writes now or within a rotation
 * interval, with auto scaling attached, and leaves the tables further ahead on-demand; once
 * a period is offloaded, the next tables are sized from its records; a sealed table goes back
 * to on-demand with its auto scaling detached before its offload, and GC drops it with nothing
 * left behind. Reads equal the model throughout.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { AUTO_SCALING } from '../../lambda/core/hot-capacity.ts';
import { hotTableName } from '../../lambda/core/schema.ts';
import { rotationIntervalMs } from '../../lambda/core/settings.ts';
import type { RotateOutput } from '../../lambda/rotate/handler.ts';
import { scalingResourceId } from '../../lambda/store/table-scaling.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import type { LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const MINUTE = 60_000;
const SETTINGS = tinyStore('prov', { periodMs: MINUTE, sealGraceMs: 1000, gcGraceMs: 1000, rotateAhead: 4, hotCapacity: 'provisioned' });
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('provisioned hot tables', () => {
  const clock = new ManualClock(T0 + 500);
  const model = new Model();
  let sys: LocalSystem;
  let ddb: DynamoDBClient;
  let scaling: ApplicationAutoScalingClient;
  beforeAll(async () => {
    // A manual minute of writes takes milliseconds of wall time: the floor's 5 write units a
    // second (rates are wall-clock) would refuse what the period spreads over a minute. The
    // rates have their own tests (rates.test.ts); here they are off.
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0, throughputScale: 0 });
    const operator = { region: 'us-east-1', endpoint: sys.dynamodbEndpoint, credentials: { accessKeyId: 'operator', secretAccessKey: 'x' } };
    ddb = new DynamoDBClient(operator);
    scaling = new ApplicationAutoScalingClient(operator);
  });
  afterAll(() => sys.stop());

  const table = (minute: number): string => hotTableName(SETTINGS.prefix, T0 + minute * MINUTE, MINUTE);
  /** Each table's billing mode and write capacity, and its auto scaling: [write min, write max, read min] and policy targets. */
  const capacity = async (minute: number) => {
    const t = (await ddb.send(new DescribeTableCommand({ TableName: table(minute) }))).Table!;
    const targets =
      (await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: [scalingResourceId(table(minute))] })))
        .ScalableTargets ?? [];
    const policies =
      (await scaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', ResourceId: scalingResourceId(table(minute)) })))
        .ScalingPolicies ?? [];
    const write = targets.find((x) => x.ScalableDimension === 'dynamodb:table:WriteCapacityUnits');
    const read = targets.find((x) => x.ScalableDimension === 'dynamodb:table:ReadCapacityUnits');
    // A table created provisioned may have no summary (DescribeTable omits it until the mode changes).
    const mode = t.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
    return {
      mode,
      writeUnits: mode === 'PROVISIONED' ? t.ProvisionedThroughput?.WriteCapacityUnits : undefined,
      scaling:
        targets.length === 0
          ? undefined
          : {
              write: [write?.MinCapacity, write?.MaxCapacity],
              readMin: read?.MinCapacity,
              targets: policies.map((p) => p.TargetTrackingScalingPolicyConfiguration?.TargetValue),
            },
    };
  };
  const rotate = async (): Promise<Extract<RotateOutput, { otherExecution: null }>> => {
    const r = (await sys.tasks[arnPlaceholder('rotate')]!({ source: 'aws.events' })) as RotateOutput;
    assert.equal(r.otherExecution, null);
    return r as Extract<RotateOutput, { otherExecution: null }>;
  };

  it('provisions the tables taking writes soon, sized from the last offloaded period, and returns sealed ones to on-demand', async () => {
    // A rotation interval of lead: on one-minute periods, rotation runs every minute.
    assert.equal(rotationIntervalMs(MINUTE), MINUTE);
    assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const first = {
      mode: 'PROVISIONED',
      writeUnits: AUTO_SCALING.minUnits,
      scaling: { write: [AUTO_SCALING.minUnits, AUTO_SCALING.maxUnits], readMin: AUTO_SCALING.minUnits, targets: [70, 70] },
    };
    // Nothing offloaded yet: the floor. 12:00 takes writes, 12:01 begins within the lead; 12:02 to 12:04 do not.
    for (const m of [0, 1]) assert.deepEqual(await capacity(m), first, `12:0${m}`);
    for (const m of [2, 3, 4]) assert.deepEqual(await capacity(m), { mode: 'PAY_PER_REQUEST', writeUnits: undefined, scaling: undefined }, `12:0${m}`);

    // 600 records in the 12:00 period (10 a second), some overwritten and deleted.
    const rng = prng(7);
    const writer = directWriter(sys.dataPlane, model);
    for (let i = 0; i < 12; i++) await randomWrites(writer, rng, ['a', 'b', 'c'], 60, `w${i}`);
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 2 });

    // 12:01:02: 12:00 is sealed. Rotation (the execution's first task) detaches and switches it before the offload.
    clock.advance(MINUTE + SETTINGS.sealGraceMs + 1000);
    assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const manifest = await sys.dataPlane.manifests.read();
    const cold = manifest.runs.filter((r) => r.tier === 'cold');
    assert.equal(cold.length, 1, 'the 12:00 period is offloaded');
    assert.deepEqual(await capacity(0), { mode: 'PAY_PER_REQUEST', writeUnits: undefined, scaling: undefined });

    // The next rotation sizes from the offloaded period: its live records over its minute, at 70% utilization.
    const r = await rotate();
    const rate = cold[0]!.count / 60;
    const write = Math.ceil((rate * 100) / 70);
    assert.ok(write > AUTO_SCALING.minUnits, `${cold[0]!.count} records make ${write} write units`);
    const writeMin = Math.max(AUTO_SCALING.minUnits, Math.ceil(write / 2));
    const sized = {
      mode: 'PROVISIONED',
      writeUnits: write,
      scaling: { write: [writeMin, AUTO_SCALING.maxUnits], readMin: AUTO_SCALING.minUnits, targets: [70, 70] },
    };
    // 12:02 has not begun: raised to the sized capacity (it entered the lead in the execution
    // above, before the offload, at the floor). 12:01 has begun: auto scaling's, within the new range.
    assert.deepEqual(await capacity(2), sized);
    assert.deepEqual(await capacity(1), { ...sized, writeUnits: Math.max(AUTO_SCALING.minUnits, writeMin) });
    for (const m of [3, 4]) assert.deepEqual(await capacity(m), { mode: 'PAY_PER_REQUEST', writeUnits: undefined, scaling: undefined }, `12:0${m}`);

    // 12:02:30: 12:03 enters the lead, provisioned at the size straight away.
    clock.advance(MINUTE + 28_000);
    await rotate();
    assert.deepEqual(await capacity(3), sized);
    assert.deepEqual(
      [...r.provisioned].sort(),
      manifest.runs
        .filter((x) => x.tier === 'hot' && x.periodStart >= T0 + MINUTE && x.periodStart <= T0 + 2 * MINUTE)
        .map((x) => x.id)
        .sort(),
    );
    assert.deepEqual(r.busy, []);

    // After gcGrace, GC drops the 12:00 table: nothing of its auto scaling is left behind.
    clock.advance(SETTINGS.gcGraceMs + 1);
    assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const tables = (await ddb.send(new ListTablesCommand({}))).TableNames ?? [];
    assert.ok(!tables.includes(table(0)), 'the offloaded table is dropped');
    const orphans = ((await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb' }))).ScalableTargets ?? []).filter(
      (t) => !tables.some((n) => t.ResourceId === scalingResourceId(n)),
    );
    assert.deepEqual(orphans, []);
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 40, ranges: 3 });
  });
});

/**
 * The deployable units as built: each function's bundle from the synthesized assembly (what
 * `cdk deploy` uploads), loaded alone from an empty folder as Lambda loads it, with its role's
 * key, driven through the HTTP API (payload 2.0 events) and through full lifecycle executions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { COLD_START_METRIC, METRIC_NAMESPACE, METRICS, STORE_DIMENSION } from '../../lambda/core/metrics.ts';
import { UNIT_GRANTS } from '../../lambda/access.ts';
import { serviceName, UNITS, type UnitName } from '../../lambda/units.ts';
import type { LocalSystem } from '../../local/system.ts';
import { tinyStore } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

describe('the bundles that deploy', () => {
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(tinyStore('bun', { periodMs: 1000, sealGraceMs: 100, gcGraceMs: 200 }), {
      runtime: 'bundles',
      retryIntervalMs: 0,
      logLevel: 'INFO',
    });
    // Rotation on its own schedule, as its EventBridge rule runs it: slow writes on a loaded machine never outrun the tables made ahead.
    sys.schedules.rotation.start();
  });
  afterAll(() => sys.stop());

  it('bundles the AWS SDK into every function and loads each from an empty folder', () => {
    for (const u of Object.keys(UNITS) as UnitName[]) {
      const b = sys.bundles![u];
      assert.ok(b.bytes > 100_000, `${u}: ${b.bytes} bytes`);
      const code = readFileSync(join(sys.stack.functions[u].assetDir, 'index.js'), 'utf8');
      // The SDK's clients are inside the bundle, not required from the runtime's copy.
      assert.doesNotMatch(code, /require\(["']@aws-sdk\/client-/, `${u} must not load the SDK from the runtime`);
      assert.ok(b.loadMs > 0);
    }
  });

  it('bundles only what each function runs: no CLI, CDK or local-system code, the Step Functions client only where it is granted', () => {
    // Sources are relative to the asset's folder (itself under node_modules/.cache): resolve them from the project root.
    const root = resolve('.');
    for (const u of Object.keys(UNITS) as UnitName[]) {
      const dir = sys.stack.functions[u].assetDir;
      const map = JSON.parse(readFileSync(join(dir, 'index.js.map'), 'utf8')) as { sources: string[] };
      const files = map.sources.map((src) => relative(root, resolve(dir, src)));
      const packages = new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)![1]!));
      const own = files.filter((f) => !f.startsWith('node_modules/'));
      for (const p of ['aws-cdk-lib', 'constructs', 'cdk-nag', '@aws-sdk/credential-providers', 'dynalite', 'fauxqs', 'aws-local-stepfunctions', 'esbuild']) {
        assert.ok(!packages.has(p), `${u} bundles ${p}`);
      }
      assert.deepEqual(
        own.filter((f) => !f.startsWith('lambda/')),
        [],
        `${u} bundles code from outside lambda/`,
      );
      assert.ok(own.includes(`lambda/${u}/handler.ts`), `${u}: its own handler`);
      assert.equal(
        packages.has('@aws-sdk/client-sfn'),
        UNIT_GRANTS[u].some((g) => g.actions.some((a) => a.startsWith('states:'))),
        `${u}: the Step Functions client`,
      );
      assert.equal(packages.has('@aws-sdk/s3-request-presigner'), u === 'transfers', `${u}: the presigner`);
      assert.equal(
        packages.has('@aws-sdk/client-application-auto-scaling'),
        UNIT_GRANTS[u].some((g) => g.actions.some((a) => a.startsWith('application-autoscaling:'))),
        `${u}: the Application Auto Scaling client`,
      );
      assert.ok(
        packages.has('@aws-lambda-powertools/logger') && packages.has('@aws-lambda-powertools/metrics') && packages.has('@aws-lambda-powertools/tracer'),
        `${u}: Powertools`,
      );
    }
  });

  it('serves the API and runs the lifecycle from the bundles: offloaded, compacted, read back', async () => {
    const api = client(sys.url);
    const written = new Map<string, number>();
    // Three periods of writes, each offloaded after it seals; two level-0 runs compact into one.
    for (let period = 0; period < 3; period++) {
      for (let i = 0; i < 40; i++) {
        const sk = `e${String((period * 40 + i) % 70).padStart(3, '0')}`;
        for (let attempt = 0; ; attempt++) {
          const r = await api.put('team', sk, { period, i });
          if (r.status === 200) {
            written.set(sk, period * 1000 + i);
            break;
          }
          // The next period's table may still be rotating in: 503 with Retry-After, as on AWS.
          assert.equal(r.status, 503, JSON.stringify(r.body));
          assert.ok(attempt < 200, `still refused after 10 s: ${JSON.stringify(r.body)}`);
          await sleep(50);
        }
      }
      await sleep(1300);
      const exec = await sys.runLifecycle();
      assert.equal(exec.status, 'SUCCEEDED');
    }
    await sleep(1300);
    await sys.runLifecycle();
    const m = await sys.dataPlane.manifest();
    const cold = m.runs.filter((r) => r.tier === 'cold');
    assert.ok(cold.length >= 1, JSON.stringify(m.runs.map((r) => r.id)));
    assert.ok(
      cold.some((r) => r.level >= 1),
      `a compaction ran: ${cold.map((r) => r.id).join(', ')}`,
    );
    sys.refreshManifests();
    const page = await api.query('team', { limit: 1000 });
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.items.map((it) => [it.sk, (it.value as { period: number; i: number }).period * 1000 + (it.value as { i: number }).i]),
      [...written].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    assert.deepEqual(sys.iam.denied(), []);
  });

  it("answers writes and reads DynamoDB throttles past the SDK's retries with 429, and counts them for the alarms", async () => {
    const api = client(sys.url);
    // A millionth of AWS's rates: each table and key takes one request, then refuses.
    sys.throughput!.dynamodb.rescale(1e-6);
    try {
      const writes = [];
      for (let i = 0; i < 3; i++) writes.push((await api.put('throttled', `t${i}`, { i })).status);
      sys.refreshManifests();
      const reads = [];
      for (let i = 0; i < 3; i++) reads.push((await api.query('team', { limit: 5 })).status);
      assert.ok(writes.includes(429) && writes.every((s) => s === 200 || s === 429), `writes: ${writes.join(', ')}`);
      assert.ok(reads.includes(429) && reads.every((s) => s === 200 || s === 429), `reads: ${reads.join(', ')}`);
    } finally {
      sys.throughput!.dynamodb.rescale(1);
    }
  });

  // What each function printed, as its log group would hold it: JSON lines only (Powertools').
  const printed = (u: UnitName): Record<string, unknown>[] =>
    sys.bundles![u].output().flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  interface Emf {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    [key: string]: unknown;
  }
  const metricsOf = (u: UnitName): Emf[] => printed(u).filter((l): l is Emf => typeof l._aws === 'object');
  // A worker's stdout reaches this thread after its answer does: wait for the lines.
  const printedSoon = async (u: UnitName, count: number, pick: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> => {
    for (let i = 0; i < 100 && printed(u).filter(pick).length < count; i++) await sleep(20);
    return printed(u).filter(pick);
  };

  it('emits every metric of the catalogue through Powertools, under the emitting service and the store', async () => {
    // Runs after the lifecycle above: rotation, offload, compaction, GC and ingest have all run.
    for (const [key, spec] of Object.entries(METRICS)) {
      const lines = metricsOf(spec.unit).filter((l) => l._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === spec.name));
      assert.ok(lines.length > 0, `${key}: ${spec.unit} emitted no ${spec.name}`);
      for (const l of lines) {
        const cw = l._aws.CloudWatchMetrics[0]!;
        assert.equal(cw.Namespace, METRIC_NAMESPACE);
        const dims = ['service', STORE_DIMENSION, ...('by' in spec ? [spec.by.dimension] : [])];
        assert.deepEqual([...cw.Dimensions[0]!].sort(), dims.sort(), `${spec.name} dimensions`);
        assert.equal(l.service, serviceName(spec.unit));
        assert.equal(l[STORE_DIMENSION], 'bun');
        // A value, or the values of several invocations (the API's functions publish at most once a minute): EMF takes up to 100.
        const v = l[spec.name];
        assert.ok(
          typeof v === 'number' || (Array.isArray(v) && v.length <= 100 && v.every((x) => typeof x === 'number')),
          `${spec.name}: ${JSON.stringify(v)}`,
        );
        if ('by' in spec) assert.ok(spec.by.values.includes(l[spec.by.dimension] as never), `${spec.name} ${String(l[spec.by.dimension])}`);
      }
    }
    const commits = metricsOf('commit')
      .filter((l) => l.CommittedRecords !== undefined)
      .map((l) => l.Kind);
    assert.ok(commits.includes('offload') && commits.includes('compact'), `commit kinds: ${commits.join(', ')}`);
    // The store metrics are the manifest's, as rotation (on its own schedule) reads it.
    const before = metricsOf('rotate').length;
    await sys.bundles!.rotate.invoke({});
    await printedSoon('rotate', before + 1, (l) => typeof l._aws === 'object');
    const lastRotation = metricsOf('rotate').at(-1)!;
    const m = await sys.dataPlane.manifest();
    assert.equal(lastRotation.ColdRuns, m.runs.filter((r) => r.tier === 'cold').length);
    assert.equal(lastRotation.HotRuns, m.runs.filter((r) => r.tier === 'hot').length);
    // Every function that ran reported its one cold start, with its name.
    for (const u of ['ingest', 'read', 'rotate', 'offload', 'verify', 'compact', 'commit', 'gc'] as const) {
      const cold = metricsOf(u).filter((l) => l[COLD_START_METRIC] !== undefined);
      assert.equal(cold.length, 1, `${u}: ${cold.length} cold start metrics in ${sys.bundles![u].output().slice(0, 3).join('\n')}`);
      assert.equal(cold[0]!.function_name, sys.envOf(u).AWS_LAMBDA_FUNCTION_NAME);
    }
  });

  it('logs through Powertools with the Lambda context and, for a task, its execution and state', async () => {
    const task = { execution: 'arn:aws:states:us-east-1:000000000000:execution:bun-import:x', state: 'Parse' };
    // The error's class name survives minification: the state machines' Retry and Catch match on it.
    await assert.rejects(sys.bundles!.importer.invoke({ action: 'explode', task }), { name: 'ValidationError' });
    const failed = await printedSoon('importer', 1, (l) => l.message === 'invocation failed');
    assert.equal(failed.length, 1);
    const line = failed[0]!;
    assert.equal(line.level, 'ERROR');
    assert.equal(line.service, serviceName('importer'));
    assert.equal(line.function_name, sys.envOf('importer').AWS_LAMBDA_FUNCTION_NAME);
    assert.equal(line.function_memory_size, String(UNITS.importer.memoryMb));
    assert.match(String(line.function_request_id), /-\d+$/);
    assert.equal(line.cold_start, true);
    assert.equal(line.execution, task.execution);
    assert.equal(line.state, task.state);
    assert.equal((line.error as { name: string }).name, 'ValidationError');

    // A second invocation is warm, and the task's keys do not leak into it.
    await assert.rejects(sys.bundles!.importer.invoke({ action: 'explode' }), { name: 'ValidationError' });
    const second = (await printedSoon('importer', 2, (l) => l.message === 'invocation failed'))[1]!;
    assert.equal(second.cold_start, false);
    assert.equal(second.execution, undefined);
    assert.notEqual(second.function_request_id, line.function_request_id);
  });
});

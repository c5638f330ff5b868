/**
 * Tracing is loaded only where Lambda runs the function: importing the X-Ray SDK enables an
 * async hook on every promise of the process, which the local system should not pay.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from '@jest/globals';
import { S3Client } from '@aws-sdk/client-s3';
import { lambdaEntry, Telemetry } from '../../lambda/telemetry.ts';

const env = () => ({ ALKI_PREFIX: 'alki' });

describe('telemetry', () => {
  const saved = { exec: process.env.AWS_EXECUTION_ENV, missing: process.env.AWS_XRAY_CONTEXT_MISSING };
  afterEach(() => {
    for (const [k, v] of [
      ['AWS_EXECUTION_ENV', saved.exec],
      ['AWS_XRAY_CONTEXT_MISSING', saved.missing],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('off Lambda: no Tracer, clients handed back untouched', async () => {
    delete process.env.AWS_EXECUTION_ENV;
    const t = new Telemetry('read');
    assert.equal(await lambdaEntry(t, env, async () => 'ok')({}), 'ok');
    assert.equal(t.tracer, undefined);
    const client = new S3Client({ region: 'us-east-1' });
    assert.equal(t.traceClient(client), client);
    assert.equal(
      client.middlewareStack.identify().some((m) => /xray|tracer/i.test(m)),
      false,
    );
  });

  it('on Lambda: the Tracer is loaded on the first invocation and captures the clients made after it', async () => {
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';
    // No Lambda segment here: the X-Ray SDK would log each missing one.
    process.env.AWS_XRAY_CONTEXT_MISSING = 'IGNORE_ERROR';
    const t = new Telemetry('read');
    assert.equal(t.tracer, undefined, 'not at import or construction');
    let seen: boolean | undefined;
    await lambdaEntry(t, env, async () => {
      seen = t.tracer !== undefined;
    })({});
    assert.equal(seen, true);
    const client = t.traceClient(new S3Client({ region: 'us-east-1' }));
    assert.ok(
      client.middlewareStack.identify().some((m) => /xray|tracer/i.test(m)),
      client.middlewareStack.identify().join(', '),
    );
  });

  it("publishes the API's per-request metrics at most once a metricsEveryMs, and at once with any other (an alarm's)", async () => {
    delete process.env.AWS_EXECUTION_ENV;
    const t = new Telemetry('ingest');
    let clock = 1_000_000;
    let published = 0;
    const publish = t.metrics.publishStoredMetrics.bind(t.metrics);
    t.metrics.publishStoredMetrics = () => {
      published++;
      return publish();
    };
    let throttled = false;
    const entry = lambdaEntry(
      t,
      env,
      async () => {
        t.count('itemsWritten', 1);
        if (throttled) t.count('writesThrottled', 1);
      },
      () => ({}),
      { metricsEveryMs: 60_000, now: () => clock },
    );
    for (let i = 0; i < 5; i++) await entry({});
    assert.equal(published, 0, 'held within the minute');
    clock += 60_000;
    await entry({});
    assert.equal(published, 1, 'published once the minute is up');
    await entry({});
    assert.equal(published, 1);
    // A metric not counted per request (a throttle, which an alarm watches) goes with its invocation.
    throttled = true;
    await entry({});
    assert.equal(published, 2, 'published at once with a throttle');
    assert.equal(t.publishNow, false);
  });
});

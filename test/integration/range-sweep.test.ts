/**
 * Every run writer (offload, compaction, import) ends a key range by sweeping what an earlier
 * attempt left there, with its own deployed role: before each range merge a stale blob of
 * another attempt is planted in the range; afterwards it is gone, nothing was denied, and
 * reads equal the model.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { OBJECTS } from '../../lambda/core/schema.ts';
import { errorName } from '../../lambda/store/aws-errors.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import { ndjson, startImport, waitForImport } from '../support/imports.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, randomWrites, stepOf, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('sweep');

describe("range sweeps under the writers' own roles", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const model = new Model();
  const rng = prng(11);
  const planted = new Map<string, string>();
  let sys: LocalSystem;

  /** Before a range merge, an object of another attempt in the same range. */
  const plant = (tasks: Readonly<Record<string, TaskHandler>>): Record<string, TaskHandler> =>
    Object.fromEntries(
      Object.entries(tasks).map(([p, h]): [string, TaskHandler] => [
        p,
        async (input) => {
          const step = stepOf(p, input);
          const i = input as { runId?: string; range?: number };
          if (step.endsWith(':merge') && i.runId !== undefined && i.range !== undefined && !planted.has(step)) {
            const key = `${OBJECTS.rangeBlobPrefix(i.runId, i.range)}stale-attempt.blob`;
            await sys.store.s3.send(new PutObjectCommand({ Bucket: sys.store.bucket, Key: key, Body: 'left by an earlier attempt' }));
            planted.set(step, key);
          }
          return h(input);
        },
      ]),
    );

  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0, wrapTasks: plant });
  });
  afterAll(() => sys.stop());

  it('offload, compaction and import each delete the stale blob in their range', async () => {
    for (let i = 0; i < 3; i++) {
      await randomWrites(directWriter(sys.dataPlane, model), rng, ['a', 'b'], 40, `p${i}`);
      clock.advance(SETTINGS.periodMs);
      const r = await sys.runLifecycle();
      assert.equal(r.status, 'SUCCEEDED');
    }
    let order = 0;
    const file = ndjson(model, rng, 300, { pks: 3, sks: 200, order: () => ++order });
    const id = await startImport(sys.url, [file.text]);
    assert.equal((await waitForImport(sys.url, id)).state, 'succeeded');
    assert.deepEqual([...planted.keys()].sort(), ['compact:merge', 'importer:merge', 'offload:merge']);
    for (const key of planted.values()) {
      const gone = await sys.store.s3.send(new GetObjectCommand({ Bucket: sys.store.bucket, Key: key })).then(
        () => 'still there',
        (err: unknown) => errorName(err),
      );
      assert.equal(gone, 'NoSuchKey', key);
    }
    const deletes = sys.iam
      .all()
      .filter((e) => e.action === 's3:DeleteObject' && e.allowed)
      .map((e) => e.principal.replace(/^sweep-/, ''));
    // Each writer deleted with its own role (gc deletes too: released runs and spills).
    for (const writer of ['offload', 'compact', 'importer']) assert.ok(deletes.includes(writer), writer);
    assert.deepEqual(sys.iam.denied(), []);
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 20, ranges: 2 });
  });
});

/** The lifecycle ASL executed locally, as on AWS: rotation registers periods; a failing task fails the execution and changes nothing. */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import type { LocalSystem } from '../../local/system.ts';
import { LocalStepFunctions } from '../../local/step-functions.ts';
import { localTaskHandlers } from '../../local/tasks.ts';
import { startTestSystem } from '../support/system.ts';

describe('lifecycle on the local Step Functions runner', () => {
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ periodMs: 10_000 });
  });
  afterAll(() => sys.stop());

  it('runs rotation from the ASL file and records each state, as the console would show', async () => {
    const r = await sys.runLifecycle();
    assert.equal(r.status, 'SUCCEEDED');
    const m = await sys.dataPlane.manifest();
    const hot = m.runs.filter((x) => x.tier === 'hot');
    assert.ok(hot.length >= 3);
    const res = await fetch(`${sys.url}/local/executions`);
    // Parsed here, not by res.json(): jest runs tests in a VM context, and fetch's objects come from Node's own realm, which deepStrictEqual tells apart.
    const body = JSON.parse(await res.text()) as {
      executions: { name: string; status: string; events: { type: string; state?: string; output?: unknown }[] }[];
    };
    const rec = body.executions.find((e) => e.name === r.name)!;
    assert.equal(rec.status, 'SUCCEEDED');
    const exited = rec.events.find((e) => e.type === 'StateExited' && e.state === 'Rotate');
    assert.ok(exited, JSON.stringify(rec.events.map((e) => e.type)));
    // The current period and the horizon after it.
    assert.equal((exited.output as { rotate: { periods: string[] } }).rotate.periods.length, DEFAULT_SETTINGS.rotateAhead + 1);
  });

  it('retries a failing task, then fails the execution visibly and leaves the manifest alone', async () => {
    const before = await sys.dataPlane.manifest();
    let calls = 0;
    const sfn = new LocalStepFunctions(
      'test',
      {
        ...localTaskHandlers(sys.envOf),
        [arnPlaceholder('rotate')]: async () => {
          calls++;
          throw new Error('injected');
        },
      },
      { retryIntervalMs: 0 },
    );
    const r = await sfn.start('lifecycle').done;
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'LifecycleFailed');
    assert.equal(calls, 3, 'first try plus two retries of States.TaskFailed');
    assert.deepEqual(await sys.dataPlane.manifest(), before);
  });
});

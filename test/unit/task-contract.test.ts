/**
 * The tasks' contract (lambda/task-contract.ts): every handler refuses an input the contract
 * does not describe, before it calls anything, naming the field; and no unit's code imports
 * another unit's (what they share lives in core/, store/ or the modules beside the units).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import { createCommitHandler } from '../../lambda/commit/handler.ts';
import { createCompactHandler } from '../../lambda/compact/handler.ts';
import { ValidationError } from '../../lambda/core/errors.ts';
import { createGcHandler } from '../../lambda/gc/handler.ts';
import { createImporterHandler } from '../../lambda/importer/handler.ts';
import { createOffloadHandler } from '../../lambda/offload/handler.ts';
import { createRotateHandler } from '../../lambda/rotate/handler.ts';
import { COMPACT_INPUT, parseTaskInput, TASK_CONTRACT } from '../../lambda/task-contract.ts';
import { UNITS } from '../../lambda/units.ts';
import { createVerifyHandler } from '../../lambda/verify/handler.ts';
import { createRescanHandler } from '../../lambda/rescan/handler.ts';

// No endpoint, no bucket: a handler that got past validation would fail loudly, differently.
const env = () => ({ AWS_REGION: 'us-east-1', ALKI_LOG_LEVEL: 'SILENT', POWERTOOLS_LOG_LEVEL: 'SILENT' });

describe("the tasks' contract", () => {
  const cases: [string, (e: unknown) => Promise<unknown>, unknown, RegExp][] = [
    ['offload without its segment', createOffloadHandler(env), { action: 'scan', runId: 'r' }, /segment/],
    ['offload with the old list-carrying input', createOffloadHandler(env), { action: 'merge', runId: 'r', range: 0, scans: [] }, /scans|Unrecognized/],
    ['offload with an unknown action', createOffloadHandler(env), { action: 'sweep' }, /action/],
    ['a negative range', createCompactHandler(env), { action: 'merge', runId: 'c', range: -1 }, /range/],
    ['an import chunk that is not an index', createImporterHandler(env), { action: 'parse', runId: 'i', chunk: 'first' }, /chunk/],
    ['verify without a run id', createVerifyHandler(env), { mode: 'offload' }, /runId/],
    ['a re-scan without its segment', createRescanHandler(env), { action: 'rescan', runId: 'r' }, /segment/],
    ['a re-scan given a range to verify', createRescanHandler(env), { action: 'range', runId: 'r', range: 0 }, /action|rescan/],
    ['commit of a run that is not a run', createCommitHandler(env), { kind: 'offload', runId: 'r', run: { id: 'r' } }, /run\./],
    ['gc with an unknown action', createGcHandler(env), { action: 'vacuum' }, /action/],
    ['rotate with half an execution context', createRotateHandler(env), { execution: { executionArn: 'x' } }, /rotate/],
  ];
  for (const [what, handler, input, field] of cases) {
    it(`refuses ${what} with InvalidInput naming the field`, async () => {
      const err = await handler(input).catch((e: unknown) => e);
      assert.ok(err instanceof ValidationError, String(err));
      assert.equal(err.code, 'InvalidInput');
      assert.match(err.message, field);
    });
  }

  it('accepts its own contract version and earlier ones (absent: the first), and refuses a later one by name', async () => {
    const task = (contract?: number) => ({ execution: 'arn:x', state: 'Merge', ...(contract === undefined ? {} : { contract }) });
    for (const t of [task(), task(1), task(TASK_CONTRACT)])
      assert.deepEqual(parseTaskInput('compact', COMPACT_INPUT, { action: 'plan', task: t }), { action: 'plan', task: t });
    assert.throws(() => parseTaskInput('compact', COMPACT_INPUT, { action: 'plan', task: task(0) }), /InvalidInput|invalid task input/);
    const err = await createCompactHandler(env)({ action: 'plan', task: task(TASK_CONTRACT + 1) }).catch((e: unknown) => e);
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.code, 'ContractTooNew');
    assert.match(err.message, new RegExp(`task contract ${TASK_CONTRACT + 1}`));
  });

  it("keeps each unit's code to itself: no unit imports another unit's folder", () => {
    const units = Object.keys(UNITS);
    for (const u of units) {
      for (const f of readdirSync(`lambda/${u}`).filter((n) => n.endsWith('.ts'))) {
        const text = readFileSync(`lambda/${u}/${f}`, 'utf8');
        for (const m of text.matchAll(/from '\.\.\/([\w-]+)\//g)) {
          assert.ok(!units.includes(m[1]!) || m[1] === u, `lambda/${u}/${f} imports lambda/${m[1]}/`);
        }
      }
    }
  });
});

/**
 * The local runner fails an execution where Step Functions would: a task result, a state's
 * input or output over 256 KiB (States.DataLimitExceeded, which no Catch of States.ALL
 * catches), more than 25,000 history events, a function response over Lambda's 6 MB.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { LAMBDA_PAYLOAD_BYTES, SFN_QUOTAS } from '../../lambda/core/limits.ts';
import { LocalStepFunctions } from '../../local/step-functions.ts';

const big = (bytes: number): { pad: string } => ({ pad: 'x'.repeat(bytes) });
const caught = { ErrorEquals: ['States.ALL'], Next: 'Caught' };
const machine = (States: Record<string, unknown>, StartAt: string) => ({
  StartAt,
  States: { ...States, Caught: { Type: 'Pass', Result: 'caught', End: true } },
});

function run(definition: unknown, handlers: Record<string, (input: unknown) => Promise<unknown>>, input: unknown = {}) {
  const sfn = new LocalStepFunctions('q', handlers as never, { retryIntervalMs: 0, definitions: { test: definition } });
  return sfn.start('test', input as never).done;
}

describe('Step Functions quotas on the local runner', () => {
  it('fails an execution whose task returns more than 256 KiB, past any Catch', async () => {
    let calls = 0;
    const r = await run(machine({ Big: { Type: 'Task', Resource: '${BigFunctionArn}', Catch: [caught], End: true } }, 'Big'), {
      BigFunctionArn: async () => {
        calls++;
        return big(SFN_QUOTAS.payloadBytes);
      },
    });
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'States.DataLimitExceeded');
    assert.match(String(r.cause), /result of task Big is \d+ bytes/);
    assert.equal(calls, 1, 'terminal: not retried');
  });

  it('refuses an execution input over 256 KiB at the start, leaving no execution behind', () => {
    const sfn = new LocalStepFunctions('q', {}, { definitions: { test: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } } } });
    assert.throws(() => sfn.start('test', big(SFN_QUOTAS.payloadBytes) as never), { name: 'InvalidExecutionInput' });
    assert.equal(sfn.executions().length, 0);
  });

  it('accepts a result just under the quota', async () => {
    const r = await run(
      { StartAt: 'Ok', States: { Ok: { Type: 'Task', Resource: '${OkFunctionArn}', End: true } } },
      { OkFunctionArn: async () => big(SFN_QUOTAS.payloadBytes - 20) },
    );
    assert.equal(r.status, 'SUCCEEDED');
  });

  it('fails an execution whose Map gathers more than 256 KiB of results', async () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const r = await run(
      machine(
        {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            Iterator: { StartAt: 'Part', States: { Part: { Type: 'Task', Resource: '${PartFunctionArn}', End: true } } },
            Catch: [caught],
            End: true,
          },
        },
        'Each',
      ),
      { PartFunctionArn: async () => big(20 * 1024) },
      { items },
    );
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'States.DataLimitExceeded');
    assert.match(String(r.cause), /output of state Each/);
  });

  it('fails an execution whose history passes 25,000 events', async () => {
    // An inline Map over the input's items, a Pass state each.
    const EACH_ITEM = {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemsPath: '$.items', ResultPath: null, Iterator: { StartAt: 'Step', States: { Step: { Type: 'Pass', End: true } } }, End: true },
      },
    };
    const items = Array.from({ length: 7000 }, (_, i) => i);
    const r = await run(EACH_ITEM, {}, { items });
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'States.Runtime');
    assert.match(String(r.cause), /passed 25000 events/);
    // A smaller one stays within it and counts its events as AWS would: 4 per iteration, 6 around the Map.
    const ok = await run(EACH_ITEM, {}, { items: items.slice(0, 100) });
    assert.equal(ok.status, 'SUCCEEDED');
    assert.equal(ok.historyEvents, 100 * 4 + 6);
  });

  it("fails a task whose function answers more than Lambda's 6 MB, as a function error a Catch can take", async () => {
    const r = await run(
      machine(
        { Huge: { Type: 'Task', Resource: '${HugeFunctionArn}', Catch: [{ ErrorEquals: ['Function.ResponseSizeTooLarge'], Next: 'Caught' }], End: true } },
        'Huge',
      ),
      {
        HugeFunctionArn: async () => big(LAMBDA_PAYLOAD_BYTES),
      },
    );
    assert.equal(r.status, 'SUCCEEDED');
    assert.equal(r.output, 'caught');
    // Uncaught, it fails the execution.
    const failed = await run(
      { StartAt: 'Huge', States: { Huge: { Type: 'Task', Resource: '${HugeFunctionArn}', End: true } } },
      { HugeFunctionArn: async () => big(LAMBDA_PAYLOAD_BYTES) },
    );
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'Function.ResponseSizeTooLarge');
  });
});

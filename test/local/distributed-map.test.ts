/**
 * The local runner's Distributed Map (local/distributed-map.ts), against AWS's documented
 * behaviour: items from the ItemReader's S3 object, each through the ItemSelector into a child
 * execution, at most MaxConcurrency at once; a failed child over the tolerated threshold fails
 * the state with States.ExceedToleratedFailureThreshold (not the child's own error); a missing
 * or malformed item list is States.ItemReaderFailed; with a ResultWriter, the results go to S3
 * and the state's result says only where.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  evalPath,
  payload,
  runDistributedMap,
  standIn,
  type ChildOutcome,
  type DistributedMapState,
  type MapObjects,
  type MapRunRecord,
} from '../../local/distributed-map.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

class MemoryObjects implements MapObjects {
  readonly objects = new Map<string, string>();
  async get(bucket: string, key: string): Promise<string> {
    const v = this.objects.get(`${bucket}/${key}`);
    if (v === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return v;
  }
  async put(bucket: string, key: string, body: string): Promise<void> {
    this.objects.set(`${bucket}/${key}`, body);
  }
}

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:t-lifecycle';
const map = (over: Partial<DistributedMapState> = {}): DistributedMapState => ({
  Type: 'Map',
  ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'T', States: {} },
  ItemReader: {
    Resource: 'arn:aws:states:::s3:getObject',
    ReaderConfig: { InputType: 'JSON' },
    Parameters: { 'Bucket.$': '$.maps.bucket', 'Key.$': '$.maps.items' },
  },
  ItemSelector: { 'runId.$': '$.runId', 'index.$': '$$.Map.Item.Value' },
  MaxConcurrency: 3,
  Label: 'Work',
  ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket.$': '$.maps.bucket', 'Prefix.$': '$.maps.results' } },
  ...over,
});
const INPUT: Json = { runId: 'r1', maps: { bucket: 'b', items: 'jobs/r1/items.json', results: 'jobs/r1/results' } };

function children(fail: (input: { runId: string; index: number }) => boolean = () => false) {
  const seen: { input: { runId: string; index: number }; arn: string }[] = [];
  let running = 0;
  let most = 0;
  const child = async (input: Json, arn: string): Promise<ChildOutcome> => {
    const i = input as { runId: string; index: number };
    seen.push({ input: i, arn });
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 2));
    running--;
    // A child's history grows with its index here, so the Map Run's record of the longest one is checkable.
    const historyEvents = 5 + i.index;
    return fail(i)
      ? { status: 'FAILED', error: 'VerificationFailed', cause: `range ${i.index}`, historyEvents }
      : { status: 'SUCCEEDED', output: { index: i.index }, historyEvents };
  };
  return { child, seen, most: () => most };
}

describe('the local Distributed Map', () => {
  it('reads its items from S3, runs each as a child at most MaxConcurrency at once, and writes the results to S3', async () => {
    const objects = new MemoryObjects();
    await objects.put('b', 'jobs/r1/items.json', JSON.stringify([0, 1, 2, 3, 4, 5, 6]));
    const c = children();
    const runs: MapRunRecord[] = [];
    const out = (await runDistributedMap(
      { state: 'Work', definition: map(), stateMachineArn: MACHINE, objects, child: c.child, onMapRun: (r) => runs.push(r) },
      INPUT,
    )) as { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } };
    assert.deepEqual(
      runs.map((r) => [r.items, r.succeeded, r.failed, r.maxChildHistoryEvents]),
      [[7, 7, 0, 11]],
    );
    assert.deepEqual(
      c.seen.map((s) => s.input).sort((a, b) => a.index - b.index),
      [0, 1, 2, 3, 4, 5, 6].map((index) => ({ runId: 'r1', index })),
    );
    assert.ok(c.most() <= 3 && c.most() > 1, `${c.most()} at once`);
    for (const s of c.seen) assert.match(s.arn, /^arn:aws:states:us-east-1:000000000000:execution:t-lifecycle\/Work:[0-9a-f-]{36}$/);
    assert.match(out.MapRunArn, /^arn:aws:states:us-east-1:000000000000:mapRun:t-lifecycle\/Work:/);
    assert.equal(out.ResultWriterDetails.Bucket, 'b');
    const manifest = JSON.parse(await objects.get('b', out.ResultWriterDetails.Key)) as { ResultFiles: { SUCCEEDED: { Key: string }[] } };
    const results = JSON.parse(await objects.get('b', manifest.ResultFiles.SUCCEEDED[0]!.Key)) as { Status: string; Output: string }[];
    assert.equal(results.length, 7);
    assert.ok(results.every((r) => r.Status === 'SUCCEEDED'));
    assert.ok(out.ResultWriterDetails.Key.startsWith('jobs/r1/results/'));
  });

  it("fails with States.ExceedToleratedFailureThreshold when a child fails, naming the child's error in the cause", async () => {
    const objects = new MemoryObjects();
    await objects.put('b', 'jobs/r1/items.json', JSON.stringify([0, 1, 2, 3]));
    const c = children((i) => i.index === 2);
    await assert.rejects(runDistributedMap({ state: 'Work', definition: map(), stateMachineArn: MACHINE, objects, child: c.child }, INPUT), (err: Error) => {
      assert.equal(err.name, 'States.ExceedToleratedFailureThreshold');
      assert.match(err.message, /VerificationFailed: range 2/);
      return true;
    });
    // Tolerated: the state succeeds and the failure is in the results.
    const out = (await runDistributedMap(
      { state: 'Work', definition: map({ ToleratedFailureCount: 1 }), stateMachineArn: MACHINE, objects, child: c.child },
      INPUT,
    )) as { ResultWriterDetails: { Key: string } };
    assert.ok(out.ResultWriterDetails.Key);
  });

  it('reports a missing or malformed item list as States.ItemReaderFailed', async () => {
    const objects = new MemoryObjects();
    const c = children();
    await assert.rejects(runDistributedMap({ state: 'Work', definition: map(), stateMachineArn: MACHINE, objects, child: c.child }, INPUT), {
      name: 'States.ItemReaderFailed',
    });
    await objects.put('b', 'jobs/r1/items.json', '{"not": "an array"}');
    await assert.rejects(runDistributedMap({ state: 'Work', definition: map(), stateMachineArn: MACHINE, objects, child: c.child }, INPUT), {
      name: 'States.ItemReaderFailed',
    });
    assert.equal(c.seen.length, 0);
  });

  it("without an ItemReader or ResultWriter, maps the state's array and returns the children's outputs in order", async () => {
    const c = children();
    const out = await runDistributedMap(
      {
        state: 'Work',
        definition: map({ ItemReader: undefined, ItemsPath: '$.items', ResultWriter: undefined, ItemSelector: undefined }),
        stateMachineArn: MACHINE,
        objects: undefined,
        child: (i, arn) => c.child({ runId: 'x', index: i as number }, arn),
      },
      { items: [5, 6] },
    );
    assert.deepEqual(out, [{ index: 5 }, { index: 6 }]);
  });

  it("stands in a Task that keeps the Map's paths, Retry, Catch and Next; evaluates dotted paths and templates", () => {
    const t = standIn({ Type: 'Map', ItemProcessor: {}, ResultPath: null, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F' }], Next: 'N', Label: 'x' });
    assert.deepEqual(t, {
      Type: 'Task',
      Resource: 'arn:aws:states:::local:distributed-map',
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F' }],
      Next: 'N',
    });
    assert.equal(evalPath('$.a.b', { a: { b: 3 } }, {}), 3);
    assert.deepEqual(payload({ 'v.$': '$$.Map.Item.Value', k: 'lit', n: { 'x.$': '$.a' } }, { a: 1 }, { Map: { Item: { Value: 9 } } }), {
      v: 9,
      k: 'lit',
      n: { x: 1 },
    });
    assert.throws(() => evalPath('$.a[0]', { a: [1] }, {}), /dotted JSONPaths/);
    assert.throws(() => evalPath('$.missing', {}, {}), /could not be found/);
  });
});

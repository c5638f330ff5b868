/** Every state machine file is valid ASL in the subset the local runner supports. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import aslValidator from 'asl-validator';
import { placeholders, STATE_MACHINES_DIR } from '../../lib/lifecycle.ts';
import { UNITS, arnPlaceholder, type UnitName } from '../../lambda/units.ts';
import { MAP_CONCURRENCY } from '../../lambda/core/fan-out.ts';
import { TASK_CONTRACT } from '../../lambda/task-contract.ts';
import { aslText, MachineBuilder } from '../../statemachines/builder.ts';
import { MACHINES } from '../../statemachines/machines.ts';

const files = readdirSync(STATE_MACHINES_DIR).filter((f) => f.endsWith('.asl.json'));
const known = new Set(Object.keys(UNITS).map((u) => arnPlaceholder(u as UnitName)));

describe('state machine files', () => {
  it('exist', () => assert.ok(files.includes('lifecycle.asl.json')));

  it('are exactly what their builders make (npm run asl), and every file has a builder', () => {
    assert.equal(
      [...files].sort().join(),
      Object.keys(MACHINES)
        .map((m) => `${m}.asl.json`)
        .sort()
        .join(),
    );
    for (const [name, build] of Object.entries(MACHINES))
      assert.equal(
        readFileSync(`${STATE_MACHINES_DIR}${name}.asl.json`, 'utf8'),
        aslText(build()),
        `${name}.asl.json differs from its builder: run npm run asl`,
      );
  });

  it("let every task wait out its function's reserved concurrency (a throttled invocation), with jitter, for far longer than a transient error", () => {
    type State = {
      Type: string;
      Retry?: { ErrorEquals: string[]; MaxAttempts: number; MaxDelaySeconds?: number; JitterStrategy?: string }[];
      ItemProcessor?: { States: Record<string, State> };
    };
    const tasks: State[] = [];
    const walk = (states: Record<string, State>): void => {
      for (const st of Object.values(states)) {
        if (st.Type === 'Task') tasks.push(st);
        if (st.ItemProcessor) walk(st.ItemProcessor.States);
      }
    };
    for (const build of Object.values(MACHINES)) walk(build().States as Record<string, State>);
    assert.ok(tasks.length > 20);
    for (const t of tasks) {
      const throttled = t.Retry!.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))!;
      assert.ok(throttled.MaxAttempts >= 20 && throttled.MaxDelaySeconds === 60 && throttled.JitterStrategy === 'FULL', JSON.stringify(throttled));
      assert.equal(t.Retry!.filter((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException')).length, 1);
    }
  });

  it('refuse a transition to a state that does not exist, and a state defined twice', () => {
    const m = new MachineBuilder('test', [{ errors: ['States.ALL'], next: 'Failed' }]);
    m.task('A', { unit: 'gc', parameters: {}, next: 'B' });
    assert.throws(() => m.build('A'), /no state named (B|Failed)/);
    m.fail('Failed', {});
    m.succeed('B');
    assert.doesNotThrow(() => m.build('A'));
    assert.throws(() => m.succeed('B'), /defined twice/);
  });

  for (const f of files) {
    describe(f, () => {
      const text = readFileSync(`${STATE_MACHINES_DIR}${f}`, 'utf8');

      it('is valid ASL once placeholders are Lambda ARNs', () => {
        const asl = JSON.parse(text.replace(/\$\{(\w+)\}/g, 'arn:aws:lambda:us-east-1:000000000000:function:$1'));
        const { isValid, errorsText } = aslValidator(asl);
        assert.ok(isValid, errorsText('\n'));
      });

      it('names only deployable units in its placeholders', () => {
        for (const p of placeholders(text)) assert.ok(known.has(p), `unknown placeholder \${${p}}`);
      });

      it('uses only JSONPath features the local runner supports', () => {
        for (const word of [
          '"QueryLanguage": "JSONata"',
          '"Assign"',
          '"ItemBatcher"',
          'arn:aws:states:::lambda:invoke',
          '"InputType": "CSV"',
          'listObjectsV2',
        ]) {
          assert.ok(!text.includes(word), `${f} uses ${word}`);
        }
      });

      it("tells every task its execution and its own state name, for the function's logs, and the task contract it is written to", () => {
        type State = {
          Type: string;
          Parameters?: Record<string, unknown>;
          ItemProcessor?: { States: Record<string, State> };
          Iterator?: { States: Record<string, State> };
        };
        const tasks: [string, State][] = [];
        const walk = (states: Record<string, State>): void => {
          for (const [name, s] of Object.entries(states)) {
            if (s.Type === 'Task') tasks.push([name, s]);
            const inner = s.ItemProcessor ?? s.Iterator;
            if (inner) walk(inner.States);
          }
        };
        walk((JSON.parse(text) as { States: Record<string, State> }).States);
        assert.ok(tasks.length > 0);
        // $$.State.Name would do on AWS, but the local runner leaves $$.State unset: the name is written out.
        for (const [name, s] of tasks)
          assert.deepEqual(s.Parameters?.task, { 'execution.$': '$$.Execution.Id', state: name, contract: TASK_CONTRACT }, `${f}: ${name}`);
      });

      it("carries references only: each Map is Distributed, reads task indices from the job's item list, passes a run id and the index, and writes its results to S3", () => {
        type Params = Record<string, string>;
        type State = {
          Type: string;
          ItemsPath?: string;
          ItemReader?: { Resource: string; ReaderConfig?: { InputType?: string }; Parameters?: Params };
          ItemSelector?: Record<string, string>;
          ResultWriter?: { Resource: string; Parameters?: Params };
          ResultPath?: string | null;
          MaxConcurrency?: number;
          Label?: string;
          ItemProcessor?: { ProcessorConfig?: { Mode?: string; ExecutionType?: string }; States: Record<string, State> };
        };
        const maps: [string, State][] = [];
        const walk = (states: Record<string, State>, inMap: boolean): void => {
          for (const [name, s] of Object.entries(states)) {
            if (s.Type === 'Map') maps.push([name, s]);
            // AWS runs a Distributed Map at the top level or in another's child workflow: none is nested in an inline Map here.
            if (s.Type === 'Map') assert.ok(!inMap, `${f}: ${name} is a Map inside a Map`);
            if (s.ItemProcessor) walk(s.ItemProcessor.States, true);
          }
        };
        walk((JSON.parse(text) as { States: Record<string, State> }).States, false);
        for (const [name, m] of maps) {
          const job = /^\$\.(job|compaction\.job)$/;
          assert.deepEqual(
            m.ItemProcessor?.ProcessorConfig,
            { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            `${f}: ${name} (tasks run up to 15 minutes: Express children stop at 5)`,
          );
          assert.equal(m.ItemsPath, undefined, `${f}: ${name} reads its items from S3, not from the state`);
          assert.equal(m.ItemReader?.Resource, 'arn:aws:states:::s3:getObject');
          assert.equal(m.ItemReader?.ReaderConfig?.InputType, 'JSON');
          const bucket = m.ItemReader?.Parameters?.['Bucket.$'] ?? '';
          const jobPath = bucket.replace(/\.maps\.bucket$/, '');
          assert.match(jobPath, job, `${f}: ${name} reads from ${bucket}`);
          assert.match(m.ItemReader?.Parameters?.['Key.$'] ?? '', new RegExp(`^\\${jobPath}\\.maps\\.(segments|ranges|chunks|scan|merge|verify|rescan)$`));
          assert.deepEqual(
            m.ResultWriter,
            { Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket.$': `${jobPath}.maps.bucket`, 'Prefix.$': `${jobPath}.maps.results` } },
            `${f}: ${name}`,
          );
          const selector = Object.entries(m.ItemSelector ?? {});
          assert.equal(selector.length, 2, `${f}: ${name} passes ${JSON.stringify(m.ItemSelector)}`);
          assert.ok(
            selector.some(([k, v]) => k === 'runId.$' && v === `${jobPath}.runId`),
            `${f}: ${name}`,
          );
          assert.ok(
            selector.some(([, v]) => v === '$$.Map.Item.Value'),
            `${f}: ${name}`,
          );
          assert.equal(m.ResultPath, null, `${f}: ${name} keeps its tasks' results`);
          assert.equal(m.MaxConcurrency, MAP_CONCURRENCY, `${f}: ${name}`);
          assert.equal(m.Label, name);
        }
        assert.ok(maps.length >= 2);
      });
    });
  }
});

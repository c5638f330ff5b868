/** Every state machine file is valid ASL in the subset the local runner supports. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import aslValidator from 'asl-validator';
import { placeholders, STATE_MACHINES_DIR } from '../../lib/lifecycle.ts';
import { UNITS, arnPlaceholder, type UnitName } from '../../lambda/units.ts';

const files = readdirSync(STATE_MACHINES_DIR).filter((f) => f.endsWith('.asl.json'));
const known = new Set(Object.keys(UNITS).map((u) => arnPlaceholder(u as UnitName)));

describe('state machine files', () => {
  it('exist', () => assert.ok(files.includes('lifecycle.asl.json')));

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
        for (const word of ['"QueryLanguage": "JSONata"', '"Assign"', '"ItemReader"', '"ItemBatcher"', 'arn:aws:states:::lambda:invoke']) {
          assert.ok(!text.includes(word), `${f} uses ${word}`);
        }
      });

      it('tells every task its execution and its own state name, for the function\'s logs', () => {
        type State = { Type: string; Parameters?: Record<string, unknown>; ItemProcessor?: { States: Record<string, State> }; Iterator?: { States: Record<string, State> } };
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
        for (const [name, s] of tasks) assert.deepEqual(s.Parameters?.task, { 'execution.$': '$$.Execution.Id', state: name }, `${f}: ${name}`);
      });

      it('carries references only: each Map iterates task indices, passes a run id and the index, and discards its results', () => {
        type State = { Type: string; ItemsPath?: string; ItemSelector?: Record<string, string>; ResultPath?: string | null; ItemProcessor?: { States: Record<string, State> } };
        const maps: [string, State][] = [];
        const walk = (states: Record<string, State>): void => {
          for (const [name, s] of Object.entries(states)) {
            if (s.Type === 'Map') maps.push([name, s]);
            if (s.ItemProcessor) walk(s.ItemProcessor.States);
          }
        };
        walk((JSON.parse(text) as { States: Record<string, State> }).States);
        for (const [name, m] of maps) {
          // The lifecycle's map over sealed periods is bounded (four at most) and keeps only each commit's version.
          if (name === 'OffloadPeriods') continue;
          assert.match(String(m.ItemsPath), /^\$\.(job|compaction\.job)\.(segments|ranges|chunks)$/, `${f}: ${name} iterates ${m.ItemsPath}`);
          const selector = Object.entries(m.ItemSelector ?? {});
          assert.equal(selector.length, 2, `${f}: ${name} passes ${JSON.stringify(m.ItemSelector)}`);
          assert.ok(selector.some(([k, v]) => k === 'runId.$' && /^\$\.(job|compaction\.job)\.runId$/.test(v)), `${f}: ${name}`);
          assert.ok(selector.some(([, v]) => v === '$$.Map.Item.Value'), `${f}: ${name}`);
          assert.equal(m.ResultPath, null, `${f}: ${name} keeps its tasks' results`);
        }
        assert.ok(maps.length >= 2);
      });
    });
  }
});

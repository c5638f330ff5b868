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
    });
  }
});

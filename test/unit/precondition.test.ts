import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { PreconditionFailedError, ValidationError } from '../../lambda/core/errors.ts';
import { checkPrecondition, etagOf, parsePrecondition } from '../../lambda/core/precondition.ts';
import { put } from '../support/arbitraries.ts';

describe('preconditions', () => {
  it('reads entity tags as a read or write returned them: quoted, bare, weak, listed, or *', () => {
    assert.deepEqual(parsePrecondition(etagOf(17), undefined), { ifMatch: [17] });
    assert.deepEqual(parsePrecondition('17', undefined), { ifMatch: [17] });
    assert.deepEqual(parsePrecondition('W/"17", "18"', undefined), { ifMatch: [17, 18] });
    assert.deepEqual(parsePrecondition(' * ', undefined), { ifMatch: '*' });
    assert.deepEqual(parsePrecondition(17, undefined), { ifMatch: [17] });
    assert.deepEqual(parsePrecondition(undefined, '*'), { ifNoneMatch: '*' });
    assert.equal(parsePrecondition(undefined, undefined), undefined);
    for (const [m, n] of [
      ['abc', undefined],
      ['"1"', '*'],
      [undefined, '"1"'],
      ['', undefined],
      [' , ', undefined],
      ['"-1"', undefined],
      ['99999999999999999', undefined],
    ] as const) {
      assert.throws(
        () => parsePrecondition(m, n),
        (e: unknown) => e instanceof ValidationError && e.code === 'InvalidPrecondition',
        `${m} / ${n}`,
      );
    }
  });

  it('holds exactly as the model says, for any current record and any precondition', () => {
    const current = fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined });
    const pre = fc.oneof(
      fc.constant({ ifNoneMatch: '*' as const }),
      fc.constant({ ifMatch: '*' as const }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 3 }).map((tags) => ({ ifMatch: tags })),
    );
    fc.assert(
      fc.property(current, pre, (seq, p) => {
        const record = seq === undefined ? undefined : put('p', 's', seq, 1);
        const expected = 'ifNoneMatch' in p ? seq === undefined : seq !== undefined && (p.ifMatch === '*' || p.ifMatch.includes(seq));
        let held = true;
        try {
          checkPrecondition(p, record);
        } catch (err) {
          assert.ok(err instanceof PreconditionFailedError);
          assert.equal(err.code, 'PreconditionFailed');
          assert.equal(err.currentSeq, seq);
          held = false;
        }
        assert.equal(held, expected);
      }),
    );
  });
});

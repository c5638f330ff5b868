import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { compareKeys, decodeKey, encodeKey, partitionPrefix, prefixEnd } from '../../lambda/core/keys.ts';
import { LIMITS } from '../../lambda/core/limits.ts';
import { checkSeq, encodeValue, makeEntry, readEntry, toApiItem, writeEntry } from '../../lambda/core/record.ts';
import { ByteReader, ByteWriter } from '../../lambda/core/bytes.ts';

const utf8Cmp = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const keyStr = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const pkStr = keyStr.filter((s) => !s.includes('\u0000'));

describe('keys', () => {
  it('round-trips any valid key through the encoding', () => {
    fc.assert(fc.property(pkStr, keyStr, (pk, sk) => assert.deepEqual(decodeKey(encodeKey(pk, sk)), { pk, sk })));
  });

  it('orders encodings by pk bytes, then sk bytes (unsigned UTF-8)', () => {
    fc.assert(
      fc.property(pkStr, keyStr, pkStr, keyStr, (p1, s1, p2, s2) => {
        const expected = Math.sign(utf8Cmp(p1, p2) || utf8Cmp(s1, s2));
        return Math.sign(compareKeys(encodeKey(p1, s1), encodeKey(p2, s2))) === expected;
      }),
    );
  });

  it('orders by UTF-8 bytes, not UTF-16 units', () => {
    // U+FF5E is one UTF-16 unit above U+D834, but its UTF-8 sorts below U+1D11E.
    assert.ok(compareKeys(encodeKey('p', '\uff5e'), encodeKey('p', '𝄞')) < 0);
    assert.ok('\uff5e' > '𝄞');
  });

  it('keeps a shorter pk before a longer pk with the same prefix', () => {
    assert.ok(compareKeys(encodeKey('a', 'zzz'), encodeKey('ab', 'a')) < 0);
  });

  const bad: [string, unknown, unknown, string, RegExp][] = [
    ['empty pk', '', 's', 'InvalidKey', /pk must not be empty/],
    ['empty sk', 'p', '', 'InvalidKey', /sk must not be empty/],
    ['non-string pk', 1, 's', 'InvalidKey', /pk must be a string/],
    ['pk with U+0000', 'a\u0000b', 's', 'InvalidKey', /U\+0000/],
    ['pk over 256 bytes', 'é'.repeat(129), 's', 'KeyTooLong', /pk is 258 bytes .* limit is 256/],
    ['sk over 512 bytes', 'p', 'x'.repeat(513), 'KeyTooLong', /sk is 513 bytes .* limit is 512/],
    ['lone surrogate', 'p', '\ud800', 'InvalidKey', /lone surrogate/],
  ];
  for (const [name, pk, sk, code, msg] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => encodeKey(pk, sk), { code, message: msg }));
  }

  it('accepts keys exactly at the limits', () => {
    assert.doesNotThrow(() => encodeKey('p'.repeat(LIMITS.maxPkBytes), 's'.repeat(LIMITS.maxSkBytes)));
  });

  it('bounds a partition with its prefix and prefixEnd', () => {
    const pre = partitionPrefix('team');
    const end = prefixEnd(pre)!;
    for (const sk of ['a', '\u0000', '\uffff', '𝄞']) {
      const k = encodeKey('team', sk);
      assert.ok(compareKeys(k, pre) > 0 && compareKeys(k, end) < 0);
    }
    assert.ok(compareKeys(encodeKey('team0', 'a'), end) >= 0);
    assert.equal(prefixEnd(Buffer.from([0xff, 0xff])), undefined);
  });
});

describe('records', () => {
  it('round-trips through the block codec, tombstones included', () => {
    fc.assert(
      fc.property(pkStr, keyStr, fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.option(fc.jsonValue(), { nil: null }), (pk, sk, seq, value) => {
        const e = makeEntry(pk, sk, seq, value);
        const w = new ByteWriter(8);
        writeEntry(w, e);
        const r = new ByteReader(w.finish());
        assert.deepEqual(readEntry(r), e);
        assert.equal(r.remaining, 0);
      }),
    );
  });

  it('gives items back in API shape', () => {
    assert.deepEqual(toApiItem(makeEntry('p', 's', 5, { a: [1, 'x'] })), { pk: 'p', sk: 's', seq: 5, value: { a: [1, 'x'] } });
    assert.deepEqual(toApiItem(makeEntry('p', 's', 5, null)), { pk: 'p', sk: 's', seq: 5 });
  });

  it('rejects values over 256 KiB serialized, naming the size', () => {
    const big = 'x'.repeat(LIMITS.maxValueBytes);
    assert.throws(() => encodeValue(big), { code: 'ValueTooLarge', message: /262146 bytes .* limit is 262144/ });
    assert.doesNotThrow(() => encodeValue('x'.repeat(LIMITS.maxValueBytes - 2)));
  });

  it('rejects what is not JSON', () => {
    assert.throws(() => encodeValue(undefined), { code: 'InvalidValue' });
    assert.throws(() => encodeValue(() => 1), { code: 'InvalidValue' });
    assert.throws(() => encodeValue(10n), { code: 'InvalidValue' });
  });

  it('rejects seqs that are not exact non-negative integers', () => {
    for (const s of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, '5']) assert.throws(() => checkSeq(s), { code: 'InvalidSeq' });
  });
});

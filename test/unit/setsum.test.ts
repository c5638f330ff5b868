import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { SETSUM_PRIMES, Setsum, itemState } from '../../lambda/core/setsum.ts';
import { makeEntry, setsumItem } from '../../lambda/core/record.ts';

interface Vectors {
  primes: number[];
  empty: string;
  item_state_of_empty_input: number[];
  cases: { name: string; insert: string[]; remove?: string[]; hex: string }[];
  combine: { name: string; a: string; b: string; sum: string }[];
  state_arithmetic: ({ name: string; lhs: number[]; rhs: number[]; sum: number[] } | { name: string; state: number[]; inverse: number[] })[];
}

const vectors = JSON.parse(readFileSync(new URL('../fixtures/setsum-vectors.json', import.meta.url), 'utf8')) as Vectors;
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('setsum compatibility vectors', () => {
  it('uses the same primes', () => {
    assert.deepEqual([...SETSUM_PRIMES], vectors.primes);
  });

  it('hashes the empty input to the vector item state', () => {
    assert.deepEqual([...itemState(new Uint8Array())], vectors.item_state_of_empty_input);
    assert.equal(new Setsum().hexdigest(), vectors.empty);
  });

  for (const c of vectors.cases) {
    it(`case: ${c.name}`, () => {
      const s = new Setsum();
      for (const v of c.insert) s.insert(utf8(v));
      for (const v of c.remove ?? []) s.remove(utf8(v));
      assert.equal(s.hexdigest(), c.hex);
    });
  }

  for (const c of vectors.combine) {
    it(`combine: ${c.name}`, () => {
      assert.equal(Setsum.fromHex(c.a).add(Setsum.fromHex(c.b)).hexdigest(), c.sum);
      assert.equal(Setsum.fromHex(c.sum).subtract(Setsum.fromHex(c.b)).hexdigest(), c.a);
    });
  }

  for (const c of vectors.state_arithmetic) {
    it(`state arithmetic: ${c.name}`, () => {
      if ('lhs' in c) {
        assert.deepEqual(Setsum.fromColumns(c.lhs).add(Setsum.fromColumns(c.rhs)).columns(), c.sum);
      } else {
        assert.deepEqual(Setsum.fromColumns(c.state).inverse().columns(), c.inverse);
        assert.ok(Setsum.fromColumns(c.state).add(Setsum.fromColumns(c.inverse)).isEmpty());
      }
    });
  }
});

describe('Setsum.fromHex', () => {
  it('round-trips its own digests', () => {
    const s = new Setsum().insert(utf8('x')).insert(utf8('y'));
    assert.ok(Setsum.fromHex(s.hexdigest()).equals(s));
  });

  const bad: [string, string][] = [
    ['too short', '00'.repeat(31)],
    ['too long', '00'.repeat(33)],
    ['not hex', 'zz'.repeat(32)],
    ['uppercase (not canonical)', 'A7FFC6F8BF1ED76651C14756A061D662F580FF4DE43B49FA82D80A4B80F8434A'],
    // Column 0 equal to its prime, 4294967291 = 0xfffffffb, little-endian fbffffff.
    ['a column not reduced below its prime', 'fbffffff' + '00'.repeat(28)],
    ['a column of all ones', 'ffffffff' + '00'.repeat(28)],
  ];
  for (const [name, hex] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(() => Setsum.fromHex(hex), { code: 'InvalidSetsum' });
    });
  }
});

describe('Setsum properties', () => {
  const items = fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 30 });

  it('is independent of insertion order', () => {
    fc.assert(
      fc.property(items, fc.integer(), (xs, seed) => {
        const shuffled = [...xs].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
        const s1 = new Setsum();
        xs.forEach((x) => s1.insert(x));
        const s2 = new Setsum();
        shuffled.forEach((x) => s2.insert(x));
        return s1.equals(s2);
      }),
    );
  });

  it('splits into parts that sum to the whole, and removal undoes insertion', () => {
    fc.assert(
      fc.property(items, fc.nat(), (xs, cut) => {
        const k = xs.length === 0 ? 0 : cut % (xs.length + 1);
        const a = new Setsum();
        const b = new Setsum();
        const all = new Setsum();
        xs.forEach((x, i) => (i < k ? a : b).insert(x));
        xs.forEach((x) => all.insert(x));
        const removed = all.clone();
        xs.slice(0, k).forEach((x) => removed.remove(x));
        return a.clone().add(b).equals(all) && removed.equals(b) && all.clone().subtract(a).equals(b);
      }),
    );
  });
});

describe('record framing', () => {
  it('frames tag, lengths, seq and value so concatenations do not collide', () => {
    const a = makeEntry('ab', 'c', 1, 'x');
    const b = makeEntry('a', 'bc', 1, 'x');
    assert.notDeepEqual(setsumItem(a), setsumItem(b));
    const put = makeEntry('p', 's', 7, null);
    const item = setsumItem(put);
    // tag 2 (tombstone) | len 1 | 'p' | len 1 | 's' | seq 7 | len 0
    assert.deepEqual([...item], [2, 1, 0, 0, 0, 0x70, 1, 0, 0, 0, 0x73, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const v = setsumItem(makeEntry('p', 's', 2 ** 40 + 5, { a: 1 }));
    assert.equal(v[0], 1);
    assert.equal(v.readUInt32LE(11), 5);
    assert.equal(v.readUInt32LE(15), 2 ** 8);
    assert.equal(v.subarray(23).toString(), '{"a":1}');
  });
});

/** fast-check arbitraries and small builders shared by the unit tests. */
import fc from 'fast-check';
import { encodeKey } from '../../lambda/core/keys.ts';
import type { Entry } from '../../lambda/core/record.ts';

/** Small alphabets make key collisions (the interesting case) likely. */
export const pkArb = fc.constantFrom('a', 'b', 'team-1', 'ü', '𝄞');
export const skArb = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '#', '/', 'é', '😀', '\u0000'), minLength: 1, maxLength: 4 });

export interface Op {
  pk: string;
  sk: string;
  seq: number;
  /** undefined: a delete. */
  value?: number;
}

export const opArb: fc.Arbitrary<Op> = fc.record(
  {
    pk: pkArb,
    sk: skArb,
    seq: fc.integer({ min: 1, max: 1_000_000 }),
    value: fc.integer({ min: 0, max: 1000 }),
  },
  { requiredKeys: ['pk', 'sk', 'seq'] },
);

export function entryOf(op: Op): Entry {
  return {
    key: encodeKey(op.pk, op.sk),
    seq: op.seq,
    value: op.value === undefined ? null : Buffer.from(JSON.stringify(op.value)),
  };
}

/** Sorted by key, one version per key (the newest), as a run holds them. */
export function asRun(entries: readonly Entry[]): Entry[] {
  const best = new Map<string, Entry>();
  for (const e of entries) {
    const k = e.key.toString('hex');
    const cur = best.get(k);
    if (!cur || e.seq > cur.seq) best.set(k, e);
  }
  return [...best.values()].sort((a, b) => Buffer.compare(a.key, b.key));
}

export function put(pk: string, sk: string, seq: number, value: unknown): Entry {
  return { key: encodeKey(pk, sk), seq, value: Buffer.from(JSON.stringify(value)) };
}

export function del(pk: string, sk: string, seq: number): Entry {
  return { key: encodeKey(pk, sk), seq, value: null };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The seeded generator the benches use too. */
export { rng } from '../../bench/rng.ts';

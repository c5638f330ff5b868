/** A count of records and the setsum of exactly those: what every task, run and export adds up. */
import { Setsum } from './setsum.ts';

/** A count of records and the setsum of exactly those. */
export interface Tally {
  readonly count: number;
  readonly setsum: string;
}

/** Tallies added up (a run's manifest entry is one too: its count and setsum). */
export function sumTallies(parts: readonly Tally[]): { count: number; setsum: Setsum } {
  const setsum = new Setsum();
  let count = 0;
  for (const p of parts) {
    count += p.count;
    setsum.add(Setsum.fromHex(p.setsum));
  }
  return { count, setsum };
}

/** The stored form of a sum of tallies. */
export function totalOf(parts: readonly Tally[]): Tally {
  const t = sumTallies(parts);
  return { count: t.count, setsum: t.setsum.hexdigest() };
}

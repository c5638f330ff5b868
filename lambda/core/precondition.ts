/**
 * Conditional writes (HTTP preconditions, as Panda's): a write that holds only if the record
 * is as the writer last saw it. `If-Match: <seq>` (or a list of them, or `*`) requires the
 * current record to exist with that seq; `If-None-Match: *` requires that there is none. A
 * record's entity tag is its seq, quoted (`"1732400000000000"`); a bare seq is accepted too.
 * The current record is the newest visible version wherever it lives: a tombstone or an
 * expired record is no record.
 */
import { PreconditionFailedError, ValidationError } from './errors.ts';
import { checkSeq, type Entry } from './record.ts';

export type Precondition = { readonly ifMatch: readonly number[] | '*' } | { readonly ifNoneMatch: '*' };

/** A seq as an entity tag. */
export const etagOf = (seq: number): string => `"${seq}"`;

function parseTag(raw: string): number {
  const t = raw.trim().replace(/^W\//, '');
  const m = /^"?(\d{1,16})"?$/.exec(t);
  if (!m) throw new ValidationError('InvalidPrecondition', `"${raw.trim()}" is not a seq (an entity tag is a seq, as a read or write returned it)`);
  try {
    return checkSeq(Number(m[1]));
  } catch {
    throw new ValidationError('InvalidPrecondition', `"${raw.trim()}" is not a seq`);
  }
}

/** The precondition of a request's headers (or a batch item's fields); undefined when none. */
export function parsePrecondition(ifMatch: string | number | undefined, ifNoneMatch: string | undefined): Precondition | undefined {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) throw new ValidationError('InvalidPrecondition', 'give If-Match or If-None-Match, not both');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new ValidationError('InvalidPrecondition', 'If-None-Match takes only "*" (write only if there is no record)');
    return { ifNoneMatch: '*' };
  }
  if (ifMatch === undefined) return undefined;
  if (typeof ifMatch === 'number') return { ifMatch: [parseTag(String(ifMatch))] };
  if (ifMatch.trim() === '*') return { ifMatch: '*' };
  const tags = ifMatch.split(',').filter((t) => t.trim() !== '');
  if (tags.length === 0) throw new ValidationError('InvalidPrecondition', 'If-Match is empty');
  return { ifMatch: tags.map(parseTag) };
}

/** Throws PreconditionFailed unless `current` (the visible record, or undefined) satisfies `p`. */
export function checkPrecondition(p: Precondition, current: Entry | undefined): void {
  const seq = current?.seq;
  if ('ifNoneMatch' in p) {
    if (current) throw new PreconditionFailedError(`the record exists (seq ${seq}); If-None-Match: * writes only where there is none`, seq);
    return;
  }
  if (!current) throw new PreconditionFailedError('there is no record; If-Match requires one', undefined);
  if (p.ifMatch !== '*' && !p.ifMatch.includes(current.seq)) {
    throw new PreconditionFailedError(`the record is at seq ${current.seq}, not ${p.ifMatch.join(' or ')}`, seq);
  }
}

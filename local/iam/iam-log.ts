/**
 * What each role was allowed and refused, and by which statement: the evidence behind
 * "each function has exactly the permissions its code needs". With `ALKI_IAM_LOG=<file>`
 * the entries are appended there as JSON lines when the system stops, so a whole test run
 * can be summed up (`npm run iam:report`).
 */
import { appendFileSync } from 'node:fs';
import type { Decision } from './policy.ts';
import type { Check } from './requests.ts';

export interface IamEntry {
  readonly principal: string;
  readonly action: string;
  readonly allowed: boolean;
  /** `<policy>#<statement index>`, or `implicit` when nothing allowed it. */
  readonly statement: string;
  /** The deciding statement's Sid (the grant's target for a function's own grants). */
  readonly sid?: string;
  /** One resource seen, for the report. */
  readonly resource: string;
  count: number;
}

export class IamLog {
  private readonly entries = new Map<string, IamEntry>();

  record(principal: string, check: Check, d: Decision): void {
    const statement = d.by ? `${d.by.policy}#${d.by.statement}` : 'implicit';
    const key = `${principal}\t${check.action}\t${statement}\t${d.allowed}`;
    const e = this.entries.get(key);
    if (e) e.count++;
    else this.entries.set(key, { principal, action: check.action, allowed: d.allowed, statement, ...(d.by?.sid ? { sid: d.by.sid } : {}), resource: check.resource, count: 1 });
  }

  all(): IamEntry[] {
    return [...this.entries.values()];
  }

  denied(): IamEntry[] {
    return this.all().filter((e) => !e.allowed);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Appends the entries to `$ALKI_IAM_LOG`, if set, and forgets them. */
  flush(file = process.env.ALKI_IAM_LOG): void {
    if (file && this.entries.size > 0) appendFileSync(file, this.all().map((e) => JSON.stringify(e)).join('\n') + '\n');
    this.entries.clear();
  }
}

/**
 * What each role was allowed and refused, and by which statement: the evidence behind
 * "each function has exactly the permissions its code needs". With `ALKI_IAM_LOG=<file>`
 * the entries are appended there as JSON lines when the system stops, so a whole test run
 * can be summed up (`npm run iam:report`).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { UNIT_GRANTS } from '../../lambda/access.ts';
import type { UnitName } from '../../lambda/units.ts';
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
    else
      this.entries.set(key, {
        principal,
        action: check.action,
        allowed: d.allowed,
        statement,
        ...(d.by?.sid ? { sid: d.by.sid } : {}),
        resource: check.resource,
        count: 1,
      });
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
    if (file && this.entries.size > 0)
      appendFileSync(
        file,
        this.all()
          .map((e) => JSON.stringify(e))
          .join('\n') + '\n',
      );
    this.entries.clear();
  }
}

/** The entries a run appended to an IAM log file (none if there is no file). */
export function readIamLog(file: string): IamEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as IamEntry);
}

/** Stores differ by prefix between tests: `<prefix>-<role>` is reported as its role (a unit or a state machine). */
export const roleOf = (principal: string): string => principal.replace(/^[^-]+-/, '');

/**
 * Each action a function is granted (lambda/access.ts) that no call of that function used,
 * as `<unit>: <action> on <target>`: a grant no test needs is one too many, or a path no
 * test covers.
 */
export function unusedGrants(entries: readonly IamEntry[]): string[] {
  const unused: string[] = [];
  for (const [unit, grants] of Object.entries(UNIT_GRANTS) as [UnitName, (typeof UNIT_GRANTS)[UnitName]][]) {
    for (const g of grants) {
      for (const action of g.actions) {
        if (!entries.some((e) => e.allowed && roleOf(e.principal) === unit && e.action === action && e.sid === g.on))
          unused.push(`${unit}: ${action} on ${g.on}`);
      }
    }
  }
  return unused;
}

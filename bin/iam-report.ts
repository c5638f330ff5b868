/**
 * `npm run iam:report [-- [--check] FILE]`: which calls each role made in a run of the
 * embedded system, and which statement of its policy allowed each (or that none did). Reads
 * the JSON lines the local system appends to $ALKI_IAM_LOG when it stops (`npm run
 * test:integration` writes .alki-iam.jsonl). With --check it fails if any action a function
 * is granted (lambda/access.ts) was never used by that function: a grant no test needs is
 * one too many, or a path no test covers.
 */
import { existsSync } from 'node:fs';
import { readIamLog, roleOf, unusedGrants, type IamEntry } from '../local/iam/iam-log.ts';

const args = process.argv.slice(2);
const check = args.includes('--check');
const file = args.find((a) => !a.startsWith('--')) ?? process.env.ALKI_IAM_LOG ?? '.alki-iam.jsonl';
if (!existsSync(file)) {
  console.error(`alki: no IAM log at ${file}; run the integration tests (npm run test:integration writes ${file})`);
  process.exit(2);
}
const entries = readIamLog(file);

if (check) {
  const unused = unusedGrants(entries);
  if (unused.length > 0) {
    console.error(`alki: granted but never used in this run (remove the grant, or cover the path with a test):\n  ${unused.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`iam: every granted action was used by its function (${entries.length} entries in ${file})`);
  process.exit(0);
}

const rows = new Map<string, IamEntry>();
for (const e of entries) {
  // Stores differ by prefix between tests: report by role (unit or state machine).
  const principal = roleOf(e.principal);
  // A function's own grants name their target in the Sid; other statements (invoke, logs) by policy.
  const statement = e.sid ?? e.statement;
  const key = `${principal}\t${e.action}\t${statement}\t${e.allowed}`;
  const row = rows.get(key);
  if (row) row.count += e.count;
  else
    rows.set(key, {
      ...e,
      principal,
      statement,
      resource: e.resource.replace(/table\/[^-]+-/, 'table/<prefix>-').replace(/:::[^-/]+-cold/, ':::<bucket>'),
      count: e.count,
    });
}
const sorted = [...rows.values()].sort((a, b) => a.principal.localeCompare(b.principal) || a.action.localeCompare(b.action));
console.log(['role', 'action', 'allowed by', 'calls', 'e.g. resource'].join('\t'));
for (const r of sorted) console.log([r.principal, r.action, r.allowed ? r.statement : 'DENIED', r.count, r.resource].join('\t'));
const denied = sorted.filter((r) => !r.allowed);
console.log(`\n${sorted.length} role/action pairs, ${denied.length} denied`);

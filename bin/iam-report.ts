/**
 * `npm run iam:report [-- FILE]`: which calls each role made in a run of the embedded system,
 * and which statement of its policy allowed each (or that none did). Reads the JSON lines the
 * local system appends to $ALKI_IAM_LOG (default .alki-iam.jsonl) when it stops; run the
 * integration tests with ALKI_IAM_LOG set to gather them (`npm run test:iam`).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IamEntry } from '../local/iam/iam-log.ts';

const file = process.argv[2] ?? process.env.ALKI_IAM_LOG ?? '.alki-iam.jsonl';
if (!existsSync(file)) {
  console.error(`alki: no IAM log at ${file}; run the integration tests with ALKI_IAM_LOG=${file}`);
  process.exit(2);
}
const rows = new Map<string, IamEntry>();
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const e = JSON.parse(line) as IamEntry;
  // Stores differ by prefix between tests: report by role (unit or state machine).
  const principal = e.principal.replace(/^[^-]+-/, '');
  const statement = e.statement.replace(/^Store(\w+?)Role.*#/, '$1#').replace(/^Store(\w+)StateMachineRole.*#/, '$1#');
  const key = `${principal}\t${e.action}\t${statement}\t${e.allowed}`;
  const row = rows.get(key);
  if (row) row.count += e.count;
  else rows.set(key, { ...e, principal, statement, resource: e.resource.replace(/table\/[^-]+-/, 'table/<prefix>-').replace(/:::[^-/]+-cold/, ':::<bucket>'), count: e.count });
}
const sorted = [...rows.values()].sort((a, b) => a.principal.localeCompare(b.principal) || a.action.localeCompare(b.action));
console.log(['role', 'action', 'allowed by', 'calls', 'e.g. resource'].join('\t'));
for (const r of sorted) console.log([r.principal, r.action, r.allowed ? r.statement : 'DENIED', r.count, r.resource].join('\t'));
const denied = sorted.filter((r) => !r.allowed);
console.log(`\n${sorted.length} role/action pairs, ${denied.length} denied`);

// One IAM log per run: every local system a test starts appends its role decisions to it
// when it stops, and the least-privilege test reads them last. Set before the workers start,
// so they inherit it.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

export default function globalSetup() {
  process.env.ALKI_IAM_LOG ??= resolve('.alki-iam.jsonl');
  rmSync(process.env.ALKI_IAM_LOG, { force: true });
}

// One IAM log per run: every local system a test starts appends its role decisions to it
// when it stops, and the least-privilege test reads them last. Set before the workers start,
// so they inherit it. `npm run test:integration` runs the integration tests on two workers,
// then the least-privilege test in a second jest run that keeps the log (ALKI_IAM_LOG_KEEP).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

export default function globalSetup() {
  // Failures are injected by the hundred: the functions' own log lines stay quiet unless asked
  // for (ALKI_LOG_LEVEL=ERROR npm test). Tests of the logs set their level themselves.
  process.env.ALKI_LOG_LEVEL ??= 'SILENT';
  process.env.ALKI_IAM_LOG ??= resolve('.alki-iam.jsonl');
  if (!process.env.ALKI_IAM_LOG_KEEP) rmSync(process.env.ALKI_IAM_LOG, { force: true });
}

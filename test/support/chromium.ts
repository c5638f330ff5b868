/**
 * A headless Chromium for the browser tests: $CHROMIUM_PATH, or one installed on the
 * machine, or (as root, as on CI's fresh machine) Debian's `chromium` installed now.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

const found = (): string | undefined => [process.env.CHROMIUM_PATH, ...CANDIDATES].find((p): p is string => p !== undefined && existsSync(p));

export function chromiumPath(): string {
  const have = found();
  if (have) return have;
  if (process.getuid?.() !== 0) throw new Error("no Chromium found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH");
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'ignore', timeout: 600_000 });
  const installed = found();
  if (!installed) throw new Error('apt-get install chromium finished, but no chromium binary was found');
  return installed;
}

/**
 * The cloud assembly `cdk deploy` would deploy: the CDK app run exactly as the CDK CLI runs
 * it (`CDK_OUTDIR`, `CDK_CONTEXT_JSON` from cdk.json), bundles included. Kept under
 * node_modules/.cache keyed by a hash of every input (the app, the handlers, the ASL files,
 * cdk.json and the lock file), so a test run synthesizes at most once per code change.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPLICATION_ROLE_CONTEXT } from '../../lib/alki-stack.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INPUTS = ['bin/alki.ts', 'lib', 'lambda', 'statemachines', 'cdk.json', 'package-lock.json'];
const CACHE = join(ROOT, 'node_modules', '.cache', 'alki-synth');

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((f) => files(join(path, f)));
}

/** The hash of everything the assembly is made from. */
export function inputsHash(): string {
  const h = createHash('sha256');
  for (const f of INPUTS.flatMap((i) => files(join(ROOT, i)))) {
    h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex').slice(0, 24);
}

export interface Assembly {
  /** The cloud assembly directory (template and bundled assets). */
  readonly dir: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

const STACK = 'Alki';

/** The assembly for the current sources: from the cache, or synthesized now (about 10 s). */
export function synthesizedAssembly(log: (line: string) => void = () => undefined): Assembly {
  const dir = join(CACHE, inputsHash());
  if (!existsSync(join(dir, `${STACK}.template.json`))) {
    log('synthesizing the CDK app (cached until the sources change)...');
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const context = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
    execFileSync(process.execPath, [join(ROOT, 'bin/alki.ts')], {
      cwd: ROOT,
      // What the CLI adds to cdk.json's context: path and asset metadata in the template.
      env: {
        ...process.env,
        CDK_OUTDIR: tmp,
        CDK_CONTEXT_JSON: JSON.stringify({
          ...context,
          'alki:stackName': STACK,
          [APPLICATION_ROLE_CONTEXT]: true,
          'aws:cdk:enable-path-metadata': true,
          'aws:cdk:enable-asset-metadata': true,
        }),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process finished the same synthesis first: its result is the same.
      rmSync(tmp, { recursive: true, force: true });
    }
    // Assemblies of earlier sources, unused for an hour, go (each holds ten bundles).
    // Other test workers may be synthesizing beside this one: their temporary folders are
    // theirs, and an entry can vanish between the listing and its stat.
    for (const old of readdirSync(CACHE)) {
      const path = join(CACHE, old);
      if (path === dir || old.includes('.tmp-')) continue;
      try {
        if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  return { dir, stackName: STACK, template: JSON.parse(readFileSync(join(dir, `${STACK}.template.json`), 'utf8')) as CfnTemplate };
}

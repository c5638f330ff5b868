/**
 * The package as an application installs it: `npm pack` (which builds dist/), the tarball
 * unpacked into a fresh CDK app's node_modules, an AlkiStore defined there with an
 * application function granted direct and API access, synthesized with cdk-nag's
 * AwsSolutions checks (a finding fails the synth), and the granted actions read back from
 * the template. The app resolves aws-cdk-lib and the SDK from this repository's
 * node_modules (a parent folder), as a workspace would; the package's own files, entry
 * points and declarations are what is tested.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { DIRECT_GRANTS } from '../../lambda/access.ts';
import { mergeGrants } from '../../lambda/store/grants.ts';
import { ROUTES } from '../../lambda/api/routes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = join(ROOT, 'node_modules', '.cache', `alki-pack-${process.pid}`);
const APP = join(WORK, 'app');

const APP_SOURCE = `
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlkiStore } from 'alki/cdk';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer');
const store = new AlkiStore(stack, 'Store', { prefix: 'consumer' });
const role = new Role(stack, 'AppRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
const fn = new Function(stack, 'App', {
  runtime: Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: Code.fromInline('exports.handler = async () => ({})'),
  role,
  environment: { ...store.directEnvironment },
});
store.grantDirectReadWrite(fn);
store.grantWrite(fn);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

describe('the package', () => {
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  let packed: string[];

  beforeAll(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(join(APP, 'node_modules', 'alki'), { recursive: true });
    const [info] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', WORK], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as { filename: string; files: { path: string }[] }[];
    packed = info!.files.map((f) => f.path);
    execFileSync('tar', ['-xzf', join(WORK, info!.filename), '-C', join(APP, 'node_modules', 'alki'), '--strip-components=1']);
    writeFileSync(join(APP, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(APP, 'app.js'), APP_SOURCE);
    const out = join(WORK, 'cdk.out');
    execFileSync(process.execPath, ['app.js', out], { cwd: APP, stdio: ['ignore', 'pipe', 'pipe'] });
    template = JSON.parse(readFileSync(join(out, 'Consumer.template.json'), 'utf8'));
  }, 300_000);
  afterAll(() => rmSync(WORK, { recursive: true, force: true }));

  it('holds the built JavaScript, its declarations and the state machines, and no TypeScript source or tests', () => {
    for (const f of [
      'dist/client/index.js',
      'dist/client/index.d.ts',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lambda/ingest/handler.js',
      'dist/statemachines/lifecycle.asl.json',
      'bin/alki-cli.js',
    ]) {
      assert.ok(packed.includes(f), `${f} is not in the package`);
    }
    assert.deepEqual(
      packed.filter((f) => (f.endsWith('.ts') && !f.endsWith('.d.ts')) || f.startsWith('test/') || f.startsWith('local/')),
      [],
    );
  });

  it('gives applications the client from alki/client', () => {
    const probe = `import { AlkiClient, AlkiApiError } from 'alki/client';
const c = new AlkiClient({ url: 'http://127.0.0.1:9' });
const e = await c.status().catch((x) => x);
console.log(JSON.stringify({ client: typeof c.writer, error: e instanceof AlkiApiError, code: e.code }));`;
    writeFileSync(join(APP, 'probe.js'), probe);
    const out = JSON.parse(execFileSync(process.execPath, ['probe.js'], { cwd: APP, encoding: 'utf8' })) as { client: string; error: boolean; code: string };
    assert.deepEqual(out, { client: 'function', error: true, code: 'ConnectionFailed' });
  });

  it('synthesizes an AlkiStore in another app, cdk-nag clean, with its functions bundled from the package', () => {
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    assert.equal(fns.length, 13, "twelve functions of the store and the application's");
    assert.ok(existsSync(join(WORK, 'cdk.out')));
  });

  it("grants the application exactly what direct mode's calls need, and execute-api:Invoke on the write routes only", () => {
    const roleId = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('AppRole'))![0];
    const statements = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((x) => x.Ref === roleId))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const actions = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    const direct = mergeGrants(DIRECT_GRANTS.write, DIRECT_GRANTS.read).flatMap((g) => g.actions);
    assert.deepEqual([...actions].sort(), [...new Set([...direct, 'execute-api:Invoke'])].sort());
    const invoke = statements.filter((s) => s.Action === 'execute-api:Invoke' || (Array.isArray(s.Action) && s.Action.includes('execute-api:Invoke')));
    const resources = JSON.stringify(invoke.map((s) => s.Resource));
    const writes = ROUTES.filter((r) => r.unit === 'ingest');
    for (const r of writes) assert.ok(resources.includes(`/$default/${r.method}${r.path.replace(/\{\w+\+?\}/g, '*')}`), `${r.method} ${r.path} is not granted`);
    for (const r of ROUTES.filter((x) => x.unit !== 'ingest'))
      assert.ok(!resources.includes(`/$default/${r.method}${r.path.replace(/\{\w+\+?\}/g, '*')}"`), `${r.method} ${r.path} is granted`);
    // The conditions that narrow index-table items (checkpoints, written marks) come with them.
    assert.ok(statements.some((s) => JSON.stringify(s.Condition ?? {}).includes('dynamodb:LeadingKeys')));
  });
});

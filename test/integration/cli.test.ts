/** The `alki` command against the embedded system, as a user runs it (a child process). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LocalSystem } from '../../local/system.ts';
import { startTestSystem } from '../support/system.ts';

const CLI = fileURLToPath(new URL('../../bin/alki-cli.js', import.meta.url));

function alki(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--url', url], (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('alki CLI', () => {
  let sys: LocalSystem;
  before(async () => {
    sys = await startTestSystem();
    await sys.rotateNow();
  });
  after(() => sys.stop());

  it('puts, gets, queries, deletes and lists runs', async () => {
    const put = await alki(sys.url, 'put', 'team 1', 'a/b#1', '{"x":1}');
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /^ok seq=\d+/);
    await alki(sys.url, 'put', 'team 1', 'a/b#2', '"two"');
    const get = await alki(sys.url, 'get', 'team 1', 'a/b#1', '--json');
    assert.deepEqual(JSON.parse(get.stdout).value, { x: 1 });
    const q = await alki(sys.url, 'query', 'team 1', '--desc', '--limit', '1', '--all');
    assert.equal(q.stdout, 'a/b#2\t"two"\na/b#1\t{"x":1}\n');
    const del = await alki(sys.url, 'del', 'team 1', 'a/b#1');
    assert.match(del.stdout, /^deleted seq=\d+/);
    const gone = await alki(sys.url, 'get', 'team 1', 'a/b#1');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /404 NotFound/);
    const runs = await alki(sys.url, 'runs', '--json');
    assert.ok(JSON.parse(runs.stdout).runs.length >= 3);
  });

  it('explains bad usage and bad values, exiting 2', async () => {
    const bad = await alki(sys.url, 'put', 'p', 's', 'not json');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /must be JSON/);
    const usage = await alki(sys.url, 'frobnicate');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown command/);
  });

  it('says when the server cannot be reached', async () => {
    const r = await alki('http://127.0.0.1:9', 'runs');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach .* Is it running/);
  });
});

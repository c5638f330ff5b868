/** The `alki` command against the embedded system, as a user runs it (a child process). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  beforeAll(async () => {
    sys = await startTestSystem();
    await sys.runLifecycle();
  });
  afterAll(() => sys.stop());

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

  it('imports files (in parts when large), reports invalid lines, and checks the migration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alki-import-'));
    const lines: string[] = [];
    for (let i = 0; i < 110_000; i++)
      lines.push(
        JSON.stringify({ pk: `acct-${i % 50}`, sk: `2024-01-01T00:00:${String(i).padStart(6, '0')}`, value: { i, who: 'migrated-user@example.com' } }),
      );
    const big = join(dir, 'big.ndjson');
    writeFileSync(big, lines.join('\n') + '\n');
    const small = join(dir, 'small.ndjson');
    writeFileSync(small, '{"pk":"acct-x","sk":"1","value":1,"timestamp":"2023-02-03T04:05:06Z"}\nnot json\n{"pk":"acct-x","sk":"2","value":2}\n');

    const strict = await alki(sys.url, 'import', big, small);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /failed/);
    assert.match(strict.stdout, new RegExp(`${small.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not JSON`));

    const ok = await alki(sys.url, 'import', big, small, '--skip-invalid');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /succeeded/);
    assert.match(ok.stdout, /lines 110003, valid 110002, invalid 1, duplicate keys 0, records imported 110002/);

    const clean = await alki(sys.url, 'check', big, small, '--json');
    assert.equal(clean.code, 0, clean.stderr);
    const report = JSON.parse(clean.stdout) as { records: number; matching: number; queries: number; invalidLines: number };
    assert.equal(report.records, 110_002);
    assert.equal(report.matching, 110_002);
    assert.equal(report.invalidLines, 1);
    assert.ok(report.queries <= 51 * 3, `${report.queries} queries: range queries per partition, not a GET per record`);

    // A newer live write, a deleted record, and a source value that differs from what was imported.
    await alki(sys.url, 'put', 'acct-3', '2024-01-01T00:00:000003', '{"edited":true}');
    await alki(sys.url, 'del', 'acct-4', '2024-01-01T00:00:000004');
    writeFileSync(small, '{"pk":"acct-x","sk":"1","value":1,"timestamp":"2023-02-03T04:05:06Z"}\n{"pk":"acct-x","sk":"2","value":"changed at the source"}\n');
    const drift = await alki(sys.url, 'check', big, small);
    assert.equal(drift.code, 1);
    assert.match(drift.stdout, /matching 109999, missing 1, different 1, newer in Alki 1/);
    assert.match(drift.stdout, /missing: acct-4 \/ 2024-01-01T00:00:000004/);
    assert.match(drift.stdout, /different: acct-x \/ 2: expected "changed at the source", Alki has 2/);
  });

  it('writes conditionally, and answers a failed precondition with the current ETag', async () => {
    const first = await alki(sys.url, 'put', 'locks', 'job-7', '{"owner":"a"}', '--if-none-match', '--json');
    assert.equal(first.code, 0, first.stderr);
    const seq = (JSON.parse(first.stdout) as { seq: number }).seq;
    const taken = await alki(sys.url, 'put', 'locks', 'job-7', '{"owner":"b"}', '--if-none-match');
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, new RegExp(`412 PreconditionFailed: .*current ETag "${seq}"`));
    assert.equal((await alki(sys.url, 'del', 'locks', 'job-7', '--if-match', String(seq))).code, 0);
    assert.equal((await alki(sys.url, 'put', 'x', 'y', '1', '--if-match', '1', '--if-none-match')).code, 2);
  });

  it('makes, lists and deletes checkpoints, and exports the store sorted into a directory', async () => {
    const made = await alki(sys.url, 'checkpoint', 'create', '--ttl', '2h', '--json');
    assert.equal(made.code, 0, made.stderr);
    const id = (JSON.parse(made.stdout) as { id: string }).id;
    assert.match((await alki(sys.url, 'checkpoint', 'list')).stdout, new RegExp(id));
    // The imported runs are cold: the checkpoint holds them, the current period's writes are after it.
    const got = await alki(sys.url, 'get', 'acct-1', '2024-01-01T00:00:000001', '--checkpoint', id, '--json');
    assert.deepEqual((JSON.parse(got.stdout) as { value: unknown }).value, { i: 1, who: 'migrated-user@example.com' });
    const out = mkdtempSync(join(tmpdir(), 'alki-export-'));
    const exported = await alki(sys.url, 'export', '--checkpoint', id, '--out', out, '--json');
    assert.equal(exported.code, 0, exported.stderr);
    const r = JSON.parse(exported.stdout) as { records: number; files: string[] };
    assert.equal(r.records, 110_002);
    const lines = r.files.flatMap((f) =>
      gunzipSync(readFileSync(f))
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
    assert.equal(lines.length, 110_002);
    const keys = lines.map((l) => JSON.parse(l) as { pk: string; sk: string });
    for (let i = 1; i < keys.length; i++)
      assert.ok(
        Buffer.compare(Buffer.from(`${keys[i - 1]!.pk}\u0000${keys[i - 1]!.sk}`), Buffer.from(`${keys[i]!.pk}\u0000${keys[i]!.sk}`)) < 0,
        `line ${i} out of order`,
      );
    assert.equal((await alki(sys.url, 'checkpoint', 'delete', id)).code, 0);
    assert.equal((await alki(sys.url, 'export', '--out', out, '--checkpoint', id)).code, 1);
    assert.equal((await alki(sys.url, 'export')).code, 2, 'needs --out');
  });
});

/**
 * Bulk import on the embedded system, through the HTTP API and presigned uploads, the import
 * state machine run from its ASL file: a few hundred thousand records in two files (sent
 * in parts), with repeated keys, explicit versions, invalid lines, and live writes to the
 * same keys before and after. Reads equal a model; the report counts what it should.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { ImportStatus } from '../../lambda/core/import-format.ts';
import type { LocalSystem } from '../../local/system.ts';
import { ndjson, startImport, waitForImport } from '../support/imports.ts';
import { assertReadsMatch, httpWriter, Model, prng, randomWrites } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

describe('bulk import', () => {
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ prefix: 'imp', spillBytes: 4 << 20, rangeBytes: 8 << 20, blockBytes: 16 << 10, blobBytes: 1 << 20 }, { retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it('imports 300,000 lines with duplicates and invalid lines; live writes before and after win by version', async () => {
    const model = new Model();
    const rng = prng(11);
    const pks = Array.from({ length: 40 }, (_, i) => `team-${String(i).padStart(3, '0')}`);
    // Live writes first: they must win over untimed imported versions of the same keys.
    const live = httpWriter(sys.url, model);
    for (let i = 0; i < 20; i++) {
      await live.write(
        Array.from({ length: 50 }, (_, j) => ({
          pk: pks[(i + j) % 40]!,
          sk: `ev-${String(Math.floor(rng() * 50_000)).padStart(7, '0')}`,
          value: { live: 'before', i, j },
        })),
      );
    }
    let order = 0;
    const files = [0, 1].map(() => ndjson(model, rng, 150_000, { pks: 40, sks: 50_000, invalidEvery: 1499, order: () => ++order }));
    const id = await startImport(
      sys.url,
      files.map((f) => f.text),
      { onInvalid: 'skip', partBytes: 5 << 20 },
    );
    const status = await waitForImport(sys.url, id);
    assert.equal(status.state, 'succeeded', status.cause);
    const invalid = files.reduce((a, f) => a + f.invalid.length, 0);
    const valid = files.reduce((a, f) => a + f.valid, 0);
    assert.ok(status.counts);
    assert.equal(status.counts.lines, 300_000);
    assert.equal(status.counts.invalid, invalid);
    assert.equal(status.counts.valid, valid);
    assert.equal(status.counts.records + status.counts.duplicates, valid);
    assert.ok(status.counts.duplicates > 10_000, `${status.counts.duplicates} duplicates`);
    // Errors name the file and line of each invalid line, in order (the first 100).
    const expected = files.flatMap((f, file) => f.invalid.map((line) => ({ file, line }))).slice(0, 100);
    assert.deepEqual(
      status.errors.map(({ file, line }) => ({ file, line })),
      expected,
    );
    assert.ok(status.errors.every((e) => e.reason.length > 0));
    const run = (await sys.dataPlane.manifest()).runs.find((r) => r.id === status.run)!;
    assert.equal(run.count, status.counts.records);
    assert.ok(status.bytes! > 0);

    // Live writes after the import: newer, they win.
    await randomWrites(live, rng, pks.slice(0, 5), 500, 'after');
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { gets: 50, ranges: 1, pageSize: 1000, partitions: 8 });
  });

  it('with onInvalid "fail" (the default) commits nothing and lists the invalid lines', async () => {
    const model = new Model();
    let order = 0;
    const f = ndjson(model, prng(3), 2000, { pks: 5, sks: 1000, invalidEvery: 400, order: () => ++order });
    const before = await sys.dataPlane.manifests.read();
    const id = await startImport(sys.url, [f.text]);
    const status = await waitForImport(sys.url, id);
    assert.equal(status.state, 'failed');
    assert.match(status.cause!, /5 invalid lines/);
    assert.deepEqual(
      status.errors.map((e) => e.line),
      f.invalid,
    );
    assert.equal(status.counts?.invalid, 5);
    assert.deepEqual((await sys.dataPlane.manifests.read()).runs, before.runs);
    const exec = sys.stepFunctions.executions().find((e) => e.name === `${id}-1`)!;
    assert.equal(exec.status, 'FAILED');
    assert.equal(exec.error, 'InvalidLines');
  });

  it('rejects bad requests with a clear error and changes nothing', async () => {
    const api = client(sys.url);
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/imports', { format: 'csv' }, 400, 'InvalidImport'],
      ['POST', '/v1/imports', { format: 'ndjson', files: 0 }, 400, 'InvalidImport'],
      ['POST', '/v1/imports', { format: 'ndjson', files: 2, parts: [1] }, 400, 'InvalidImport'],
      ['POST', '/v1/imports', { format: 'ndjson', onInvalid: 'ignore' }, 400, 'InvalidImport'],
      ['POST', '/v1/imports/NOT-AN-ID/commit', {}, 400, 'InvalidImportId'],
      ['POST', '/v1/imports/0123456789abcdef0123/commit', {}, 404, 'NotFound'],
      ['GET', '/v1/imports/0123456789abcdef0123', undefined, 404, 'NotFound'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await api.call<{ error: { code: string; message: string } }>(method, path, body);
      assert.equal(r.status, status, `${method} ${path}`);
      assert.equal(r.body.error.code, code);
      assert.ok(r.body.error.message.length > 0);
    }
    // Committing before the files are uploaded: 409, and the import still awaits them.
    const c = await api.call<{ id: string }>('POST', '/v1/imports', { format: 'ndjson', files: 2 });
    const r = await api.call<{ error: { code: string; message: string } }>('POST', `/v1/imports/${c.body.id}/commit`, {});
    assert.equal(r.status, 409);
    assert.match(r.body.error.message, /not uploaded yet: 0, 1/);
    assert.equal((await api.call<ImportStatus>('GET', `/v1/imports/${c.body.id}`)).body.state, 'awaiting-upload');
  });

  it('hands out part URLs a page at a time, at most 1,000 in an answer, signs them again on demand, and refuses what does not fit', async () => {
    const api = client(sys.url);
    type Multipart = { file: number; uploadId: string; parts: number; partUrls: string[]; nextPart?: number };
    type Page = { file: number; uploadId: string; parts: number; from: number; partUrls: string[]; nextPart?: number; expiresAt: string };
    const created = await api.call<{ id: string; uploads: Multipart[]; expiresAt: string }>('POST', '/v1/imports', {
      format: 'ndjson',
      files: 3,
      parts: [700, 700, 10_000],
    });
    assert.equal(created.status, 201);
    const [a, b, c] = created.body.uploads;
    assert.deepEqual([a!.partUrls.length, a!.nextPart], [700, undefined]);
    assert.deepEqual([b!.partUrls.length, b!.nextPart, c!.partUrls.length, c!.nextPart], [300, 301, 0, 1]);
    assert.ok(Buffer.byteLength(JSON.stringify(created.body)) < 6_000_000);
    const page = (q: string) => api.call<Page>('GET', `/v1/imports/${created.body.id}/parts?${q}`);
    const rest = await page('file=1&part=301');
    assert.equal(rest.status, 200);
    assert.deepEqual([rest.body.from, rest.body.partUrls.length, rest.body.nextPart, rest.body.uploadId], [301, 400, undefined, b!.uploadId]);
    assert.match(rest.body.partUrls[0]!, /partNumber=301/);
    const big = await page('file=2&part=9001');
    assert.deepEqual([big.body.partUrls.length, big.body.nextPart], [1000, undefined]);
    const again = await page('file=0&limit=2');
    assert.deepEqual([again.body.from, again.body.partUrls.length, again.body.nextPart], [1, 2, 3]);
    assert.ok(Date.parse(again.body.expiresAt) > Date.now() && Date.parse(again.body.expiresAt) <= Date.now() + 3_600_000);
    for (const [q, status] of [
      ['file=7', 400],
      ['file=0&part=701', 400],
      ['file=0&limit=1001', 400],
      ['file=0&part=0', 400],
      ['part=1', 400],
      ['file=0&extra=1', 400],
    ] as const) {
      const r = await api.call<{ error: { code: string } }>('GET', `/v1/imports/${created.body.id}/parts?${q}`);
      assert.equal(r.status, status, q);
      assert.ok(['InvalidImport', 'InvalidQuery', 'InvalidLimit'].includes(r.body.error.code), `${q}: ${r.body.error.code}`);
    }
    // A single-URL file has no parts; an unknown import is 404.
    const single = await api.call<{ id: string }>('POST', '/v1/imports', { format: 'ndjson' });
    assert.equal((await api.call('GET', `/v1/imports/${single.body.id}/parts?file=0`)).status, 400);
    assert.equal((await api.call('GET', '/v1/imports/0123456789abcdef0123/parts?file=0')).status, 404);
  });
});

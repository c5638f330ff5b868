/**
 * Purge deadlines on the embedded system, through the HTTP API and the real lifecycle: with
 * `purgeWithin`, a deleted or expired record's value is gone from every object of the bucket
 * (current and noncurrent versions: the local bucket is versioned as the deployed one is) and
 * from every table within the deadline, however old the run that held it. maxLevel 2 keeps
 * the oldest runs out of the logarithmic merge, so only purge rewrites can reach them.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { clockedSystem } from '../support/clocked.ts';
import { startImport, waitForImport } from '../support/imports.ts';
import { tinyStore } from '../support/lifecycle.ts';
import { whereStored } from '../support/stored.ts';

const START = Date.UTC(2026, 10, 23, 12, 0, 0) + 5_000;
const PERIOD = 60_000;
const WITHIN = 600_000;

describe('purge deadlines: deletes', () => {
  const settings = tinyStore('purge', { periodMs: PERIOD, sealGraceMs: 2_000, gcGraceMs: 4_000, maxLevel: 2, purgeWithinMs: WITHIN });
  const h = clockedSystem(settings, START);

  it('keeps what a put replaces or a delete removes as a noncurrent version, until deleted by its version id', async () => {
    const { s3, bucket } = h.sys.store;
    const [one, two] = ['VERSION-ONE-4f1c', 'VERSION-TWO-8a2e'];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'v/x', Body: one }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'v/x', Body: two }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'v/x' }));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'v/x' })), { name: 'NoSuchKey' });
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'v/' }));
    assert.equal(listed.Versions?.length, 2);
    assert.equal(listed.DeleteMarkers?.length, 1);
    assert.ok(listed.DeleteMarkers![0]!.IsLatest);
    const stored = await whereStored(h.sys, [one, two]);
    for (const [m, v] of [
      [one, listed.Versions![0]!],
      [two, listed.Versions![1]!],
    ] as const) {
      assert.equal(v.IsLatest, false);
      assert.deepEqual(stored.get(m), [`s3:v/x@${v.VersionId}`], m);
    }
    for (const v of [...listed.Versions!, ...listed.DeleteMarkers!])
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'v/x', VersionId: v.VersionId! }));
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'v/' }));
    assert.equal((after.Versions ?? []).length + (after.DeleteMarkers ?? []).length, 0);
    assert.equal((await whereStored(h.sys, [one, two])).size, 0);
  });

  it("removes a deleted record's value from every object version and table within the deadline, and keeps every other record", async () => {
    const secret = (p: number, i: number): string => `SECRET-${p}-${i}-${'x'.repeat(40)}`;
    const written: { pk: string; sk: string; marker: string }[] = [];
    // Imported records too: their uploads go by GC, every version of them.
    const imported = Array.from({ length: 30 }, (_, i) => ({ pk: 'c', sk: `imp-${String(i).padStart(3, '0')}`, marker: `IMPORTED-${i}-${'w'.repeat(40)}` }));
    const id = await startImport(h.sys.url, [imported.map((r) => JSON.stringify({ pk: r.pk, sk: r.sk, value: { secret: r.marker } })).join('\n')]);
    assert.equal((await waitForImport(h.sys.url, id)).state, 'succeeded');
    written.push(...imported);
    for (let p = 0; p < 8; p++) {
      for (let i = 0; i < 24; i++) {
        const pk = ['a', 'b', 'c'][i % 3]!;
        const sk = `p${p}-${String(i).padStart(3, '0')}`;
        const r = await h.api.put(pk, sk, { secret: secret(p, i) });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        written.push({ pk, sk, marker: secret(p, i) });
      }
      await h.nextPeriod();
    }
    const runs = async () => (await h.api.call<{ runs: { id: string; level: number; tier: string; madeBy?: string }[] }>('GET', '/v1/runs')).body.runs;
    assert.ok((await runs()).filter((r) => r.tier === 'cold' && r.level === 2).length >= 1, JSON.stringify(await runs()));

    // Delete a third of them (old ones, deep in level-2 runs), and some written and deleted in this same period.
    const doomed = written.filter((_, i) => i % 3 === 0);
    for (const d of doomed) assert.equal((await h.api.del(d.pk, d.sk)).status, 200);
    for (let i = 0; i < 5; i++) {
      const marker = `FRESH-${i}-${'y'.repeat(40)}`;
      await h.api.put('a', `fresh-${i}`, { secret: marker });
      await h.api.del('a', `fresh-${i}`);
      doomed.push({ pk: 'a', sk: `fresh-${i}`, marker });
    }
    const deletedAt = h.clock.now();
    const markers = doomed.map((d) => d.marker);
    assert.ok((await whereStored(h.sys, markers)).size > 0, 'before the purge, the values are stored');

    while (h.clock.now() < deletedAt + WITHIN) await h.nextPeriod();
    const left = await whereStored(h.sys, markers);
    assert.deepEqual([...left.entries()].slice(0, 3), [], `${left.size} deleted values still stored`);

    // Every other record is still there, and reads agree.
    const kept = written.filter((w) => !doomed.includes(w));
    const found = await whereStored(
      h.sys,
      kept.map((k) => k.marker),
    );
    assert.equal(found.size, kept.length);
    for (const k of kept.filter((_, i) => i % 7 === 0)) assert.deepEqual((await h.api.get(k.pk, k.sk)).body.value, { secret: k.marker });
    for (const d of doomed.filter((_, i) => i % 7 === 0)) assert.equal((await h.api.get(d.pk, d.sk)).status, 404);
    // It took purge rewrites: the logarithmic merge never merges level-2 runs.
    assert.ok(
      (await runs()).some((r) => r.level === 2 && r.madeBy === 'purge'),
      JSON.stringify(await runs()),
    );
  });
});

describe('purge deadlines: retention', () => {
  const settings = tinyStore('expire', { periodMs: PERIOD, sealGraceMs: 2_000, gcGraceMs: 4_000, maxLevel: 6, retentionMs: 3 * PERIOD, purgeWithinMs: WITHIN });
  const h = clockedSystem(settings, START);

  it("removes an expired record's value from everything within the deadline after it expired", async () => {
    const written: { at: number; pk: string; sk: string; marker: string }[] = [];
    for (let p = 0; p < 24; p++) {
      for (let i = 0; i < 6; i++) {
        const marker = `EXPIRING-${p}-${i}-${'z'.repeat(40)}`;
        const sk = `p${String(p).padStart(2, '0')}-${i}`;
        assert.equal((await h.api.put('e', sk, { secret: marker })).status, 200);
        written.push({ at: h.clock.now(), pk: 'e', sk, marker });
      }
      await h.nextPeriod();
      const overdue = written.filter((w) => w.at + settings.retentionMs! + WITHIN <= h.clock.now());
      const left = await whereStored(
        h.sys,
        overdue.map((w) => w.marker),
      );
      assert.equal(
        left.size,
        0,
        `period ${p}: ${[...left.entries()]
          .slice(0, 2)
          .map(([m, w]) => `${m.slice(0, 14)} in ${w.join(', ')}`)
          .join('; ')}`,
      );
    }
    // What has not expired is read as written.
    const fresh = written.filter((w) => w.at + settings.retentionMs! > h.clock.now() + 1000);
    assert.ok(fresh.length > 0);
    for (const w of fresh) assert.deepEqual((await h.api.get(w.pk, w.sk)).body.value, { secret: w.marker });
  });
});

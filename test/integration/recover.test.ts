/**
 * Recovery from the bucket alone (`alki recover`, lambda/recover/): a store written, offloaded
 * and compacted on the embedded system loses its index table; recovery rebuilds the manifest
 * and every run's index from the bucket's newest manifest snapshot and the runs' blobs,
 * registers the hot tables that still hold unoffloaded writes, and the store reads as its
 * model says and goes on (writes, lifecycle, compaction of recovered runs). A corrupted or
 * missing object makes recovery name exactly the runs it cannot rebuild, and commit nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { OBJECTS, snapshotVersion } from '../../lambda/core/schema.ts';
import { recoverStore } from '../../lambda/recover/from-env.ts';
import type { LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, directWriter, ManualClock, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('rec');
const PKS = ['tenant-a', 'tenant-b', 'ünï/cødé'];

describe('recovery from the bucket', () => {
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 12, 0, 0) + 500);
  const model = new Model();
  const rng = prng(26);
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { clock: clock.now, retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  const deleteIndexTable = async (): Promise<void> => {
    await sys.store.ddb.send(new DeleteTableCommand({ TableName: sys.store.indexTable }));
  };

  it('rebuilds a deleted index table from the bucket: reads, queries, writes and the lifecycle go on', async () => {
    const writer = directWriter(sys.dataPlane, model);
    for (let p = 0; p < 6; p++) {
      await randomWrites(writer, rng, PKS, 60, `p${p}`);
      clock.advance(SETTINGS.periodMs);
      assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    }
    // Writes not yet offloaded: in the current period's table, and in a sealed one.
    await randomWrites(writer, rng, PKS, 40, 'sealed');
    clock.advance(SETTINGS.periodMs);
    await randomWrites(writer, rng, PKS, 40, 'current');
    // Long enough after both seals that a read skips an unmarked table as known empty: recovery must mark them.
    clock.advance(SETTINGS.periodMs + SETTINGS.sealGraceMs);
    const before = await sys.manifests.read();
    assert.ok(
      before.runs.some((r) => r.tier === 'cold' && r.level > 0),
      'a compacted run',
    );
    assert.ok(before.runs.filter((r) => r.tier === 'hot').length >= 2, 'hot tables holding writes');
    // Every commit left its snapshot: the newest is the manifest's version.
    const snapshots = await sys.cold.bucket.list(OBJECTS.manifestsRoot);
    assert.equal(snapshotVersion(snapshots[0]!.key), before.version);

    await deleteIndexTable();
    const lines: string[] = [];
    const report = await recoverStore(sys.env, { createTable: true, log: (l) => lines.push(l) });
    assert.deepEqual(report.failed, []);
    assert.equal(report.snapshot.version, before.version);
    const cold = before.runs.filter((r) => r.tier === 'cold');
    assert.deepEqual(report.rebuilt.map((r) => r.id).sort(), cold.map((r) => r.id).sort());
    for (const r of cold) assert.equal(report.rebuilt.find((x) => x.id === r.id)!.records, r.count, r.id);
    assert.deepEqual(
      [...report.hotTables.kept].sort(),
      before.runs
        .filter((r) => r.tier === 'hot')
        .map((r) => r.table)
        .sort(),
    );
    assert.deepEqual(report.hotTables.missing, []);
    assert.equal(report.manifestVersion, before.version + 1);
    const after = await sys.manifests.read();
    assert.deepEqual(
      after.runs.map((r) => r.id),
      before.runs.map((r) => r.id),
    );
    assert.ok(
      lines.some((l) => l.startsWith('created the index table')),
      lines.join('\n'),
    );

    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { ranges: 3, pageSize: 9 });

    // The store goes on: writes, offloads, compactions of recovered runs, GC.
    for (let p = 0; p < 4; p++) {
      assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
      await randomWrites(writer, rng, PKS, 50, `after${p}`);
      clock.advance(SETTINGS.periodMs);
    }
    clock.advance(SETTINGS.sealGraceMs + SETTINGS.gcGraceMs + 1);
    for (let i = 0; i < 2; i++) assert.equal((await sys.runLifecycle()).status, 'SUCCEEDED');
    const later = await sys.manifests.read();
    assert.ok(
      cold.some((r) => !later.runs.some((x) => x.id === r.id)),
      'a recovered run was compacted away',
    );
    sys.refreshManifests();
    await assertReadsMatch(sys.url, model, rng, { ranges: 3, pageSize: 9 });
  });

  it('refuses a table that holds a manifest, and names exactly the runs whose objects are corrupt or missing, committing nothing', async () => {
    await assert.rejects(recoverStore(sys.env), /already holds a manifest/);
    const m = await sys.manifests.read();
    const cold = m.runs.filter((r) => r.tier === 'cold' && (r.blobs ?? 0) > 0);
    assert.ok(cold.length >= 2, `${cold.length} cold runs`);
    const [corrupt, missing] = [cold[0]!, cold[cold.length - 1]!];
    const blobsOf = async (id: string) => (await sys.cold.bucket.list(OBJECTS.runPrefix(id))).filter((o) => o.key.endsWith('.blob'));
    const victim = (await blobsOf(corrupt.id))[0]!;
    // One byte changed in the middle of a block: its checksum no longer matches.
    const bytes = await sys.cold.bucket.reader(victim.key).read(0, victim.size);
    const at = Math.floor(bytes.length / 4);
    bytes[at] = bytes[at]! ^ 0xff;
    await sys.store.s3.send(new PutObjectCommand({ Bucket: sys.store.bucket, Key: victim.key, Body: bytes }));
    await sys.cold.bucket.deleteObjects([(await blobsOf(missing.id))[0]!.key]);

    await deleteIndexTable();
    await assert.rejects(recoverStore(sys.env), /does not exist: pass --create-table/);
    const report = await recoverStore(sys.env, { createTable: true });
    assert.deepEqual(report.failed.map((f) => f.id).sort(), [corrupt.id, missing.id].sort());
    assert.match(report.failed.find((f) => f.id === missing.id)!.reason, /blobs are in the bucket/);
    assert.match(report.failed.find((f) => f.id === corrupt.id)!.reason, new RegExp(victim.key.replace(/[.]/g, '\\.')));
    assert.equal(report.manifestVersion, undefined);
    assert.equal((await sys.manifests.read()).version, 0, 'no manifest committed');
    assert.equal(report.rebuilt.length, cold.length - 2 + m.runs.filter((r) => r.tier === 'cold' && !r.blobs).length);

    // The CLI says the same, with exit status 1.
    const cli = await promisify(execFile)(
      process.execPath,
      [
        'bin/cli.ts',
        'recover',
        '--bucket',
        sys.store.bucket,
        '--index-table',
        sys.store.indexTable,
        '--dynamodb-endpoint',
        sys.dynamodbEndpoint,
        '--s3-endpoint',
        sys.s3Endpoint,
      ],
      {
        env: { ...process.env, AWS_ACCESS_KEY_ID: sys.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: sys.env.AWS_SECRET_ACCESS_KEY, AWS_REGION: 'us-east-1' },
      },
    ).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, new RegExp(`cannot rebuild ${corrupt.id}`));
    assert.match(cli.stdout, new RegExp(`cannot rebuild ${missing.id}`));
    assert.match(cli.stdout, /nothing committed/);
  });
});

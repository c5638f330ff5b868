/**
 * `node test/support/make-golden.ts [release]`: writes this release's golden store to
 * test/fixtures/golden/<release>.json (test/support/golden.ts). A small store with every kind
 * of record: values of every JSON type, overwrites, deletes (tombstones), Unicode keys, keys
 * that look binary or like paths, a key near the longest; six periods offloaded and compacted into runs of
 * several levels; an imported run, some of whose records are past the store's retention
 * (expired: never read again); a checkpoint taken half-way, which pins runs compaction
 * replaced since.
 * Existing files are never overwritten: each release keeps the fixtures of the earlier ones.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { directWriter, ManualClock, Model, prng, randomWrites, tinyStore } from './lifecycle.ts';
import { startTestSystem } from './system.ts';
import { dump, type GoldenStore } from './golden.ts';
import { startImport, waitForImport } from './imports.ts';

const release = process.argv[2] ?? (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const file = new URL(`../fixtures/golden/${release}.json`, import.meta.url);
if (existsSync(file)) {
  console.error(`${file.pathname} exists: a release's golden store is never rewritten`);
  process.exit(1);
}
// A retention far longer than the periods, so only what is written with old versions (the import's) has expired.
const settings = tinyStore('golden', { rangeBytes: 4096, retentionMs: 500 * 86_400_000 });
const clock = new ManualClock(Date.UTC(2026, 11, 1, 0, 0, 0) + 500);
const sys = await startTestSystem(settings, { clock: clock.now, retryIntervalMs: 0 });
try {
  const model = new Model();
  const writer = directWriter(sys.dataPlane, model);
  const rng = prng(2026);
  await sys.runLifecycle();
  const special = [
    { pk: 'ü-team', sk: 'snow☃/man', value: { unicode: 'ü☃𝄞', nested: { list: [1, 'two', null, true, 1.5e-7] } } },
    { pk: '𝄞', sk: 'k', value: 'a string' },
    { pk: 'bin', sk: '\u0001\u0002\u007f', value: 42 },
    { pk: 'bin', sk: '%2F..%00x', value: null },
    { pk: 'path/like', sk: 'a/b/c', value: [] },
    { pk: 'long', sk: 'x'.repeat(500), value: { long: true } },
    { pk: 'gone', sk: 'k', value: 'deleted in a later period' },
  ];
  await writer.write(special);
  let checkpoint: GoldenStore['checkpoint'] | undefined;
  for (let p = 0; p < 6; p++) {
    await randomWrites(writer, rng, ['tenant-a', 'tenant-b', 'tenant-c'], 80, `p${p}`);
    if (p === 2)
      await writer.write([
        { pk: 'gone', sk: 'k', value: undefined },
        { pk: 'ü-team', sk: 'snow☃/man', value: { overwritten: p } },
      ]);
    if (p === 3) {
      // An imported run: its own keys, and one key a live write has since replaced (an import's versions are its own).
      const lines = Array.from({ length: 40 }, (_, i) => ({
        pk: 'imported',
        sk: `i${String(i).padStart(3, '0')}`,
        value: { i, from: 'import' },
        seq: Date.UTC(2025, 0, 1) * 1000 + i,
      }));
      lines.push({ pk: 'tenant-a', sk: 'k001', value: { i: -1, from: 'import' }, seq: Date.UTC(2025, 0, 1) * 1000 });
      // Half of its own keys with versions of mid-2025: past the retention, never read.
      for (const l of lines.filter((x) => x.pk === 'imported' && x.value.i % 2 === 1)) l.seq = Date.UTC(2025, 5, 1) * 1000 + l.value.i;
      for (const l of lines.filter((x) => x.pk === 'imported' && x.value.i % 2 === 0)) l.seq = Date.UTC(2026, 9, 1) * 1000 + l.value.i;
      const id = await startImport(sys.url, [lines.map((l) => JSON.stringify(l)).join('\n') + '\n']);
      const status = await waitForImport(sys.url, id);
      if (status.state !== 'succeeded') throw new Error(`import ${id}: ${JSON.stringify(status)}`);
      const cutoff = (clock.now() - settings.retentionMs!) * 1000;
      // An expired record reads as absent: in the model, as if deleted.
      for (const l of lines) model.apply(l.pk, l.sk, l.seq, l.seq < cutoff ? undefined : l.value);
    }
    clock.advance(settings.periodMs);
    await sys.runLifecycle();
    if (p === 2) {
      // Half-way: everything written is sealed and offloaded, then a checkpoint of it.
      clock.advance(settings.sealGraceMs + 1);
      await sys.runLifecycle();
      checkpoint = { id: (await sys.dataPlane.createCheckpoint('30d')).id, model: model.entries() };
    }
  }
  clock.advance(settings.sealGraceMs + 1);
  await sys.runLifecycle();
  await sys.runLifecycle();
  const m = await sys.dataPlane.manifests.read();
  const hotWithData = m.runs.filter((r) => r.tier === 'hot' && r.periodEnd + settings.sealGraceMs <= clock.now());
  if (hotWithData.length > 0) throw new Error(`sealed periods still hot: ${hotWithData.map((r) => r.id).join(', ')}`);
  const golden: GoldenStore = { release, settings, now: clock.now(), ...(await dump(sys)), model: model.entries(), checkpoint: checkpoint! };
  mkdirSync(dirname(file.pathname), { recursive: true });
  writeFileSync(file, JSON.stringify(golden) + '\n');
  console.log(
    `${file.pathname}: ${golden.items.length} items, ${golden.objects.length} objects, ${golden.model.length} keys, runs ${m.runs.map((r) => `${r.id}@${r.level}`).join(' ')}`,
  );
} finally {
  await sys.stop();
}

/**
 * Data plane benchmarks on the embedded system: ingest through the local HTTP API as a
 * ratio to the same writes made directly to dynalite; get and query latency on hot and cold
 * data; S3 requests and bytes per cold point read.
 */
import { BatchWriteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { hotTableOf, toHotItem } from '../../lambda/store/hot-tables.ts';
import { coldRunMeta } from '../../lambda/store/cold-writer.ts';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';
import { encodeKey } from '../../lambda/core/keys.ts';
import { startLocal } from '../../local/system.ts';
import { percentile, pool, type Figure } from '../harness.ts';
import { auditRecords } from './engine.ts';

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export async function dataPlaneSuite(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const fig = (name: string, value: number, unit: string, baseline?: string): void => {
    figures.push({ suite: 'data-plane', name, value, unit, ...(baseline ? { baseline } : {}) });
  };
  const sys = await startLocal({ dataDir: undefined, port: 0, settings: { ...DEFAULT_SETTINGS, periodMs: 3_600_000 }, schedule: false });
  try {
    await sys.runLifecycle();
    const m = await sys.dataPlane.manifest();
    const run = m.runs.find((r) => r.tier === 'hot' && r.periodStart <= Date.now() && Date.now() < r.periodEnd)!;
    const { table, shards } = hotTableOf(run);
    const ddb = sys.store.ddb;
    const concurrency = 8;

    // Single writes: HTTP API vs direct PutItem, same records, same concurrency.
    const singles = auditRecords(2000, 7);
    const direct1 = await timed(() =>
      pool(
        singles,
        concurrency,
        async (e) =>
          void (await ddb.send(
            new PutItemCommand({ TableName: table, Item: toHotItem({ ...e, key: Buffer.concat([Buffer.from('direct-'), e.key]) }, shards) }),
          )),
      ),
    );
    const viaApi1 = await timed(() =>
      pool(singles, concurrency, async (e) => {
        const [pk, sk] = e.key.toString('utf8').split('\u0000') as [string, string];
        const res = await fetch(`${sys.url}/v1/items/${encodeURIComponent(pk)}/${encodeURIComponent(sk)}`, { method: 'PUT', body: e.value! });
        if (res.status !== 200) throw new Error(`PUT ${res.status}`);
        await res.arrayBuffer();
      }),
    );
    // The same writes, each conditional (If-None-Match: *, new keys): the current version is read first, everywhere it may be.
    const viaApiIf = await timed(() =>
      pool(singles, concurrency, async (e) => {
        const [pk, sk] = e.key.toString('utf8').split('\u0000') as [string, string];
        const res = await fetch(`${sys.url}/v1/items/${encodeURIComponent(`if-${pk}`)}/${encodeURIComponent(sk)}`, {
          method: 'PUT',
          body: e.value!,
          headers: { 'if-none-match': '*' },
        });
        if (res.status !== 200) throw new Error(`conditional PUT ${res.status}`);
        await res.arrayBuffer();
      }),
    );
    fig('ingest single PUT via HTTP API', singles.length / viaApi1, 'writes/s');
    fig('conditional PUT (If-None-Match) via HTTP API / plain PUT via HTTP API', viaApi1 / viaApiIf, 'ratio', 'plain PUT via the API, same records');
    fig('ingest single PUT via HTTP API / direct PutItem', direct1 / viaApi1, 'ratio', 'direct PutItem to dynalite');

    // Batches: 100 per HTTP request vs BatchWriteItem of 25 directly.
    const batch = auditRecords(20_000, 8);
    const chunks = (n: number) => Array.from({ length: Math.ceil(batch.length / n) }, (_, i) => batch.slice(i * n, (i + 1) * n));
    const directB = await timed(() =>
      pool(
        chunks(25),
        concurrency,
        async (c) =>
          void (await ddb.send(
            new BatchWriteItemCommand({
              RequestItems: {
                [table]: c.map((e) => ({ PutRequest: { Item: toHotItem({ ...e, key: Buffer.concat([Buffer.from('direct-'), e.key]) }, shards) } })),
              },
            }),
          )),
      ),
    );
    const viaApiB = await timed(() =>
      pool(chunks(100), concurrency, async (c) => {
        const items = c.map((e) => {
          const [pk, sk] = e.key.toString('utf8').split('\u0000') as [string, string];
          return { pk, sk, value: JSON.parse(e.value!.toString()) };
        });
        const res = await fetch(`${sys.url}/v1/batch/write`, { method: 'POST', body: JSON.stringify({ items }) });
        if (res.status !== 200) throw new Error(`batch ${res.status}`);
        await res.arrayBuffer();
      }),
    );
    fig('ingest batch write via HTTP API', batch.length / viaApiB, 'writes/s');
    fig('ingest batch write via HTTP API / direct BatchWriteItem', directB / viaApiB, 'ratio', 'direct BatchWriteItem to dynalite');

    // Cold data: a run of 100,000 records, older than anything hot.
    const coldEntries = auditRecords(100_000, 9, 1_600_000_000_000_000).map((e) => ({ ...e, key: Buffer.concat([Buffer.from('cold-'), e.key]) }));
    const written = await sys.cold.coldWriter.writeRun('bench-cold', coldEntries);
    await sys.manifests.commit({ kind: 'import', remove: [], add: [coldRunMeta('bench-cold', 0, 0, 3_600_000, written)] });
    sys.refreshManifests();

    const latency = async (paths: string[]): Promise<number[]> => {
      const out: number[] = [];
      for (const p of paths) {
        const t0 = performance.now();
        const res = await fetch(sys.url + p);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
        out.push(performance.now() - t0);
      }
      return out.sort((a, b) => a - b);
    };
    const itemPath = (key: Buffer): string => {
      const [pk, sk] = key.toString('utf8').split('\u0000') as [string, string];
      return `/v1/items/${encodeURIComponent(pk)}/${encodeURIComponent(sk)}`;
    };
    const hotGets = await latency(singles.filter((_, i) => i % 4 === 0).map((e) => itemPath(e.key)));
    fig('get p50, hot', percentile(hotGets, 50), 'ms');
    fig('get p99, hot', percentile(hotGets, 99), 'ms');

    let s3Gets = 0;
    let s3Bytes = 0;
    // The read function's own S3 client: what the HTTP read path sends.
    sys.functionStores.read.s3.middlewareStack.add(
      ((next: (a: unknown) => Promise<{ output: { ContentLength?: number } }>, ctx: { commandName?: string }) => async (a: unknown) => {
        const r = await next(a);
        if (ctx.commandName === 'GetObjectCommand') {
          s3Gets++;
          s3Bytes += r.output.ContentLength ?? 0;
        }
        return r;
      }) as never,
      { step: 'initialize', name: 'bench-count' },
    );
    const coldSample = coldEntries.filter((_, i) => i % 200 === 0);
    const coldGets = await latency(coldSample.map((e) => itemPath(e.key)));
    fig('get p50, cold', percentile(coldGets, 50), 'ms');
    fig('get p99, cold', percentile(coldGets, 99), 'ms');
    fig('S3 GETs per cold point read', s3Gets / coldSample.length, 'requests');
    fig('S3 bytes per cold point read', s3Bytes / coldSample.length, 'bytes');
    s3Gets = 0;
    s3Bytes = 0;
    const absent = 2000;
    for (let i = 0; i < absent; i++) {
      const res = await fetch(sys.url + itemPath(encodeKey('cold-team-0001', `absent-${i}`)));
      await res.arrayBuffer();
    }
    fig('S3 GETs per absent-key read', s3Gets / absent, 'requests');

    // Short range queries in a store of 8 runs, one a day, as offload leaves them: each team
    // writes every day but one in four, so a partition is in some runs and not others.
    const days = 8;
    const teamsQ = Array.from({ length: 40 }, (_, t) => `q-team-${String(t).padStart(4, '0')}`);
    const dayMs = 86_400_000;
    const t0Ms = Date.UTC(2025, 0, 1);
    for (let d = 0; d < days; d++) {
      const records = teamsQ
        .flatMap((team, t) =>
          (t + d) % 4 === 0
            ? []
            : Array.from({ length: 150 }, (_, i) => {
                const ts = new Date(t0Ms + d * dayMs + Math.floor((i * dayMs) / 150)).toISOString();
                return {
                  key: encodeKey(team, `${ts}#${i}`),
                  seq: 1_500_000_000_000_000 + d * 1_000_000 + i,
                  value: Buffer.from(JSON.stringify({ team, day: d, i, pad: 'x'.repeat(200) })),
                };
              }),
        )
        .sort((a, b) => Buffer.compare(a.key, b.key));
      const id = `bench-day-${d}`;
      const run = await sys.cold.coldWriter.writeRun(id, records);
      await sys.manifests.commit({ kind: 'import', remove: [], add: [coldRunMeta(id, 0, d * dayMs, (d + 1) * dayMs, run)] });
    }
    sys.refreshManifests();
    s3Gets = 0;
    const queries = 400;
    for (let i = 0; i < queries; i++) {
      const team = teamsQ[(i * 7) % teamsQ.length]!;
      const from = new Date(t0Ms + Math.floor((((i * 7919) % 1000) / 1000) * days * dayMs)).toISOString();
      const order = i % 2 === 0 ? 'asc' : 'desc';
      const res = await fetch(`${sys.url}/v1/items/${team}?limit=10&order=${order}&${order === 'asc' ? 'from' : 'to'}=${encodeURIComponent(from)}`);
      if (res.status !== 200) throw new Error(`query ${team} ${order} ${from}: ${res.status}`);
      await res.arrayBuffer();
    }
    fig('S3 GETs per 10-record range query, 8 runs', s3Gets / queries, 'requests');

    const teams = Array.from({ length: 40 }, (_, i) => `team-${String(i * 5).padStart(4, '0')}`);
    const hotQ = await latency(teams.map((t) => `/v1/items/${t}?limit=100`));
    fig('query 100 p50, hot', percentile(hotQ, 50), 'ms');
    fig('query 100 p99, hot', percentile(hotQ, 99), 'ms');
    const coldQ = await latency(teams.map((t) => `/v1/items/cold-${t}?limit=100&order=desc`));
    fig('query 100 p50, cold', percentile(coldQ, 50), 'ms');
    fig('query 100 p99, cold', percentile(coldQ, 99), 'ms');
  } finally {
    await sys.stop();
  }
  return figures;
}

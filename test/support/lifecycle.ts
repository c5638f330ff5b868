/**
 * Helpers for lifecycle tests: a clock moved by hand, faults injected into the tasks the
 * local runner calls, a model of what was acknowledged, and the invariants of a settled
 * store (reads equal the model; runs form the policy's counter; nothing orphaned).
 */
import assert from 'node:assert/strict';
import { ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { isRewrittenId } from '../../lambda/core/compaction.ts';
import type { CompactionJob } from '../../lambda/core/jobs.ts';
import { compactionMayCommit } from '../../lambda/core/leftovers.ts';
import { LogarithmicPolicy } from '../../lambda/core/strategies/logarithmic.ts';
import { storesFrom } from '../../lambda/store/stores.ts';
import { UnavailableError } from '../../lambda/core/errors.ts';
import type { Manifest } from '../../lambda/core/manifest.ts';
import { hotTablePrefix, INDEX_TABLE, OBJECTS, runOfPartition } from '../../lambda/core/schema.ts';
import { DEFAULT_SETTINGS, type StoreSettings } from '../../lambda/core/settings.ts';
import type { DataPlane, WriteOp } from '../../lambda/data-plane/data-plane.ts';
import { pagedItems } from '../../lambda/store/paging.ts';
import type { LocalSystem } from '../../local/system.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import { unitOfPlaceholder } from '../../lambda/units.ts';
import { client } from './system.ts';

/** One-second periods and tiny blocks, blobs, ranges and spills: many of each from little data. */
export function tinyStore(prefix: string, overrides: Partial<StoreSettings> = {}): StoreSettings {
  return {
    ...DEFAULT_SETTINGS,
    prefix,
    periodMs: 1000,
    sealGraceMs: 100,
    gcGraceMs: 200,
    fanout: 2,
    blockBytes: 1024,
    blobBytes: 4096,
    rangeBytes: 2048,
    spillBytes: 4096,
    segmentBytes: 4096,
    // Sharded, as a deployed store is, but with two shards: a query reads every shard of every hot table.
    hotShards: 2,
    ...overrides,
  };
}

export class ManualClock {
  private t: number;
  constructor(start: number) {
    this.t = start;
  }
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- faults -------------------------------------------------------------------------------

/** A step as the runner calls it: the unit, and the action, mode or kind of its input. */
export function stepOf(placeholder: string, input: unknown): string {
  const unit = unitOfPlaceholder(placeholder) ?? placeholder;
  const i = (input ?? {}) as { action?: string; mode?: string; kind?: string };
  const what = i.action ?? i.mode ?? i.kind;
  return what === undefined ? unit : `${unit}:${what}`;
}

export const LIFECYCLE_STEPS = [
  'rotate',
  'offload:plan',
  'offload:prepare',
  'offload:scan',
  'offload:merge',
  'verify:range',
  'rescan:rescan',
  'verify:offload',
  'commit:offload',
  'compact:plan',
  'compact:merge',
  'verify:compact',
  'commit:compact',
  'gc:collect',
  'gc:retention',
] as const;

export class InjectedCrash extends Error {
  constructor(step: string, when: string) {
    super(`injected crash ${when} ${step}`);
    this.name = 'InjectedCrash';
  }
}

export interface Fault {
  readonly step: string;
  /** Crash before the step does anything, or after it has done all its writes. */
  readonly when: 'before' | 'after';
  /** Once: a retry succeeds. Always: every attempt fails, so the execution does. */
  readonly mode: 'once' | 'always';
  /** Only tasks whose input this accepts (a job of one kind); every task of the step otherwise. */
  readonly only?: (input: unknown) => boolean;
  fired: number;
}

/** The runner's tasks, with whatever fault `current()` names injected. */
export function withFaults(tasks: Readonly<Record<string, TaskHandler>>, current: () => Fault | undefined): Record<string, TaskHandler> {
  const out: Record<string, TaskHandler> = {};
  for (const [placeholder, handler] of Object.entries(tasks)) {
    out[placeholder] = async (input) => {
      const f = current();
      const hit = f && stepOf(placeholder, input) === f.step && (f.only?.(input) ?? true) && (f.mode === 'always' || f.fired === 0);
      if (hit && f.when === 'before') {
        f.fired++;
        throw new InjectedCrash(f.step, 'before');
      }
      const result = await handler(input);
      if (hit && f.when === 'after') {
        f.fired++;
        throw new InjectedCrash(f.step, 'after');
      }
      return result;
    };
  }
  return out;
}

// ---- model and writers --------------------------------------------------------------------

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** What was acknowledged: per key, the value of the write with the highest seq. */
export class Model {
  private readonly data = new Map<string, Map<string, { seq: number; value: unknown }>>();

  apply(pk: string, sk: string, seq: number, value: unknown): void {
    const part = this.data.get(pk) ?? new Map<string, { seq: number; value: unknown }>();
    this.data.set(pk, part);
    const cur = part.get(sk);
    if (!cur || cur.seq < seq) part.set(sk, { seq, value });
  }

  pks(): string[] {
    return [...this.data.keys()].sort(byBytes);
  }

  /** Every key ever written in a partition, deleted ones included. */
  keys(pk: string): string[] {
    return [...(this.data.get(pk)?.keys() ?? [])].sort(byBytes);
  }

  /** Live items of a partition in key order (a deleted key's value is undefined). */
  live(pk: string): { sk: string; value: unknown }[] {
    return this.keys(pk)
      .map((sk) => ({ sk, value: this.data.get(pk)!.get(sk)!.value }))
      .filter((x) => x.value !== undefined);
  }

  get(pk: string, sk: string): unknown {
    return this.data.get(pk)?.get(sk)?.value;
  }

  /** Every key ever written, with the seq and value (undefined: deleted) of its newest write, in key order. */
  entries(): { pk: string; sk: string; seq: number; value?: unknown }[] {
    return this.pks().flatMap((pk) =>
      this.keys(pk).map((sk) => {
        const { seq, value } = this.data.get(pk)!.get(sk)!;
        return { pk, sk, seq, ...(value === undefined ? {} : { value }) };
      }),
    );
  }

  get size(): number {
    let n = 0;
    for (const p of this.data.values()) n += p.size;
    return n;
  }
}

export interface Writer {
  /** Applies the ops (value undefined: delete) and records each acknowledged write in the model. */
  write(ops: readonly { pk: string; sk: string; value: unknown }[]): Promise<void>;
}

/**
 * Retries what the store answered 503 to (a period not ready, or sealed under the write), as
 * a client honouring Retry-After would; for up to 30 s, since on a loaded machine a long
 * lifecycle execution can delay the rotation of one-second periods by seconds.
 */
async function retrying<T>(op: () => Promise<T | 'retry'>): Promise<T> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const r = await op();
    if (r !== 'retry') return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('still unavailable after 30 s');
}

export function httpWriter(base: string, model: Model): Writer {
  const api = client(base);
  return {
    async write(ops) {
      if (ops.length === 1) {
        const { pk, sk, value } = ops[0]!;
        const r = await retrying(async () => {
          const res = value === undefined ? await api.del(pk, sk) : await api.put(pk, sk, value);
          if (res.status === 503) return 'retry';
          assert.equal(res.status, 200, JSON.stringify(res.body));
          return res.body;
        });
        model.apply(pk, sk, r.seq, value);
        return;
      }
      const items = ops.map(({ pk, sk, value }) => (value === undefined ? { pk, sk, delete: true } : { pk, sk, value }));
      const r = await retrying(async () => {
        const res = await api.call<{ results: { seq: number }[] }>('POST', '/v1/batch/write', { items });
        if (res.status === 503) return 'retry';
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body;
      });
      ops.forEach((o, i) => model.apply(o.pk, o.sk, r.results[i]!.seq, o.value));
    },
  };
}

export function directWriter(dp: DataPlane, model: Model): Writer {
  const unavailable = (err: unknown): 'retry' => {
    if (err instanceof UnavailableError) return 'retry';
    throw err;
  };
  return {
    async write(ops) {
      const batch: WriteOp[] = ops.map(({ pk, sk, value }) => (value === undefined ? { pk, sk, delete: true } : { pk, sk, value }));
      const r = await retrying(() => dp.batchWrite(batch).catch(unavailable));
      // A refused item is the test's mistake: never record it in the model.
      const refused = r.find((x) => 'error' in x);
      if (refused) throw new Error(`a write was refused: ${JSON.stringify(refused)}`);
      ops.forEach((o, i) => model.apply(o.pk, o.sk, (r[i] as { seq: number }).seq, o.value));
    },
  };
}

/** n random puts, overwrites and deletes over a small key space, singly and in batches. */
export async function randomWrites(w: Writer, rng: () => number, pks: readonly string[], n: number, tag: string): Promise<void> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const op = (i: number) => {
    const pk = pick(pks);
    const sk = `k${String(Math.floor(rng() * 120)).padStart(3, '0')}`;
    const value = rng() < 0.2 ? undefined : { tag, i, note: 'x'.repeat(Math.floor(rng() * 80)) };
    return { pk, sk, value };
  };
  for (let i = 0; i < n;) {
    if (rng() < 0.3) {
      const size = 2 + Math.floor(rng() * 20);
      const ops = new Map<string, { pk: string; sk: string; value: unknown }>();
      for (let j = 0; j < size; j++) {
        const o = op(i + j);
        ops.set(`${o.pk}\u0000${o.sk}`, o);
      }
      await w.write([...ops.values()]);
      i += size;
    } else {
      await w.write([op(i)]);
      i++;
    }
  }
}

// ---- reads against the model --------------------------------------------------------------

async function queryAll(base: string, pk: string, params: Record<string, string | number>): Promise<{ sk: string; value: unknown }[]> {
  const api = client(base);
  const out: { sk: string; value: unknown }[] = [];
  let cursor: string | undefined;
  do {
    const r = await api.query(pk, { ...params, ...(cursor ? { cursor } : {}) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const it of r.body.items) out.push({ sk: it.sk, value: it.value });
    cursor = r.body.cursor;
  } while (cursor);
  return out;
}

/** Every partition in both orders (paged), bounded ranges, and point reads (of every key, or a sample per partition). */
export async function assertReadsMatch(
  base: string,
  model: Model,
  rng: () => number,
  opts: { gets?: number; ranges?: number; pageSize?: number; partitions?: number } = {},
): Promise<void> {
  const getsPerPartition = opts.gets ?? Infinity;
  const api = client(base);
  const all = model.pks();
  const pks = opts.partitions === undefined || opts.partitions >= all.length ? all : all.filter((_, i) => i % Math.ceil(all.length / opts.partitions!) === 0);
  for (const pk of pks) {
    const expected = model.live(pk);
    assert.deepEqual(await queryAll(base, pk, { order: 'asc', limit: opts.pageSize ?? 17 }), expected, `ascending ${pk}`);
    assert.deepEqual(await queryAll(base, pk, { order: 'desc', limit: opts.pageSize ?? 23 }), [...expected].reverse(), `descending ${pk}`);
    const keys = model.keys(pk);
    for (let i = 0; i < (opts.ranges ?? 3); i++) {
      const [a, b] = [keys[Math.floor(rng() * keys.length)]!, keys[Math.floor(rng() * keys.length)]!].sort(byBytes);
      const inRange = expected.filter((x) => byBytes(x.sk, a!) >= 0 && byBytes(x.sk, b!) < 0);
      assert.deepEqual(await queryAll(base, pk, { from: a!, to: b!, order: 'asc', limit: opts.pageSize ?? 9 }), inRange, `${pk} [${a}, ${b})`);
      assert.deepEqual(
        await queryAll(base, pk, { from: a!, to: b!, order: 'desc', limit: opts.pageSize ?? 9 }),
        [...inRange].reverse(),
        `${pk} [${a}, ${b}) desc`,
      );
    }
    const sample = keys.length <= getsPerPartition ? keys : Array.from({ length: getsPerPartition }, () => keys[Math.floor(rng() * keys.length)]!);
    const gets = await Promise.all(sample.map(async (sk) => ({ sk, r: await api.get(pk, sk) })));
    for (const { sk, r } of gets) {
      const want = model.get(pk, sk);
      if (want === undefined) assert.equal(r.status, 404, `${pk}/${sk} was deleted`);
      else {
        assert.equal(r.status, 200, `${pk}/${sk}`);
        assert.deepEqual(r.body.value, want, `${pk}/${sk}`);
      }
    }
  }
}

// ---- invariants of a settled store --------------------------------------------------------

/**
 * After the lifecycle has caught up at `nowMs`: every sealed period is cold; the cold runs
 * cover every period rotation ever registered (from the manifest's history), without gap or
 * overlap, as the logarithmic policy's counter (each run holds fanout^level periods, levels
 * fall from oldest to newest, nothing left to plan); garbage past its grace is gone; and no
 * table, object or index item exists that neither the manifest nor its garbage list names.
 */
export async function assertSettled(sys: LocalSystem, settings: StoreSettings, asOf?: number): Promise<Manifest> {
  // The time the last execution started: what it saw as sealed and due is what it handled.
  const nowMs = asOf ?? sys.clock();
  const m = await sys.dataPlane.manifests.read();
  const registered: number[] = [];
  for (let v = 1; v <= m.version; v++) {
    const h = await sys.dataPlane.manifests.history(v);
    assert.ok(h, `history of version ${v}`);
    if (h.edit?.kind === 'rotate') registered.push(...h.edit.add.map((r) => r.periodStart));
  }
  registered.sort((a, b) => a - b);
  const hot = m.runs.filter((r) => r.tier === 'hot');
  for (const r of hot) assert.ok(r.periodEnd + settings.sealGraceMs > nowMs, `sealed period ${r.id} is still hot`);
  const cold = m.runs.filter((r) => r.tier === 'cold').sort((a, b) => a.periodStart - b.periodStart);
  if (settings.compaction === 'logarithmic') {
    let i = 0;
    for (const r of cold) {
      const held = registered.filter((p) => p >= r.periodStart && p < r.periodEnd);
      assert.equal(r.periodStart, registered[i], `runs cover every registered period in order: ${cold.map((c) => c.id).join(', ')}`);
      assert.equal(held.length, settings.fanout ** r.level, `${r.id} holds fanout^level periods`);
      i += held.length;
    }
    assert.equal(registered[i], Math.min(...hot.map((r) => r.periodStart)), 'cold runs reach the oldest hot period');
    for (let i = 1; i < cold.length; i++) assert.ok(cold[i]!.level < cold[i - 1]!.level, `levels fall oldest to newest: ${cold.map((c) => c.level).join(',')}`);
  } else {
    // Packings merge runs of other spans: every period offloaded is in some cold run's span, and none is hot any more.
    const oldestHot = Math.min(...hot.map((r) => r.periodStart));
    for (const p of registered.filter((x) => x < oldestHot))
      assert.ok(
        cold.some((r) => r.periodStart <= p && p < r.periodEnd),
        `period ${p} is in no run: ${cold.map((c) => c.id).join(', ')}`,
      );
  }
  // The steady state has nothing left to do (the multi policy runs it first, outside any rate limit).
  assert.equal(new LogarithmicPolicy({ fanout: settings.fanout, maxLevel: settings.maxLevel }).plan(m), undefined, 'nothing left to compact');
  for (const g of m.garbage ?? []) assert.ok(g.releasedAt + settings.gcGraceMs > nowMs, `garbage ${g.id} outlived its grace`);

  const garbage = (kind: string) => new Set((m.garbage ?? []).filter((g) => g.kind === kind).map((g) => g.target));
  const tables = new Set([...hot.map((r) => r.table!), ...garbage('table')]);
  // A rewrite or packing the policy no longer picks may still commit while its inputs stand: GC keeps it (core/leftovers.ts).
  const pending = new Set<string>();
  const jobs = storesFrom(sys.env).jobs;
  for (const id of [...new Set([...(await sys.cold.bucket.childNames(OBJECTS.runsRoot)), ...(await sys.cold.bucket.childNames(OBJECTS.spillPrefix('')))])]) {
    if (!isRewrittenId(id)) continue;
    const spec = await jobs.get<CompactionJob>(id);
    if (compactionMayCommit(m, id, spec?.inputs)) pending.add(id);
  }
  const runs = new Set([...cold.map((r) => r.id), ...garbage('run'), ...pending]);
  const jobIds = new Set([...garbage('job'), ...pending]);

  const listed = await sys.store.ddb.send(new ListTablesCommand({}));
  for (const t of listed.TableNames ?? []) if (t.startsWith(hotTablePrefix(settings.prefix))) assert.ok(tables.has(t), `table ${t} is orphaned`);
  for (const o of await sys.cold.bucket.list(OBJECTS.runsRoot)) assert.ok(runs.has(o.key.split('/')[1]!), `object ${o.key} is orphaned`);
  for (const o of await sys.cold.bucket.list(`${OBJECTS.spillPrefix('')}`)) assert.ok(jobIds.has(o.key.split('/')[1]!), `spill ${o.key} is orphaned`);
  const items = pagedItems('scan the index table', (start) =>
    sys.store.ddb.send(
      new ScanCommand({
        TableName: sys.store.indexTable,
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': INDEX_TABLE.partitionKey },
        ExclusiveStartKey: start,
      }),
    ),
  );
  for await (const it of items) {
    const pk = it[INDEX_TABLE.partitionKey]!.S!;
    if (pk.startsWith('run#')) assert.ok(runs.has(runOfPartition(pk)), `index items of ${pk} are orphaned`);
    if (pk.startsWith('job#')) assert.ok(jobIds.has(pk.slice(4)), `job spec ${pk} is orphaned`);
  }
  return m;
}

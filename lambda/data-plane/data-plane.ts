/**
 * The data plane: every API operation as a method, wiring the core's read path and
 * validation to the adapters. Handlers only translate HTTP to these calls.
 */
import { CHECKPOINT_ID, CHECKPOINT_TTL, checkpointTtl, checkpointView, isLive, type Checkpoint } from '../core/checkpoint.ts';
import { AlkiError, MissingDataError, UnavailableError, ValidationError } from '../core/errors.ts';
import { encodeKey } from '../core/keys.ts';
import { LIMITS } from '../core/limits.ts';
import { hotRuns, sealedHotRuns, type Manifest, type RunMeta } from '../core/manifest.ts';
import { applyCursor, encodeCursor, type PartitionQuery } from '../core/partition-query.ts';
import { CLOCK_TOLERANCE_MS, newestVisible, pointGet, pointVersions, rangeQuery, type ReadOptions, type RunReaders } from '../core/read-path.ts';
import { checkPrecondition, type Precondition } from '../core/precondition.ts';
import { encodeValue, toApiItem, type Entry, type ApiItem } from '../core/record.ts';
import { periodStartOf } from '../core/schema.ts';
import { SeqClock, systemClock, type Clock } from '../core/seq.ts';
import { maxCheckpointTtlMs, retentionCutoff, type StoreSettings } from '../core/settings.ts';
import { storeEnvFrom, untraced, type ClientHook, type Env, type StoreEnv } from '../store/clients.ts';
import type { ColdReader } from '../store/cold-reader.ts';
import { coldFrom } from '../store/cold.ts';
import { CheckpointStore } from '../store/checkpoint-store.ts';
import { hotTableOf, HotTables } from '../store/hot-tables.ts';
import { ManifestCache, ManifestStore } from '../store/manifest-store.ts';
import { WrittenTables, WrittenTablesCache } from '../store/written-tables.ts';

export type WriteOp = ({ pk: unknown; sk: unknown; value: unknown } | { pk: unknown; sk: unknown; delete: true }) & { pre?: Precondition };

/** Reads and conditional puts a conditional write tries before answering 503: each lost race means the key changed. */
const CONDITIONAL_ATTEMPTS = 5;
export type WriteResult = { seq: number } | { error: { code: string; message: string } };

/** Runs a read, and once more if data went missing (after `beforeRetry`); missing twice: 503, storage is changing. */
async function onceMoreIfMissing<T>(read: () => Promise<T>, beforeRetry: () => void = () => undefined): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof MissingDataError)) throw err;
    beforeRetry();
    try {
      return await read();
    } catch (again) {
      if (again instanceof MissingDataError) throw new UnavailableError('NotReady', `storage is changing under this read, retry: ${again.message}`);
      throw again;
    }
  }
}

/** A checkpoint as the API shows it. */
export interface CheckpointSummary {
  readonly id: string;
  readonly manifestVersion: number;
  readonly asOf: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly runs: number;
}

const summaryOf = (c: Checkpoint): CheckpointSummary => ({
  id: c.id,
  manifestVersion: c.manifestVersion,
  asOf: new Date(c.asOf).toISOString(),
  createdAt: new Date(c.createdAt).toISOString(),
  expiresAt: new Date(c.expiresAt).toISOString(),
  runs: c.runs.length,
});

export interface StoreStatus {
  readonly manifestVersion: number;
  readonly now: string;
  readonly hotTables: number;
  readonly lifecyclePeriodsBehind: number;
  readonly oldestNotOffloaded?: string;
  readonly writtenTables: number;
  readonly coldRuns: number;
}

export interface QueryPage {
  items: ApiItem[];
  cursor?: string;
}

export class DataPlane {
  readonly settings: StoreSettings;
  readonly hot: HotTables;
  readonly cold: ColdReader;
  readonly manifests: ManifestStore;
  /** Absent where no checkpoint is made or read (unit tests of other paths). */
  readonly checkpoints: CheckpointStore | undefined;
  private readonly cache: ManifestCache;
  private readonly seqs: SeqClock;
  private readonly now: Clock;
  private readonly readers: RunReaders;
  /** Marks of written tables: absent where nothing is marked or skipped (unit tests of other paths). */
  private readonly written: WrittenTables | undefined;
  private readonly writtenView: WrittenTablesCache | undefined;

  constructor(parts: {
    settings: StoreSettings;
    hot: HotTables;
    cold: ColdReader;
    manifests: ManifestStore;
    checkpoints?: CheckpointStore;
    written?: WrittenTables;
    now?: Clock;
    manifestTtlMs?: number;
  }) {
    this.settings = parts.settings;
    this.checkpoints = parts.checkpoints;
    this.hot = parts.hot;
    this.cold = parts.cold;
    this.manifests = parts.manifests;
    this.now = parts.now ?? systemClock;
    this.seqs = new SeqClock(this.now);
    // A cached manifest must be younger than gcGrace, or it could name runs GC has deleted.
    this.cache = new ManifestCache(parts.manifests, parts.manifestTtlMs ?? Math.min(1000, Math.floor(parts.settings.gcGraceMs / 2)), this.now);
    this.written = parts.written;
    // A stale list only skips fewer tables: kept five seconds.
    this.writtenView = parts.written && new WrittenTablesCache(parts.written, parts.settings.sealGraceMs, 5000, this.now);
    const hot = parts.hot;
    this.readers = {
      hot: { get: (r, key) => hot.get(hotTableOf(r), key), query: (r, q) => hot.query(hotTableOf(r), q) },
      cold: parts.cold,
    };
  }

  static fromEnv(env: Env, hook: ClientHook = untraced): DataPlane {
    return DataPlane.fromStoreEnv(storeEnvFrom(env, hook));
  }

  static fromStoreEnv(e: StoreEnv, now: Clock = systemClock): DataPlane {
    return new DataPlane({
      now,
      settings: e.settings,
      hot: new HotTables(e.ddb),
      cold: coldFrom(e.ddb, e.s3, e.indexTable, e.bucket).coldReader,
      manifests: new ManifestStore(e.ddb, e.indexTable),
      checkpoints: new CheckpointStore(e.ddb, e.indexTable),
      written: new WrittenTables(e.ddb, e.indexTable),
    });
  }

  /** As of now: what retention has expired, and which hot tables cannot hold anything (not yet begun, or sealed unwritten). */
  private readOptions(): Promise<ReadOptions> {
    return this.readOptionsAt(this.now());
  }

  /** As of `at` (now, or a checkpoint's time). */
  private async readOptionsAt(at: number): Promise<ReadOptions> {
    const cutoff = retentionCutoff(this.settings, at);
    const written = await this.writtenView?.get();
    return { readAt: at, ...(cutoff === undefined ? {} : { retentionCutoff: cutoff }), ...(written ? { written } : {}) };
  }

  /** Runs an operation on the cached manifest; once more on a fresh one if data went missing. */
  private withManifest<T>(op: (m: Manifest) => Promise<T>): Promise<T> {
    return onceMoreIfMissing(
      async () => op(await this.cache.get()),
      () => this.cache.invalidate(),
    );
  }

  /** The hot run of the period a seq falls in; 503 if rotation has not registered it. */
  private async tableFor(seq: number): Promise<RunMeta> {
    const start = periodStartOf(Math.floor(seq / 1000), this.settings.periodMs);
    const find = (m: Manifest): RunMeta | undefined => m.runs.find((r) => r.tier === 'hot' && r.periodStart === start);
    let run = find(await this.cache.get());
    if (!run) {
      this.cache.invalidate();
      run = find(await this.cache.get());
    }
    if (!run?.table) {
      throw new UnavailableError('PeriodNotReady', `the table of the period starting ${new Date(start).toISOString()} is not ready; rotation creates it`, 5);
    }
    return run;
  }

  /**
   * A write that lands after its period's seal may miss the offload's scan: it must not be
   * acknowledged. The client sees 503 and retries with a newer seq, which wins either way.
   */
  private checkSealed(runs: readonly RunMeta[]): void {
    const now = this.now();
    const late = runs.find((r) => now >= r.periodEnd + this.settings.sealGraceMs);
    if (late) throw new UnavailableError('PeriodSealed', `the write reached ${late.table} after its period was sealed; it may not be kept, retry`, 1);
  }

  private async writeOne(key: Buffer, value: Buffer | null): Promise<number> {
    const seq = this.seqs.next();
    const run = await this.tableFor(seq);
    try {
      await this.written?.mark(run.table!);
      await this.hot.put(hotTableOf(run), { key, seq, value });
    } catch (err) {
      if (err instanceof MissingDataError) {
        this.cache.invalidate();
        throw new UnavailableError('PeriodNotReady', `the period's table ${run.table} is missing`, 5);
      }
      throw err;
    }
    this.checkSealed([run]);
    return seq;
  }

  /**
   * A write that holds only if the record is as `pre` says, wherever its current version
   * lives (this period's table, an earlier one, a cold run). The condition is checked on
   * every hot table that can still take a write of the key (near a period boundary, two):
   * a conditional put, or a transaction of the put and condition checks, so of writers
   * racing with the same precondition exactly one succeeds. Cold runs and sealed tables do
   * not change. A lost race reads again (and usually answers 412).
   */
  private async writeIf(key: Buffer, value: Buffer | null, pre: Precondition): Promise<number> {
    for (let attempt = 0; attempt < CONDITIONAL_ATTEMPTS; attempt++) {
      const opts = await this.readOptions();
      const { versions, m } = await this.withManifest(async (m) => ({ m, versions: await pointVersions(m, this.readers, key, opts) }));
      const current = newestVisible(
        versions.map((v) => v.entry),
        opts,
      );
      checkPrecondition(pre, current);
      // Above every version, visible or not, so that the new one is the newest.
      const newest = Math.max(0, ...versions.map((v) => v.entry?.seq ?? 0));
      const seq = this.seqs.nextAbove(newest);
      const target = await this.tableFor(seq);
      const now = this.now();
      const writable = m.runs.filter((r) => r.tier === 'hot' && r.table && (r.id === target.id || this.canTakeWrites(r, now)));
      if (!writable.some((r) => r.id === target.id)) writable.push(target);
      const expect = await Promise.all(
        writable.map(async (r) => {
          const seen = versions.find((v) => v.run.id === r.id);
          return { table: hotTableOf(r), seq: (seen ? seen.entry : await this.hot.get(hotTableOf(r), key))?.seq };
        }),
      );
      let written: boolean;
      try {
        await this.written?.mark(target.table!);
        written = await this.hot.putIf(hotTableOf(target), { key, seq, value }, expect);
      } catch (err) {
        if (err instanceof MissingDataError) {
          this.cache.invalidate();
          throw new UnavailableError('PeriodNotReady', `a table of the write is missing: ${err.message}`, 5);
        }
        throw err;
      }
      if (written) {
        this.checkSealed([target]);
        return seq;
      }
    }
    throw new UnavailableError('Contention', `the key changed under each of ${CONDITIONAL_ATTEMPTS} conditional attempts; retry`, 1);
  }

  /** A hot table that may still receive a write, by any writer's clock: its period has begun and its seal grace has not passed. */
  private canTakeWrites(r: RunMeta, now: number): boolean {
    return r.periodStart <= now + CLOCK_TOLERANCE_MS && now < r.periodEnd + this.settings.sealGraceMs + CLOCK_TOLERANCE_MS;
  }

  async put(pk: unknown, sk: unknown, value: unknown, pre?: Precondition): Promise<number> {
    const key = encodeKey(pk, sk);
    const v = encodeValue(value);
    return pre ? this.writeIf(key, v, pre) : this.writeOne(key, v);
  }

  async delete(pk: unknown, sk: unknown, pre?: Precondition): Promise<number> {
    const key = encodeKey(pk, sk);
    return pre ? this.writeIf(key, null, pre) : this.writeOne(key, null);
  }

  /**
   * Up to 100 puts and deletes. Each item is validated on its own and answered in request
   * order; invalid items write nothing. A key repeated in one batch: the later item wins.
   * An item with a precondition is written as a conditional write of its own (and may fail
   * with PreconditionFailed alone); its key must not appear twice in the batch.
   */
  async batchWrite(ops: readonly WriteOp[]): Promise<WriteResult[]> {
    checkBatchSize(ops.length);
    const results: WriteResult[] = [];
    const byKey = new Map<string, Entry>();
    const conditional: { index: number; key: Buffer; value: Buffer | null; pre: Precondition }[] = [];
    const seen = new Map<string, number>();
    const failed = (err: unknown): WriteResult => {
      if (!(err instanceof AlkiError)) throw err;
      return { error: { code: err.code, message: err.message } };
    };
    for (const op of ops) {
      try {
        const key = encodeKey(op.pk, op.sk);
        const value = 'delete' in op && op.delete === true ? null : encodeValue((op as { value: unknown }).value);
        const k = key.toString('binary');
        seen.set(k, (seen.get(k) ?? 0) + 1);
        if (op.pre) {
          conditional.push({ index: results.length, key, value, pre: op.pre });
          results.push({ seq: 0 });
          continue;
        }
        const e: Entry = { key, seq: this.seqs.next(), value };
        byKey.set(k, e);
        results.push({ seq: e.seq });
      } catch (err) {
        results.push(failed(err));
      }
    }
    // Group by period (a batch can straddle a boundary); every table must be ready first.
    const groups = new Map<string, Entry[]>();
    const runs = new Map<string, RunMeta>();
    for (const e of byKey.values()) {
      const run = await this.tableFor(e.seq);
      runs.set(run.table!, run);
      groups.set(run.table!, [...(groups.get(run.table!) ?? []), e]);
    }
    try {
      await Promise.all(
        [...groups].map(async ([table, es]) => {
          await this.written?.mark(table);
          await this.hot.batchWrite(hotTableOf(runs.get(table)!), es);
        }),
      );
    } catch (err) {
      if (err instanceof MissingDataError) {
        this.cache.invalidate();
        throw new UnavailableError('PeriodNotReady', err.message, 5);
      }
      throw err;
    }
    this.checkSealed([...runs.values()]);
    await Promise.all(
      conditional.map(async (c) => {
        if (seen.get(c.key.toString('binary'))! > 1) {
          results[c.index] = { error: { code: 'InvalidBatch', message: 'an item with a precondition must be the only item of its key in the batch' } };
          return;
        }
        try {
          results[c.index] = { seq: await this.writeIf(c.key, c.value, c.pre) };
        } catch (err) {
          results[c.index] = failed(err);
        }
      }),
    );
    return results;
  }

  /**
   * Runs a read on the current manifest, or on a checkpoint's runs as of its time. A
   * checkpoint's run that went missing was moved by GC (an offloaded table's pin moves to its
   * cold run): read the checkpoint again, once.
   */
  private async reading<T>(checkpoint: string | undefined, op: (m: Manifest, opts: ReadOptions) => Promise<T>): Promise<T> {
    if (checkpoint === undefined) {
      const opts = await this.readOptions();
      return this.withManifest((m) => op(m, opts));
    }
    return onceMoreIfMissing(async () => {
      const c = await this.checkpointStore().live(checkpoint, this.now());
      return op(checkpointView(c), await this.readOptionsAt(c.asOf));
    });
  }

  private checkpointStore(): CheckpointStore {
    if (!this.checkpoints) throw new Error('this data plane has no checkpoint store');
    return this.checkpoints;
  }

  /** Pins the store as of the end of the last sealed period, for `ttl` (default a day). */
  async createCheckpoint(ttl: string | undefined): Promise<CheckpointSummary> {
    return summaryOf(
      await this.checkpointStore().take(
        this.manifests,
        this.settings,
        Math.floor(this.now()),
        checkpointTtl(ttl, maxCheckpointTtlMs(this.settings, CHECKPOINT_TTL.maxMs)),
      ),
    );
  }

  /** Live checkpoints, oldest first. */
  async listCheckpoints(): Promise<CheckpointSummary[]> {
    const now = this.now();
    return (await this.checkpointStore().list())
      .filter((c) => isLive(c, now))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(summaryOf);
  }

  async deleteCheckpoint(id: string): Promise<void> {
    // As a read's checkpoint= is checked: an id the store cannot have made is bad input, never a lookup (a key over DynamoDB's limit).
    if (!CHECKPOINT_ID.test(id)) throw new ValidationError('InvalidCheckpoint', 'not a checkpoint id (ck- and a UUID)');
    await this.checkpointStore().live(id, this.now());
    await this.checkpointStore().delete(id);
  }

  async get(pk: unknown, sk: unknown, checkpoint?: string): Promise<ApiItem | undefined> {
    const key = encodeKey(pk, sk);
    const e = await this.reading(checkpoint, (m, opts) => pointGet(m, this.readers, key, opts));
    return e && toApiItem(e);
  }

  /**
   * Found items only, in request order. All keys are checked before any is read. Items past
   * the response budget are not returned but named in `unprocessedKeys`, to ask for again.
   */
  async batchGet(
    keys: readonly { pk: unknown; sk: unknown }[],
    checkpoint?: string,
  ): Promise<{ items: ApiItem[]; unprocessedKeys?: { pk: string; sk: string }[] }> {
    checkBatchSize(keys.length);
    const encoded = keys.map((k, i) => {
      try {
        return encodeKey(k?.pk, k?.sk);
      } catch (err) {
        if (err instanceof ValidationError) throw new ValidationError(err.code, `keys[${i}]: ${err.message}`);
        throw err;
      }
    });
    const found = await this.reading(checkpoint, (m, opts) => Promise.all(encoded.map((k) => pointGet(m, this.readers, k, opts))));
    const items: ApiItem[] = [];
    const unprocessedKeys: { pk: string; sk: string }[] = [];
    let bytes = 0;
    for (const e of found) {
      if (e === undefined) continue;
      const item = toApiItem(e);
      bytes += itemBytes(item);
      if (bytes > LIMITS.maxResponseItemBytes && items.length > 0) unprocessedKeys.push({ pk: item.pk, sk: item.sk });
      else items.push(item);
    }
    return unprocessedKeys.length > 0 ? { items, unprocessedKeys } : { items };
  }

  async query(q: PartitionQuery, cursor?: string, checkpoint?: string): Promise<QueryPage> {
    encodeKey(q.pk, q.from ?? 'x');
    if (q.to !== undefined) encodeKey(q.pk, q.to);
    const query = cursor === undefined ? q : applyCursor(q, cursor);
    return this.reading(checkpoint, async (m, opts) => {
      const items: ApiItem[] = [];
      let more = false;
      let bytes = 0;
      for await (const e of rangeQuery(m, this.readers, query, opts)) {
        const item = toApiItem(e);
        bytes += itemBytes(item);
        // The page ends at the limit, or before the response would pass Lambda's payload limit.
        if (items.length === q.limit || (bytes > LIMITS.maxResponseItemBytes && items.length > 0)) {
          more = true;
          break;
        }
        items.push(item);
      }
      const last = items[items.length - 1];
      return more && last ? { items, cursor: encodeCursor(last.sk, q.direction) } : { items };
    });
  }

  /** Forgets the cached manifest and list of written tables: the next operation reads them afresh. */
  refreshManifest(): void {
    this.cache.invalidate();
    this.writtenView?.invalidate();
  }

  async manifest(): Promise<Manifest> {
    return this.manifests.read();
  }

  /** How the store stands: hot tables, how many sealed periods the lifecycle has not offloaded, cold runs. */
  async status(): Promise<StoreStatus> {
    const now = this.now();
    const [m, written] = await Promise.all([this.manifests.read(), this.written?.list()]);
    const behind = sealedHotRuns(m, this.settings.sealGraceMs, now);
    const hot = hotRuns(m);
    return {
      manifestVersion: m.version,
      now: new Date(now).toISOString(),
      hotTables: hot.length,
      lifecyclePeriodsBehind: behind.length,
      ...(behind[0] ? { oldestNotOffloaded: new Date(behind[0].periodStart).toISOString() } : {}),
      writtenTables: hot.filter((r) => r.table !== undefined && written?.has(r.table)).length,
      coldRuns: m.runs.length - hot.length,
    };
  }
}

const itemBytes = (item: ApiItem): number => Buffer.byteLength(JSON.stringify(item));

function checkBatchSize(n: number): void {
  if (n === 0) throw new ValidationError('InvalidBatch', 'a batch needs at least one item');
  if (n > LIMITS.maxBatchItems) throw new ValidationError('BatchTooLarge', `a batch holds at most ${LIMITS.maxBatchItems} items, not ${n}`);
}

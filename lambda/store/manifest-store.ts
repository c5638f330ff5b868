/**
 * The manifest in the index table: one item, replaced by a conditional put on the version it
 * was read at. Each version is also kept as an immutable history item and, in the bucket, as
 * a snapshot (core/manifest-snapshot.ts) that recovery rebuilds a lost index table from.
 * A lost race re-reads and re-applies the edit; an edit already applied is a no-op.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  applyEdit,
  ConflictError,
  EMPTY_MANIFEST,
  type Edit,
  type EditResult,
  type Garbage,
  type Manifest,
  type RunMeta,
  type Spend,
} from '../core/manifest.ts';
import { encodeSnapshot } from '../core/manifest-snapshot.ts';
import { INDEX_TABLE, OBJECTS } from '../core/schema.ts';
import type { Clock } from '../core/seq.ts';
import { systemClock } from '../core/seq.ts';
import { backoffMs, errorName, sleep, translate } from './aws-errors.ts';
import { TtlCache } from './ttl-cache.ts';
import type { ColdBucket } from './cold-bucket.ts';
import { grant, type Grant } from './grants.ts';
import type { DdbItem } from './paging.ts';

export const MANIFEST_GRANTS = {
  /** read, history */
  read: [grant('indexTable', 'dynamodb:GetItem')],
  /** commit: read, then a conditional put of the manifest and its history item, then its snapshot in the bucket */
  commit: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:PutItem'), grant('manifestObjects', 's3:PutObject')],
} as const satisfies Record<string, readonly Grant[]>;

const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;

function versionKey(version: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(version));
  return b;
}

/** The manifest item's attributes (and its history item's): a version, what it holds, the edit that made it. */
function bodyOf(m: Manifest, edit: Edit | null, committedAt: string): DdbItem {
  return {
    version: { N: String(m.version) },
    runs: { S: JSON.stringify(m.runs) },
    garbage: { S: JSON.stringify(m.garbage ?? []) },
    spent: { S: JSON.stringify(m.spent ?? []) },
    edit: { S: JSON.stringify(edit) },
    committedAt: { S: committedAt },
  };
}

export interface HistoryEntry {
  readonly version: number;
  readonly edit: Edit | null;
  readonly committedAt: string;
}

export class ManifestStore {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;
  /** Where commits put their snapshots; a reader (the data plane) has none and cannot commit. */
  private readonly snapshots: ColdBucket | undefined;

  constructor(ddb: DynamoDBClient, table: string, snapshots?: ColdBucket) {
    this.ddb = ddb;
    this.table = table;
    this.snapshots = snapshots;
  }

  async read(): Promise<Manifest> {
    try {
      const out = await this.ddb.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { [PK]: { S: INDEX_TABLE.manifestPk }, [SK]: { B: INDEX_TABLE.manifestSk } },
          ConsistentRead: true,
        }),
      );
      if (!out.Item) return EMPTY_MANIFEST;
      const garbage = out.Item.garbage?.S ? (JSON.parse(out.Item.garbage.S) as Garbage[]) : [];
      const spent = out.Item.spent?.S ? (JSON.parse(out.Item.spent.S) as Spend[]) : [];
      return {
        version: Number(out.Item.version!.N),
        runs: JSON.parse(out.Item.runs!.S!) as RunMeta[],
        ...(garbage.length > 0 ? { garbage } : {}),
        ...(spent.length > 0 ? { spent } : {}),
      };
    } catch (err) {
      return translate(err, 'read the manifest');
    }
  }

  /**
   * Commits an edit with compare-and-swap, retrying lost races on a fresh read. Returns the
   * manifest after the edit; `changed` is false when it had been committed already.
   */
  async commit(edit: Edit, attempts = 8): Promise<EditResult> {
    const snapshots = this.snapshots;
    if (!snapshots) throw new Error('this manifest store reads only: commits need the bucket their snapshots go to');
    for (let attempt = 0; ; attempt++) {
      const current = await this.read();
      const result = applyEdit(current, edit);
      if (!result.changed) {
        // A re-run of a step whose commit went through: its snapshot may be what the crash
        // stopped, so the bucket gets the current version's now (the same runs, if it had it).
        await snapshots.putObject(OBJECTS.manifestSnapshot(result.manifest.version), encodeSnapshot(result.manifest, new Date().toISOString()));
        return result;
      }
      const now = new Date().toISOString();
      const body = bodyOf(result.manifest, edit, now);
      try {
        await this.ddb.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { [PK]: { S: INDEX_TABLE.manifestPk }, [SK]: { B: INDEX_TABLE.manifestSk }, ...body },
            ConditionExpression: current.version === 0 ? 'attribute_not_exists(#pk)' : '#v = :v',
            ExpressionAttributeNames: current.version === 0 ? { '#pk': PK } : { '#v': 'version' },
            ...(current.version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(current.version) } } }),
          }),
        );
      } catch (err) {
        if (errorName(err) === 'ConditionalCheckFailedException' && attempt + 1 < attempts) {
          await sleep(backoffMs(attempt, 10, 500));
          continue;
        }
        translate(err, `commit ${edit.kind}`);
      }
      // History after the swap: a loser never leaves a history item behind. Immutable: the
      // first write of a version wins, and a retry of it is a no-op.
      await this.putHistory(result.manifest.version, body);
      // Then the bucket's copy. A crash before it leaves the bucket's newest snapshot a commit
      // behind until the step's re-run (above) or the next commit (docs/architecture.md).
      await snapshots.putObject(OBJECTS.manifestSnapshot(result.manifest.version), encodeSnapshot(result.manifest, now));
      return result;
    }
  }

  /**
   * Writes a manifest into an index table that has none (recovery, lambda/recover/): the
   * version given, with its history item and snapshot, so numbering goes on from the bucket's.
   * Refused (ConflictError) if a manifest appeared meanwhile.
   */
  async restore(m: Manifest): Promise<void> {
    const snapshots = this.snapshots;
    if (!snapshots) throw new Error('this manifest store reads only: a restore needs the bucket its snapshot goes to');
    const now = new Date().toISOString();
    const body = bodyOf(m, null, now);
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { [PK]: { S: INDEX_TABLE.manifestPk }, [SK]: { B: INDEX_TABLE.manifestSk }, ...body },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException')
        throw new ConflictError(`the index table ${this.table} has a manifest already: restore writes only into a table without one`);
      translate(err, 'restore the manifest');
    }
    await this.putHistory(m.version, body);
    await snapshots.putObject(OBJECTS.manifestSnapshot(m.version), encodeSnapshot(m, now));
  }

  private async putHistory(version: number, body: DdbItem): Promise<void> {
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { [PK]: { S: INDEX_TABLE.historyPk }, [SK]: { B: versionKey(version) }, ...body },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (err) {
      if (errorName(err) !== 'ConditionalCheckFailedException') translate(err, `history of version ${version}`);
    }
  }

  async history(version: number): Promise<HistoryEntry | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { [PK]: { S: INDEX_TABLE.historyPk }, [SK]: { B: versionKey(version) } } }),
    );
    if (!out.Item) return undefined;
    return { version, edit: JSON.parse(out.Item.edit!.S!) as Edit, committedAt: out.Item.committedAt!.S! };
  }
}

/**
 * The data plane's view of the manifest: re-read at most every `ttlMs` (about a second),
 * and at once after `invalidate()` (a reader that met a missing table or object).
 */
export class ManifestCache extends TtlCache<Manifest> {
  constructor(store: ManifestStore, ttlMs = 1000, now: Clock = systemClock) {
    super(() => store.read(), ttlMs, now);
  }
}

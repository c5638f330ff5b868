/**
 * The manifest in the index table (DESIGN §4): one item, replaced by a conditional put on
 * the version it was read at. Each version is also kept as an immutable history item.
 * A lost race re-reads and re-applies the edit; an edit already applied is a no-op.
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { applyEdit, EMPTY_MANIFEST, type Edit, type EditResult, type Garbage, type Manifest, type RunMeta, type Spend } from '../core/manifest.ts';
import { INDEX_TABLE } from '../core/schema.ts';
import type { Clock } from '../core/seq.ts';
import { systemClock } from '../core/seq.ts';
import { backoffMs, errorName, sleep, translate } from './aws-errors.ts';
import { TtlCache } from './ttl-cache.ts';
import { grant, type Grant } from './grants.ts';

export const MANIFEST_GRANTS = {
  /** read, history */
  read: [grant('indexTable', 'dynamodb:GetItem')],
  /** commit: read, then a conditional put of the manifest and its history item */
  commit: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:PutItem')],
} as const satisfies Record<string, readonly Grant[]>;

type Item = Record<string, AttributeValue>;
const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;

function versionKey(version: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(version));
  return b;
}

export interface HistoryEntry {
  readonly version: number;
  readonly edit: Edit | null;
  readonly committedAt: string;
}

export class ManifestStore {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;

  constructor(ddb: DynamoDBClient, table: string) {
    this.ddb = ddb;
    this.table = table;
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
    for (let attempt = 0; ; attempt++) {
      const current = await this.read();
      const result = applyEdit(current, edit);
      if (!result.changed) return result;
      const now = new Date().toISOString();
      const body: Item = {
        version: { N: String(result.manifest.version) },
        runs: { S: JSON.stringify(result.manifest.runs) },
        garbage: { S: JSON.stringify(result.manifest.garbage ?? []) },
        spent: { S: JSON.stringify(result.manifest.spent ?? []) },
        edit: { S: JSON.stringify(edit) },
        committedAt: { S: now },
      };
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
      return result;
    }
  }

  private async putHistory(version: number, body: Item): Promise<void> {
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

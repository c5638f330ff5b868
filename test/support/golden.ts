/**
 * Golden stores: a small store written by one release, kept as the items and objects it
 * consists of (test/fixtures/golden/<release>.json) with the model of what it holds. Every
 * later release loads each of them into the embedded system and reads them back
 * (test/integration/golden.test.ts): a change of a persisted format without a new version and
 * a reader of the old fails there. `node test/support/make-golden.ts <release>` writes the
 * current release's.
 */
import { ListObjectsV2Command, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RunMeta } from '../../lambda/core/manifest.ts';
import type { StoreSettings } from '../../lambda/core/settings.ts';
import { itemFromJson, itemToJson } from '../../lambda/store/paging.ts';
import type { LocalSystem } from '../../local/system.ts';
import { Model } from './lifecycle.ts';
import { HotTableAdmin } from '../../lambda/store/hot-table-admin.ts';

export interface GoldenStore {
  /** The release that wrote it (package.json's version when it was made). */
  readonly release: string;
  readonly settings: StoreSettings;
  /** The clock when it was dumped (ms): a loaded store is read at this time. */
  readonly now: number;
  /** Every item of the index table. */
  readonly items: ReturnType<typeof itemToJson>[];
  /** Every object in the bucket (current versions), base64. */
  readonly objects: { key: string; body: string }[];
  /** What it holds: every key ever written, with its value (absent: deleted). */
  readonly model: { pk: string; sk: string; seq: number; value?: unknown }[];
  /** A checkpoint of it, and what reads at the checkpoint hold. */
  readonly checkpoint: { id: string; model: { pk: string; sk: string; seq: number; value?: unknown }[] };
}

/** The items and objects of a store, as they are now. */
export async function dump(sys: LocalSystem): Promise<Pick<GoldenStore, 'items' | 'objects'>> {
  const items: GoldenStore['items'] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await sys.store.ddb.send(new ScanCommand({ TableName: sys.store.indexTable, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const it of out.Items ?? []) items.push(itemToJson(it));
    start = out.LastEvaluatedKey;
  } while (start);
  const objects: { key: string; body: string }[] = [];
  let token: string | undefined;
  do {
    const out = await sys.store.s3.send(new ListObjectsV2Command({ Bucket: sys.store.bucket, ContinuationToken: token }));
    for (const o of out.Contents ?? []) {
      const got = await sys.store.s3.send(new GetObjectCommand({ Bucket: sys.store.bucket, Key: o.Key! }));
      objects.push({ key: o.Key!, body: Buffer.from(await got.Body!.transformToByteArray()).toString('base64') });
    }
    token = out.NextContinuationToken;
  } while (token);
  const order = (x: GoldenStore['items'][number]) => JSON.stringify([x.PK, x.SK]);
  items.sort((a, b) => (order(a) < order(b) ? -1 : 1));
  objects.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { items, objects };
}

/** Loads a golden store into an empty embedded system: its items, its objects, and (empty) the hot tables its manifest names. */
export async function load(sys: LocalSystem, g: GoldenStore): Promise<void> {
  for (let i = 0; i < g.items.length; i += 25) {
    const batch = g.items.slice(i, i + 25).map((it) => ({ PutRequest: { Item: itemFromJson(it) } }));
    let left: typeof batch | undefined = batch;
    while (left && left.length > 0)
      left = (await sys.store.ddb.send(new BatchWriteItemCommand({ RequestItems: { [sys.store.indexTable]: left } }))).UnprocessedItems?.[
        sys.store.indexTable
      ] as typeof batch | undefined;
  }
  for (const o of g.objects) await sys.store.s3.send(new PutObjectCommand({ Bucket: sys.store.bucket, Key: o.key, Body: Buffer.from(o.body, 'base64') }));
  const manifest = g.items.find((it) => (it.PK as { S?: string }).S === 'manifest')!;
  const runs = JSON.parse((manifest.runs as { S: string }).S) as RunMeta[];
  for (const r of runs.filter((x) => x.tier === 'hot')) await new HotTableAdmin(sys.store.ddb).create(r.table!, { mode: 'on-demand' }, r.shards ?? 1);
  sys.refreshManifests();
}

/** A model of the records in a golden store. */
export function modelOf(records: GoldenStore['model']): Model {
  const m = new Model();
  for (const r of records) m.apply(r.pk, r.sk, r.seq, r.value);
  return m;
}

/**
 * Everything the embedded store holds, as text to search: every object of the bucket, current
 * and noncurrent (blobs decoded block by block, gzip unpacked, anything else as it is), and
 * every item of every DynamoDB table. A purge is proven by what this no longer finds.
 */
import { gunzipSync } from 'node:zlib';
import { ListTablesCommand, paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { scanBlob } from '../../lambda/core/blob-reader.ts';
import type { LocalSystem } from '../../local/system.ts';

export interface Stored {
  /** Where it is: `s3:<key>`, `s3:<key>@<version>` (noncurrent), `ddb:<table>`. */
  readonly where: string;
  readonly text: string;
}

async function textsOf(body: Buffer): Promise<string[]> {
  const out = [body.toString('latin1')];
  try {
    out.push(gunzipSync(body).toString('utf8'));
  } catch {
    // not gzip
  }
  try {
    const parts: string[] = [];
    for await (const batch of scanBlob({ name: 'object', size: body.length, read: async (o, l) => body.subarray(o, o + l) }).batches()) {
      for (const e of batch) parts.push(`${e.key.toString('latin1')}=${e.value?.toString('utf8') ?? '<tombstone>'}`);
    }
    out.push(parts.join('\n'));
  } catch {
    // not a blob
  }
  return out;
}

const attrText = (v: AttributeValue): string => (v.B ? Buffer.from(v.B).toString('latin1') : (v.S ?? v.N ?? JSON.stringify(v)));

export async function everythingStored(sys: LocalSystem): Promise<Stored[]> {
  const out: Stored[] = [];
  for (const o of await sys.cold.bucket.list('')) {
    const body = o.size === 0 ? Buffer.alloc(0) : await sys.cold.bucket.reader(o.key).read(0, o.size);
    for (const text of await textsOf(body)) out.push({ where: `s3:${o.key}`, text });
  }
  for (const v of sys.versions.noncurrent(sys.store.bucket)) for (const text of await textsOf(v.body)) out.push({ where: `s3:${v.key}@${v.versionId}`, text });
  const tables = (await sys.store.ddb.send(new ListTablesCommand({}))).TableNames ?? [];
  for (const table of tables) {
    for await (const page of paginateScan({ client: sys.store.ddb }, { TableName: table })) {
      for (const item of page.Items ?? []) out.push({ where: `ddb:${table}`, text: Object.values(item).map(attrText).join('\t') });
    }
  }
  return out;
}

/** Where each of `markers` is still found. */
export async function whereStored(sys: LocalSystem, markers: readonly string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const s of await everythingStored(sys)) {
    for (const m of markers) if (s.text.includes(m)) found.set(m, [...new Set([...(found.get(m) ?? []), s.where])]);
  }
  return found;
}

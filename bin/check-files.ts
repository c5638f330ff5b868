/**
 * `alki check FILE...`: proves a migration. Reads the same NDJSON an import takes (or an
 * export of the source system in that shape), keeps the newest version of each key as the
 * import would, and compares with what Alki returns: one paged range query per partition
 * over the span of the file's keys, not one GET per record.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import { IMPORT_LIMITS, parseImportLine } from '../lambda/core/import-format.ts';
import { decodeKey } from '../lambda/core/keys.ts';
import type { AlkiClient } from '../client/index.ts';

/** Versions given to untimed lines are below this; live writes are far above. */
const UNTIMED_CEILING = 2 ** (IMPORT_LIMITS.chunkLineBits + 24);

interface Expected {
  readonly value: unknown;
  /** The line's version; undefined for an untimed line (older than any live write). */
  readonly seq: number | undefined;
  /** For ties and untimed lines: later lines win. */
  readonly order: number;
}

export interface Example {
  readonly pk: string;
  readonly sk: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly actualSeq?: number;
}

export interface CheckReport {
  readonly records: number;
  readonly invalidLines: number;
  readonly matching: number;
  readonly missing: number;
  readonly different: number;
  readonly newerInAlki: number;
  readonly partitions: number;
  readonly queries: number;
  readonly examples: { readonly missing: Example[]; readonly different: Example[]; readonly newerInAlki: Example[] };
}

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function readExpected(paths: readonly string[]): Promise<{ partitions: Map<string, Map<string, Expected>>; invalid: number }> {
  const partitions = new Map<string, Map<string, Expected>>();
  let invalid = 0;
  let order = 0;
  const now = Date.now();
  for (const path of paths) {
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      order++;
      // Versions given in a line are positive; 0 marks an untimed line.
      const r = parseImportLine(line, 0, now);
      if (!('key' in r)) {
        invalid++;
        continue;
      }
      const { pk, sk } = decodeKey(r.key);
      const e: Expected = { value: JSON.parse(r.value!.toString()), seq: r.seq === 0 ? undefined : r.seq, order };
      const part = partitions.get(pk) ?? new Map<string, Expected>();
      partitions.set(pk, part);
      const cur = part.get(sk);
      // Newest version wins, as in the import: timed beats untimed, then later lines.
      if (!cur || (e.seq ?? 0) > (cur.seq ?? 0) || ((e.seq ?? 0) === (cur.seq ?? 0) && e.order > cur.order)) part.set(sk, e);
    }
  }
  return { partitions, invalid };
}

export async function checkFiles(client: AlkiClient, paths: readonly string[], examplesPerKind = 5): Promise<CheckReport> {
  const { partitions, invalid } = await readExpected(paths);
  const counts = { matching: 0, missing: 0, different: 0, newerInAlki: 0 };
  const examples: CheckReport['examples'] = { missing: [], different: [], newerInAlki: [] };
  const note = (kind: keyof typeof examples, ex: Example): void => {
    counts[kind]++;
    if (examples[kind].length < examplesPerKind) examples[kind].push(ex);
  };
  let records = 0;
  let queries = 0;
  for (const [pk, part] of partitions) {
    const sks = [...part.keys()].sort(byBytes);
    records += sks.length;
    // One range over the file's keys in this partition; `to` is exclusive, so end just past the last.
    const found = new Map<string, { value: unknown; seq: number }>();
    for await (const page of client.query(pk, { from: sks[0]!, to: `${sks[sks.length - 1]!}\u0000`, pageSize: 1000 }).pages()) {
      queries++;
      for (const it of page.items) if (part.has(it.sk)) found.set(it.sk, { value: it.value, seq: it.seq });
    }
    for (const sk of sks) {
      const want = part.get(sk)!;
      const got = found.get(sk);
      if (!got) note('missing', { pk, sk, expected: want.value });
      else if (isDeepStrictEqual(got.value, want.value)) counts.matching++;
      else if (got.seq > (want.seq ?? UNTIMED_CEILING)) note('newerInAlki', { pk, sk, expected: want.value, actual: got.value, actualSeq: got.seq });
      else note('different', { pk, sk, expected: want.value, actual: got.value, actualSeq: got.seq });
    }
  }
  return { records, invalidLines: invalid, ...counts, partitions: partitions.size, queries, examples };
}

export function describeCheck(r: CheckReport): string {
  const out = [
    `${r.records} record(s) in ${r.partitions} partition(s), ${r.queries} range queries${r.invalidLines ? `; ${r.invalidLines} invalid line(s) skipped` : ''}`,
    `  matching ${r.matching}, missing ${r.missing}, different ${r.different}, newer in Alki ${r.newerInAlki}`,
  ];
  for (const kind of ['missing', 'different', 'newerInAlki'] as const) {
    for (const e of r.examples[kind])
      out.push(`  ${kind}: ${e.pk} / ${e.sk}: expected ${JSON.stringify(e.expected)}${e.actual !== undefined ? `, Alki has ${JSON.stringify(e.actual)}` : ''}`);
  }
  return out.join('\n');
}

/**
 * Names and schemas of every stored thing, defined once: the CDK app, the adapters and
 * the local system all build tables, keys and object names from here.
 */
import { formatDuration, parseDuration } from './settings.ts';

/** Hot tables: one per period. */
export const HOT_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** JSON text of the value; absent on a tombstone. */
  value: 'v',
  seq: 'seq',
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
} as const;

/** The partition key attribute of a hot table of `shards` shards: `pk`, or `pk<n>` holding `<shard>#<pk>` (core/hot-shards.ts). */
export const hotPartitionKey = (shards: number): string => (shards <= 1 ? HOT_TABLE.partitionKey : `${HOT_TABLE.partitionKey}${shards}`);

/** A hot table's shard count, from the name of its partition key attribute; undefined if it is no hot table's. */
export function shardsOfPartitionKey(attribute: string): number | undefined {
  if (attribute === HOT_TABLE.partitionKey) return 1;
  const m = /^pk([1-9]\d*)$/.exec(attribute);
  return m ? Number(m[1]) : undefined;
}

/** Key schema and attribute definitions of a hot table of `shards` shards (a sharded table keeps `pk` as a plain attribute). */
export function hotTableSchema(shards: number) {
  const hash = hotPartitionKey(shards);
  return {
    attributeDefinitions: [
      { AttributeName: hash, AttributeType: 'S' as const },
      { AttributeName: HOT_TABLE.sortKey, AttributeType: 'S' as const },
    ],
    keySchema: [
      { AttributeName: hash, KeyType: 'HASH' as const },
      { AttributeName: HOT_TABLE.sortKey, KeyType: 'RANGE' as const },
    ],
  };
}

/** The index table: the manifest, its history, and the sparse index of every cold run. */
export const INDEX_TABLE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  attributeDefinitions: [
    { AttributeName: 'PK', AttributeType: 'S' },
    { AttributeName: 'SK', AttributeType: 'B' },
  ],
  keySchema: [
    { AttributeName: 'PK', KeyType: 'HASH' },
    { AttributeName: 'SK', KeyType: 'RANGE' },
  ],
  manifestPk: 'manifest',
  /** Binary sort keys cannot be empty: the manifest item's is one zero byte. */
  manifestSk: Uint8Array.of(0),
  historyPk: 'manifest#history',
  /** Markers of the hot tables that received writes (store/written-tables.ts). */
  writtenPk: 'written',
} as const;

export const indexTableName = (prefix: string): string => `${prefix}-index`;
export const hotTablePrefix = (prefix: string): string => `${prefix}-hot-`;
/**
 * A run's index, two levels: `run#<id>` holds, for a run written by key range, one pointer per
 * range (sort key: the range's first key) to the range's own partition `run#<id>#<range>`
 * holding its index entries, so each merge task writes under a partition key of its own. A
 * run written whole (and every run written before ranges had partitions) keeps its entries
 * in `run#<id>` itself; readers tell the two by the item.
 */
export const runPartition = (runId: string): string => `run#${runId}`;
export const runRangePartition = (runId: string, range: number): string => `run#${runId}#${range}`;
/** The run whose index a `run#` partition key belongs to. */
export const runOfPartition = (pk: string): string => pk.slice('run#'.length).split('#')[0]!;
/** The key ranges a run was written in (RangeSummary items, by range index): what a compaction of it plans from. */
export const rangesPartition = (runId: string): string => `ranges#${runId}`;

/** Period start (ms since the epoch, UTC-aligned) of the period holding `ms`. */
export function periodStartOf(ms: number, periodMs: number): number {
  return Math.floor(ms / periodMs) * periodMs;
}

/** A period's id: its UTC start, compact, and its length (so ids never collide across settings). */
export function periodId(start: number, periodMs: number): string {
  const iso = new Date(start).toISOString(); // 2026-11-22T00:00:00.000Z
  const compact = iso.slice(0, 19).replace(/[-:]/g, '');
  return `${compact}Z-${formatDuration(periodMs)}`;
}

export const hotTableName = (prefix: string, start: number, periodMs: number): string => `${hotTablePrefix(prefix)}${periodId(start, periodMs)}`;

export const hotRunId = (start: number, periodMs: number): string => `hot-${periodId(start, periodMs)}`;

/** The period a hot table's name holds (hotTableName's inverse), or undefined for another name. */
export function periodOfHotTable(prefix: string, table: string): { start: number; periodMs: number } | undefined {
  if (!table.startsWith(hotTablePrefix(prefix))) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-(\d+(?:ms|s|m|h|d))$/.exec(table.slice(hotTablePrefix(prefix).length));
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, length] = m;
  const start = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const periodMs = parseDuration('period', length!);
  return hotTableName(prefix, start, periodMs) === table ? { start, periodMs } : undefined;
}

/** A cold run offloaded from one period. */
export const offloadRunId = (start: number, periodMs: number): string => `p-${periodId(start, periodMs)}`;

/** Objects in the cold bucket. */
export const OBJECTS = {
  blob: (runId: string, ordinal: number): string => `runs/${runId}/${String(ordinal).padStart(6, '0')}.blob`,
  runsRoot: 'runs/',
  runPrefix: (runId: string): string => `runs/${runId}/`,
  /** A blob of one key range of a range-partitioned write: names sort in key order. */
  rangeBlob: (runId: string, range: number, ordinal: number): string => `${OBJECTS.rangeBlobPrefix(runId, range)}${String(ordinal).padStart(6, '0')}.blob`,
  rangeBlobPrefix: (runId: string, range: number): string => `runs/${runId}/${String(range).padStart(4, '0')}-`,
  /** A spill of one scan segment for one key range of a job. */
  spill: (jobId: string, range: number, segment: number): string => `${OBJECTS.spillRange(jobId, range)}/seg-${String(segment).padStart(4, '0')}`,
  spillPrefix: (jobId: string): string => `spills/${jobId}`,
  /** Every spill of one key range of a job. */
  spillRange: (jobId: string, range: number): string => `spills/${jobId}/range-${String(range).padStart(4, '0')}`,
  /** Spills of one key range merged in groups, when the range has too many to merge at once. */
  spillPass: (jobId: string, range: number): string => `${OBJECTS.spillRange(jobId, range)}/pass-1`,
  /** The items of one of a job's Distributed Maps (a JSON array of task indices), under its working prefix. */
  mapItems: (jobId: string, kind: string): string => `spills/${jobId}/maps/${kind}.json`,
  /** Where a job's Distributed Maps write their results (ResultWriter). */
  mapResults: (jobId: string): string => `spills/${jobId}/maps/results`,
  importPrefix: (importId: string): string => `imports/${importId}/`,
  importsRoot: 'imports/',
  /** An uploaded input file of an import, in file order. */
  importInput: (importId: string, file: number): string => `imports/${importId}/input-${String(file).padStart(4, '0')}.ndjson`,
  exportsRoot: 'exports/',
  exportPrefix: (exportId: string): string => `exports/${exportId}/`,
  /** An export's object: names sort in key order (range, then part). */
  exportObject: (exportId: string, range: number, part: number): string =>
    `exports/${exportId}/${String(range).padStart(6, '0')}-${String(part).padStart(4, '0')}.ndjson.gz`,
  /** The export's list of objects, written when it is verified. */
  exportManifest: (exportId: string): string => `exports/${exportId}/manifest.json`,
  /** Every committed manifest version, as its snapshot (what recovery rebuilds the index from). */
  manifestsRoot: 'manifest/',
  /**
   * A manifest version's snapshot: numbered down from 10^15, so a listing, in name order,
   * starts at the newest.
   */
  manifestSnapshot: (version: number): string => `manifest/${String(SNAPSHOT_CEILING - version).padStart(16, '0')}.json`,
} as const;

/** Snapshot names count down from here (a manifest version is far below it). */
const SNAPSHOT_CEILING = 1e15;

/** The version a snapshot's name holds, or undefined for any other name. */
export function snapshotVersion(name: string): number | undefined {
  const m = /^manifest\/(\d{16})\.json$/.exec(name);
  return m ? SNAPSHOT_CEILING - Number(m[1]) : undefined;
}

/** The run an import writes (also its job id: spills and spec). */
export const importRunId = (importId: string): string => `i-${importId}`;

/** Import ids: what `POST /v1/imports` hands out, checked wherever one comes back. */
export const IMPORT_ID = /^[a-z0-9]{8,40}$/;

/** A hot run's seq bounds are its period's, in microseconds. */
export function periodSeqBounds(start: number, periodMs: number): { minSeq: number; maxSeq: number } {
  return { minSeq: start * 1000, maxSeq: (start + periodMs) * 1000 - 1 };
}

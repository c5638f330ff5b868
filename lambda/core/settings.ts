/**
 * Store settings: every knob of the store (docs/design.md), parsed and checked once. The CDK app turns its
 * props into the same environment variables that the local system sets, and handlers read
 * them through `settingsFromEnv`.
 */
import { ValidationError } from './errors.ts';
import { COMPACTION_POLICIES, DEFAULT_POLICY_OPTIONS, checkPolicyOptions, type CompactionPolicyName } from './compaction.ts';
import { FORMAT_DEFAULTS } from './limits.ts';
import { DEFAULT_HOT_SHARDS, MAX_HOT_SHARDS } from './hot-shards.ts';

export interface StoreSettings {
  /** Prefix of every resource name (tables, bucket). */
  readonly prefix: string;
  readonly periodMs: number;
  /** A period's table takes no writes after end + sealGrace. */
  readonly sealGraceMs: number;
  /** What a commit releases is deleted this long after. */
  readonly gcGraceMs: number;
  readonly fanout: number;
  readonly maxLevel: number;
  /** Records older than this are invisible and dropped; undefined keeps everything. */
  readonly retentionMs: number | undefined;
  readonly blockBytes: number;
  readonly blobBytes: number;
  /** Offload and compaction split work into key ranges of about this many raw bytes. */
  readonly rangeBytes: number;
  /** Raw bytes a scan or merge task holds before spilling. */
  readonly spillBytes: number;
  /**
   * Raw bytes of a hot table one offload scan task reads: a period is scanned in as many
   * segments as it takes (core/fan-out.ts). The default is the task budget at the rate a
   * segment reads (DynamoDB serves a partition 3,000 read units a second, 12 MB/s).
   */
  readonly segmentBytes: number;
  /**
   * Key ranges of a compaction one lifecycle execution merges and verifies; undefined: as many
   * as finish in half the execution's timeout (core/fan-out.ts). A larger compaction takes
   * several executions.
   */
  readonly compactionSlice: number | undefined;
  /**
   * Tasks of an offload (scan segments, key ranges merged and read back, segments re-scanned)
   * one lifecycle execution runs at most; undefined: as many as finish in half the execution's
   * timeout (core/offload-slice.ts). A larger offload takes several executions.
   */
  readonly offloadSlice: number | undefined;
  /**
   * Rotation keeps the tables of this many periods after the current one registered, on its
   * own schedule: writes go on for that long with offload, compaction and GC stopped (an
   * empty on-demand table costs nothing).
   */
  readonly rotateAhead: number;
  /**
   * How hot tables are billed: `on-demand` (per request), or `provisioned` (rotation sizes each
   * period's write capacity from the last offloaded period and attaches auto scaling).
   */
  readonly hotCapacity: HotCapacity;
  /**
   * Partition keys each `pk` is spread over in the hot tables created from now on (write
   * sharding, core/hot-shards.ts): one partition key takes at most 1,000 writes a second.
   */
  readonly hotShards: number;
  /**
   * The peak write rate (records a second) the store is sized for before it has history: new
   * on-demand hot tables are warmed for it (with headroom), and the CDK app's API throttling
   * follows it. Undefined: sized from what was offloaded alone.
   */
  readonly peakWritesPerSecond: number | undefined;
  /** The compaction policy: `logarithmic`, or `multi` (with the sparse rewrite and packing; core/strategies). */
  readonly compaction: CompactionPolicyName;
  /**
   * A deleted or expired record is gone from every object of the store this long after (its run
   * rewritten, its hot table dropped, every object version deleted); undefined: no deadline.
   */
  readonly purgeWithinMs: number | undefined;
}

export const HOT_CAPACITIES = ['on-demand', 'provisioned'] as const;
export type HotCapacity = (typeof HOT_CAPACITIES)[number];

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `10s`, `5m`, `1h`, `1d`, `30d`; a bare number is milliseconds. */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ValidationError('InvalidConfig', `${name} must be a duration like 10s, 5m, 1h or 1d, not "${text}"`);
  return Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!;
}

/** The seq (microseconds) below which records are expired as of `atMs`; undefined without retention. */
export function retentionCutoff(s: Pick<StoreSettings, 'retentionMs'>, atMs: number): number | undefined {
  return s.retentionMs === undefined ? undefined : Math.floor((atMs - s.retentionMs) * 1000);
}

export function formatDuration(ms: number): string {
  for (const u of ['d', 'h', 'm', 's'] as const) if (ms % DURATION_UNITS[u]! === 0) return `${ms / DURATION_UNITS[u]!}${u}`;
  return `${ms}ms`;
}

export const DEFAULT_SETTINGS: StoreSettings = {
  prefix: 'alki',
  periodMs: DURATION_UNITS.d!,
  sealGraceMs: 10 * DURATION_UNITS.m!,
  gcGraceMs: 10 * DURATION_UNITS.m!,
  fanout: DEFAULT_POLICY_OPTIONS.fanout,
  maxLevel: DEFAULT_POLICY_OPTIONS.maxLevel,
  retentionMs: undefined,
  blockBytes: FORMAT_DEFAULTS.blockBytes,
  blobBytes: FORMAT_DEFAULTS.blobBytes,
  rangeBytes: 2 * 1024 ** 3,
  spillBytes: 128 * 1024 ** 2,
  segmentBytes: 4 * 1024 ** 3,
  compactionSlice: undefined,
  offloadSlice: undefined,
  rotateAhead: 7,
  hotCapacity: 'on-demand',
  hotShards: DEFAULT_HOT_SHARDS,
  peakWritesPerSecond: undefined,
  compaction: 'logarithmic',
  purgeWithinMs: undefined,
};

/** Environment variable of each setting: the names the CDK app and the local system set. */
export const SETTINGS_ENV = {
  prefix: 'ALKI_PREFIX',
  periodMs: 'ALKI_PERIOD',
  sealGraceMs: 'ALKI_SEAL_GRACE',
  gcGraceMs: 'ALKI_GC_GRACE',
  fanout: 'ALKI_FANOUT',
  maxLevel: 'ALKI_MAX_LEVEL',
  retentionMs: 'ALKI_RETENTION',
  blockBytes: 'ALKI_BLOCK_BYTES',
  blobBytes: 'ALKI_BLOB_BYTES',
  rangeBytes: 'ALKI_RANGE_BYTES',
  spillBytes: 'ALKI_SPILL_BYTES',
  segmentBytes: 'ALKI_SEGMENT_BYTES',
  compactionSlice: 'ALKI_COMPACTION_SLICE',
  offloadSlice: 'ALKI_OFFLOAD_SLICE',
  rotateAhead: 'ALKI_ROTATE_AHEAD',
  hotCapacity: 'ALKI_HOT_CAPACITY',
  hotShards: 'ALKI_HOT_SHARDS',
  peakWritesPerSecond: 'ALKI_PEAK_WRITES_PER_SECOND',
  compaction: 'ALKI_COMPACTION',
  purgeWithinMs: 'ALKI_PURGE_WITHIN',
} as const satisfies Record<keyof StoreSettings, string>;

function intSetting(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new ValidationError('InvalidConfig', `${name} must be an integer from ${min} to ${max}, not "${text}"`);
  return n;
}

export function checkSettings(s: StoreSettings): StoreSettings {
  if (!HOT_CAPACITIES.includes(s.hotCapacity))
    throw new ValidationError('InvalidConfig', `hot capacity must be ${HOT_CAPACITIES.join(' or ')}, not "${String(s.hotCapacity)}"`);
  if (!/^[a-z0-9][a-z0-9-]{1,30}$/.test(s.prefix)) {
    throw new ValidationError('InvalidConfig', `prefix must be 2-31 lowercase letters, digits or dashes, not "${s.prefix}"`);
  }
  if (s.periodMs < 1000 || s.periodMs % 1000 !== 0) throw new ValidationError('InvalidConfig', 'period must be a whole number of seconds, at least 1s');
  if (DURATION_UNITS.d! % s.periodMs !== 0 && s.periodMs % DURATION_UNITS.d! !== 0) {
    throw new ValidationError('InvalidConfig', 'period must divide a day (or be whole days), so periods align to UTC midnight');
  }
  if (s.retentionMs !== undefined && s.retentionMs <= s.periodMs) throw new ValidationError('InvalidConfig', 'retention must be longer than one period');
  if (!Number.isInteger(s.hotShards) || s.hotShards < 1 || s.hotShards > MAX_HOT_SHARDS)
    throw new ValidationError('InvalidConfig', `hot shards must be an integer from 1 to ${MAX_HOT_SHARDS}, not ${s.hotShards}`);
  if (!COMPACTION_POLICIES.includes(s.compaction))
    throw new ValidationError('InvalidConfig', `compaction must be ${COMPACTION_POLICIES.join(' or ')}, not "${String(s.compaction)}"`);
  if (s.purgeWithinMs !== undefined && s.purgeWithinMs < 2 * hotBoundMs(s)) {
    throw new ValidationError(
      'InvalidConfig',
      `purge within ${formatDuration(s.purgeWithinMs)} is too short: a hot table is dropped up to ${formatDuration(hotBoundMs(s))} after a delete (period, seal grace, offload, GC grace), which must fit in half of it`,
    );
  }
  checkPolicyOptions({ fanout: s.fanout, maxLevel: s.maxLevel });
  return s;
}

export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): StoreSettings {
  const get = (k: keyof StoreSettings): string | undefined => {
    const v = env[SETTINGS_ENV[k]];
    return v === undefined || v === '' ? undefined : v;
  };
  const dur = (k: keyof StoreSettings, d: number): number => {
    const v = get(k);
    return v === undefined ? d : parseDuration(SETTINGS_ENV[k], v);
  };
  const int = (k: keyof StoreSettings, d: number, min: number, max: number): number => {
    const v = get(k);
    return v === undefined ? d : intSetting(SETTINGS_ENV[k], v, min, max);
  };
  const retention = get('retentionMs');
  const purge = get('purgeWithinMs');
  return checkSettings({
    prefix: get('prefix') ?? DEFAULT_SETTINGS.prefix,
    periodMs: dur('periodMs', DEFAULT_SETTINGS.periodMs),
    sealGraceMs: dur('sealGraceMs', DEFAULT_SETTINGS.sealGraceMs),
    gcGraceMs: dur('gcGraceMs', DEFAULT_SETTINGS.gcGraceMs),
    fanout: int('fanout', DEFAULT_SETTINGS.fanout, 2, 64),
    maxLevel: int('maxLevel', DEFAULT_SETTINGS.maxLevel, 1, 64),
    retentionMs: retention === undefined || retention === 'off' ? undefined : parseDuration(SETTINGS_ENV.retentionMs, retention),
    blockBytes: int('blockBytes', DEFAULT_SETTINGS.blockBytes, 1024, 4 << 20),
    blobBytes: int('blobBytes', DEFAULT_SETTINGS.blobBytes, 4096, 1 << 30),
    rangeBytes: int('rangeBytes', DEFAULT_SETTINGS.rangeBytes, 1024, 2 ** 40),
    spillBytes: int('spillBytes', DEFAULT_SETTINGS.spillBytes, 1024, 2 ** 32),
    segmentBytes: int('segmentBytes', DEFAULT_SETTINGS.segmentBytes, 1024, 2 ** 40),
    compactionSlice: get('compactionSlice') === undefined ? undefined : int('compactionSlice', 0, 1, 10_000_000),
    offloadSlice: get('offloadSlice') === undefined ? undefined : int('offloadSlice', 0, 1, 10_000_000),
    rotateAhead: int('rotateAhead', DEFAULT_SETTINGS.rotateAhead, 2, 400),
    hotCapacity: (get('hotCapacity') ?? DEFAULT_SETTINGS.hotCapacity) as HotCapacity,
    hotShards: int('hotShards', DEFAULT_SETTINGS.hotShards, 1, MAX_HOT_SHARDS),
    peakWritesPerSecond: get('peakWritesPerSecond') === undefined ? undefined : int('peakWritesPerSecond', 0, 1, 10_000_000),
    compaction: (get('compaction') ?? DEFAULT_SETTINGS.compaction) as CompactionPolicyName,
    purgeWithinMs: purge === undefined || purge === 'off' ? undefined : parseDuration(SETTINGS_ENV.purgeWithinMs, purge),
  });
}

/** The environment that reproduces `s` (for the CDK app and the local system). */
export function settingsToEnv(s: StoreSettings): Record<string, string> {
  return {
    [SETTINGS_ENV.prefix]: s.prefix,
    [SETTINGS_ENV.periodMs]: formatDuration(s.periodMs),
    [SETTINGS_ENV.sealGraceMs]: formatDuration(s.sealGraceMs),
    [SETTINGS_ENV.gcGraceMs]: formatDuration(s.gcGraceMs),
    [SETTINGS_ENV.fanout]: String(s.fanout),
    [SETTINGS_ENV.maxLevel]: String(s.maxLevel),
    [SETTINGS_ENV.retentionMs]: s.retentionMs === undefined ? 'off' : formatDuration(s.retentionMs),
    [SETTINGS_ENV.blockBytes]: String(s.blockBytes),
    [SETTINGS_ENV.blobBytes]: String(s.blobBytes),
    [SETTINGS_ENV.rangeBytes]: String(s.rangeBytes),
    [SETTINGS_ENV.spillBytes]: String(s.spillBytes),
    [SETTINGS_ENV.segmentBytes]: String(s.segmentBytes),
    ...(s.compactionSlice === undefined ? {} : { [SETTINGS_ENV.compactionSlice]: String(s.compactionSlice) }),
    ...(s.offloadSlice === undefined ? {} : { [SETTINGS_ENV.offloadSlice]: String(s.offloadSlice) }),
    [SETTINGS_ENV.rotateAhead]: String(s.rotateAhead),
    [SETTINGS_ENV.hotCapacity]: s.hotCapacity,
    [SETTINGS_ENV.hotShards]: String(s.hotShards),
    ...(s.peakWritesPerSecond === undefined ? {} : { [SETTINGS_ENV.peakWritesPerSecond]: String(s.peakWritesPerSecond) }),
    [SETTINGS_ENV.compaction]: s.compaction,
    [SETTINGS_ENV.purgeWithinMs]: s.purgeWithinMs === undefined ? 'off' : formatDuration(s.purgeWithinMs),
  };
}

/** A quarter period in whole minutes, from one minute to `maxMinutes`. */
const quarterPeriodMs = (periodMs: number, maxMinutes: number): number =>
  Math.min(maxMinutes, Math.round(Math.max(DURATION_UNITS.m!, Math.floor(periodMs / 4)) / DURATION_UNITS.m!)) * DURATION_UNITS.m!;

/**
 * How long after a delete its period's hot table may still exist: the period, its seal grace,
 * up to two lifecycle intervals until the offload has committed, GC's grace and the interval
 * until GC runs again.
 */
export function hotBoundMs(
  s: Pick<StoreSettings, 'periodMs' | 'sealGraceMs' | 'gcGraceMs'>,
  lifecycleIntervalMs = defaultLifecycleIntervalMs(s.periodMs),
): number {
  return s.periodMs + s.sealGraceMs + 3 * lifecycleIntervalMs + s.gcGraceMs;
}

/** How long a checkpoint may live when a purge deadline is set: a quarter of it (it pins what a purge rewrites). */
export function maxCheckpointTtlMs(s: Pick<StoreSettings, 'purgeWithinMs'>, otherwise: number): number {
  return s.purgeWithinMs === undefined ? otherwise : Math.min(otherwise, Math.floor(s.purgeWithinMs / 4));
}

/** How often the lifecycle runs unless set: a quarter period, from a minute to an hour. */
export function defaultLifecycleIntervalMs(periodMs: number): number {
  return quarterPeriodMs(periodMs, 60);
}

/**
 * How often rotation runs on its own schedule: a quarter period, from a minute to 15 minutes
 * (an invocation costs next to nothing). With provisioned hot tables, the run in the interval
 * before a period begins provisions its table; if that run fails, the table takes writes
 * on-demand (it was made on-demand ahead) until the next run: a cost, never a throttle.
 */
export function rotationIntervalMs(periodMs: number): number {
  return quarterPeriodMs(periodMs, 15);
}

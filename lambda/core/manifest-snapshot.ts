/**
 * A committed manifest version as an object in the bucket (`manifest/<n>.json`, core/schema.ts
 * OBJECTS.manifestSnapshot): written after each commit, so the bucket alone names the runs of
 * the newest version and recovery (lambda/recover/) can rebuild the index table from it.
 * JSON, version 1: `{ "format": 1, "version", "runs", "garbage", "spent", "committedAt" }`.
 */
import { CorruptionError } from './errors.ts';
import type { Garbage, Manifest, RunMeta, Spend } from './manifest.ts';

export const SNAPSHOT_FORMAT = 1;

export interface ManifestSnapshot extends Manifest {
  /** When the version was committed (ISO). */
  readonly committedAt: string;
}

export function encodeSnapshot(m: Manifest, committedAt: string): Buffer {
  return Buffer.from(
    JSON.stringify({ format: SNAPSHOT_FORMAT, version: m.version, runs: m.runs, garbage: m.garbage ?? [], spent: m.spent ?? [], committedAt }),
    'utf8',
  );
}

/** Reads a snapshot, checking its shape: a torn or foreign object is corruption, never an empty store. */
export function decodeSnapshot(name: string, bytes: Uint8Array): ManifestSnapshot {
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new CorruptionError(name, undefined, `not JSON (${(err as Error).message})`, '');
  }
  const s = o as Partial<Record<'format' | 'version' | 'runs' | 'garbage' | 'spent' | 'committedAt', unknown>>;
  if (typeof o !== 'object' || o === null || s.format !== SNAPSHOT_FORMAT)
    throw new CorruptionError(name, undefined, `not a manifest snapshot of format ${SNAPSHOT_FORMAT}`, '');
  if (!Number.isSafeInteger(s.version) || (s.version as number) < 1) throw new CorruptionError(name, undefined, 'no version', '');
  if (!Array.isArray(s.runs) || !s.runs.every(isRun)) throw new CorruptionError(name, undefined, 'runs are not a list of runs', '');
  if (!Array.isArray(s.garbage) || !Array.isArray(s.spent) || typeof s.committedAt !== 'string')
    throw new CorruptionError(name, undefined, 'garbage, spent or committedAt missing', '');
  const garbage = s.garbage as Garbage[];
  const spent = s.spent as Spend[];
  return {
    version: s.version as number,
    runs: s.runs,
    ...(garbage.length > 0 ? { garbage } : {}),
    ...(spent.length > 0 ? { spent } : {}),
    committedAt: s.committedAt,
  };
}

function isRun(r: unknown): r is RunMeta {
  const m = r as Partial<RunMeta> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.id === 'string' &&
    (m.tier === 'hot' || m.tier === 'cold') &&
    typeof m.count === 'number' &&
    typeof m.setsum === 'string'
  );
}

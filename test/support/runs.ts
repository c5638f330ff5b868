/** Builders for manifest runs in tests and the compaction simulator. */
import type { RunMeta } from '../../lambda/core/manifest.ts';

export function coldRun(id: string, level: number, periodStart: number, periodEnd: number, bytes = 1): RunMeta {
  return {
    id,
    tier: 'cold',
    level,
    periodStart,
    periodEnd,
    minSeq: periodStart * 1000,
    maxSeq: periodEnd * 1000 - 1,
    count: bytes,
    bytes,
    setsum: '0'.repeat(64),
    createdAt: '2026-11-22T00:00:00.000Z',
  };
}

export function hotRun(periodStart: number, periodEnd: number): RunMeta {
  return { ...coldRun(`hot-${periodStart}`, 0, periodStart, periodEnd, 0), tier: 'hot', table: `alki-hot-${periodStart}` };
}

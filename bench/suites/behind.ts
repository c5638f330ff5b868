/**
 * Reads with the lifecycle behind: a GET's p99 with 100 sealed periods not offloaded (5 of
 * them holding data), as a ratio to the same GET with 2 (issue 24, part 11; goal at most 3).
 * The lifecycle is paused, rotation goes on; reads skip the sealed tables never written.
 */
import { DEFAULT_SETTINGS } from '../../lambda/core/settings.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import { startLocal } from '../../local/system.ts';
import { percentile, type Figure } from '../harness.ts';

const PERIOD = 60_000;
const GETS = 300;

export async function behindSuite(): Promise<Figure[]> {
  let now = Date.UTC(2026, 10, 23, 0, 0, 30);
  const settings = { ...DEFAULT_SETTINGS, prefix: 'behind', periodMs: PERIOD, sealGraceMs: 1000, gcGraceMs: 1000 };
  const sys = await startLocal({ dataDir: undefined, port: 0, settings, schedule: false, clock: () => now });
  const figures: Figure[] = [];
  try {
    const put = async (sk: string): Promise<void> => {
      const r = await fetch(`${sys.url}/v1/items/team/${encodeURIComponent(sk)}`, { method: 'PUT', body: '{"n":1}' });
      if (r.status !== 200) throw new Error(`put ${sk}: ${r.status}`);
    };
    let period = 0;
    /** The next period: writes in this one if it is one of those holding data, then the clock moves on and rotation runs. */
    const advance = async (withData: boolean): Promise<void> => {
      if (withData) for (let i = 0; i < 20; i++) await put(`p${period}-${i}`);
      period++;
      now += PERIOD;
      await sys.tasks[arnPlaceholder('rotate')]!({ source: 'aws.events' });
    };
    const p99 = async (): Promise<number> => {
      sys.refreshManifests();
      const ms: number[] = [];
      for (let i = 0; i < GETS; i++) {
        const t0 = performance.now();
        const r = await fetch(`${sys.url}/v1/items/team/p0-${i % 20}`);
        if (r.status !== 200) throw new Error(`get: ${r.status}`);
        await r.arrayBuffer();
        ms.push(performance.now() - t0);
      }
      return percentile(ms, 99);
    };
    // Two sealed periods, the first holding the data read.
    await advance(true);
    await advance(false);
    now += settings.sealGraceMs + 2000;
    const two = await p99();
    // A hundred, five of them holding data.
    while (period < 100) await advance(period % 20 === 0);
    now += settings.sealGraceMs + 2000;
    const hundred = await p99();
    figures.push({ suite: 'behind', name: 'get p99 with 2 sealed periods not offloaded', value: two, unit: 'ms' });
    figures.push({
      suite: 'behind',
      name: 'get p99, 100 sealed periods (5 with data) / 2',
      value: hundred / two,
      unit: 'ratio',
      baseline: 'the same GET with 2 sealed periods',
    });
  } finally {
    await sys.stop();
  }
  return figures;
}

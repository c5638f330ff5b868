/**
 * A seeded simulation of crashes and races, on the embedded system with the real handlers
 * and ASL and a manual clock. Each seed draws a schedule of writes, time passing, lifecycle
 * executions (sometimes two overlapping), rotation alone, pauses shorter than the horizon,
 * GC early or late, and readers holding a manifest as old as the data plane may; every task
 * call may crash before or after its work, or be delivered twice at once. Afterwards, with
 * faults off, the store must settle: reads equal the model of acknowledged writes, nothing
 * is orphaned, every committed run verifies against its manifest entry.
 * Fault decisions hash the seed with the step and its input, so a seed replays the same
 * faults whatever order concurrent tasks run in.
 */
import assert from 'node:assert/strict';
import type { SeedResult } from '../../bench/fault-simulation.ts';
import { createHash } from 'node:crypto';
import { storesFrom } from '../../lambda/store/stores.ts';
import { DataPlane } from '../../lambda/data-plane/data-plane.ts';
import { arnPlaceholder } from '../../lambda/units.ts';
import { verifiedRun, verifyRange } from '../../lambda/verify/verify.ts';
import type { RangeSpec } from '../../lambda/core/key-ranges.ts';
import type { Stores } from '../../lambda/store/stores.ts';
import type { TaskHandler } from '../../local/step-functions.ts';
import { startLocal, type LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, assertSettled, directWriter, InjectedCrash, ManualClock, Model, prng, randomWrites, stepOf, tinyStore } from './lifecycle.ts';

/**
 * A committed run's key ranges, rebuilt from its index (its job, which held them, is
 * collected): each range starts at its first blob's first key; the first and last are
 * unbounded.
 */
async function rangesOfRun(s: Stores, runId: string): Promise<RangeSpec[]> {
  const starts = new Map<number, Buffer>();
  for await (const e of s.coldReader.allEntries(runId)) {
    const range = Number(/\/(\d{4})-/.exec(e.blob)![1]);
    if (!starts.has(range)) starts.set(range, e.firstKey);
  }
  const sorted = [...starts.entries()].sort((a, b) => a[0] - b[0]);
  if (sorted.length === 0) return [{ index: 0 }];
  return sorted.map(([index], i) => ({
    index,
    ...(i > 0 ? { lo: sorted[i]![1].toString('base64') } : {}),
    ...(i + 1 < sorted.length ? { hi: sorted[i + 1]![1].toString('base64') } : {}),
  }));
}

export type { SeedResult };

/** A number in [0, 1) from the seed and a key: the same key gives the same draw. */
function draw(seed: number, key: string): number {
  return createHash('sha256').update(`${seed}\u0000${key}`).digest().readUInt32LE(0) / 2 ** 32;
}

export async function runSeed(seed: number): Promise<SeedResult> {
  const t0 = Date.now();
  const rng = prng(seed);
  const settings = tinyStore(`sim${seed}`, { rotateAhead: 4 });
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0) + 500);
  const model = new Model();
  const rates = { before: rng() * 0.08, after: rng() * 0.08, twice: rng() * 0.15 };
  // Off while the system starts (its first execution must succeed), on for the schedule.
  let faultsOn = false;
  let faults = 0;
  const attempts = new Map<string, number>();
  const wrap = (tasks: Readonly<Record<string, TaskHandler>>): Record<string, TaskHandler> =>
    Object.fromEntries(
      Object.entries(tasks).map(([p, h]): [string, TaskHandler] => [
        p,
        async (input) => {
          if (!faultsOn) return h(input);
          const step = stepOf(p, input);
          // The execution's own ARN and name vary with wall time: not part of the key.
          const { execution: _e, trigger: _t, ...stable } = (input ?? {}) as Record<string, unknown>;
          const base = `${step}\u0000${JSON.stringify(stable)}`;
          const n = (attempts.get(base) ?? 0) + 1;
          attempts.set(base, n);
          const key = `${base}\u0000${n}`;
          if (draw(seed, `before${key}`) < rates.before) {
            faults++;
            throw new InjectedCrash(step, 'before');
          }
          const result = draw(seed, `twice${key}`) < rates.twice ? (await Promise.all([h(input), h(input)]))[1] : await h(input);
          if (draw(seed, `after${key}`) < rates.after) {
            faults++;
            throw new InjectedCrash(step, 'after');
          }
          return result;
        },
      ]),
    );

  let sys: LocalSystem | undefined;
  let steps = 0;
  let executions = 0;
  try {
    sys = await startLocal({ dataDir: undefined, port: 0, settings, schedule: false, retryIntervalMs: 0, clock: clock.now, wrapTasks: wrap });
    const s = sys;
    faultsOn = true;
    const writer = directWriter(s.dataPlane, model);
    const pks = ['a', 'b', 'c'];
    let lastRotation = clock.now();
    const rotate = async (): Promise<void> => {
      await s.tasks[arnPlaceholder('rotate')]!({ source: 'aws.events' });
      lastRotation = clock.now();
    };
    const lifecycle = async (overlap: boolean): Promise<void> => {
      const runs = [s.stepFunctions.start('lifecycle').done, ...(overlap ? [s.stepFunctions.start('lifecycle').done] : [])];
      executions += runs.length;
      lastRotation = clock.now();
      for (const r of await Promise.all(runs)) {
        // Crashes fail executions visibly; nothing may ever fail verification.
        if (r.status !== 'SUCCEEDED') assert.equal(r.error, 'LifecycleFailed', `${r.name}: ${r.error}: ${String(r.cause)}`);
      }
    };
    // Readers whose cached manifest is as old as the data plane allows (gcGrace / 2).
    const readers: { dp: DataPlane; since: number }[] = [];
    const readerTtl = Math.floor(settings.gcGraceMs / 2);

    await lifecycle(false);
    const total = 10 + Math.floor(rng() * 10);
    for (; steps < total; steps++) {
      // Schedules may pause, but never past the horizon: rotation runs before it runs out.
      if (clock.now() - lastRotation > (settings.rotateAhead - 1) * settings.periodMs) await rotate();
      const r = rng();
      if (r < 0.35) await randomWrites(writer, rng, pks, 5 + Math.floor(rng() * 25), `s${seed}-${steps}`);
      else if (r < 0.55) clock.advance(Math.floor(settings.periodMs * (0.3 + rng())));
      else if (r < 0.75) await lifecycle(rng() < 0.3);
      else if (r < 0.8) await rotate();
      else if (r < 0.88) {
        // GC early or late: time around gcGrace, then an execution.
        clock.advance(Math.floor(settings.gcGraceMs * rng() * 2));
        await lifecycle(false);
      } else {
        const dp = new DataPlane({
          settings,
          hot: s.dataPlane.hot,
          cold: s.dataPlane.cold,
          manifests: s.dataPlane.manifests,
          now: clock.now,
          manifestTtlMs: readerTtl,
        });
        await dp.manifest();
        readers.push({ dp, since: clock.now() });
      }
      // Old readers still see every acknowledged write, as long as their cache may live.
      for (const rd of readers) {
        if (clock.now() - rd.since >= readerTtl) continue;
        for (const pk of pks) {
          for (const sk of model.keys(pk).slice(0, 3)) {
            const got = await rd.dp.get(pk, sk);
            assert.deepEqual(got?.value, model.get(pk, sk), `reader of ${new Date(rd.since).toISOString()}: ${pk}/${sk}`);
          }
        }
      }
    }

    // Faults off: the lifecycle catches up and GC collects.
    faultsOn = false;
    clock.advance(settings.periodMs + settings.sealGraceMs);
    for (let i = 0; i < 12; i++) {
      const m = await s.dataPlane.manifests.read();
      if (!m.runs.some((r) => r.tier === 'hot' && r.periodEnd + settings.sealGraceMs <= clock.now())) break;
      await lifecycle(false);
    }
    await lifecycle(false);
    clock.advance(settings.gcGraceMs + 1);
    await lifecycle(false);
    const m = await assertSettled(s, settings);
    const stores = storesFrom(s.env);
    for (const r of m.runs.filter((x) => x.tier === 'cold')) {
      const ranges = await Promise.all((await rangesOfRun(stores, r.id)).map((range) => verifyRange(stores, r.id, range)));
      verifiedRun({ runId: r.id, level: r.level, periodStart: r.periodStart, periodEnd: r.periodEnd, plus: [{ count: r.count, setsum: r.setsum }], ranges });
    }
    s.refreshManifests();
    await assertReadsMatch(s.url, model, rng, { gets: 10, ranges: 1 });
    assert.deepEqual(s.iam.denied(), []);
    return { seed, ok: true, steps, executions, faults, ms: Date.now() - t0 };
  } catch (err) {
    return { seed, ok: false, error: (err as Error).message.split('\n').slice(0, 6).join('\n'), steps, executions, faults, ms: Date.now() - t0 };
  } finally {
    await sys?.stop();
  }
}

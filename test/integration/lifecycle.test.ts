/**
 * The lifecycle end to end, in real time on one-second periods: writers put, overwrite and
 * delete through the HTTP API across more than ten periods while the lifecycle runs on its
 * schedule (sometimes two executions at once, as an overlapping EventBridge schedule could
 * start them: the later one ends at once, successfully, and the earlier does the work). At the end every key and every range query, in both orders, equals a model
 * of the acknowledged writes; the runs are the policy's counter; no sealed table remains.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { ExecutionRecord } from '../../local/step-functions.ts';
import type { LocalSystem } from '../../local/system.ts';
import { assertReadsMatch, assertSettled, httpWriter, Model, prng, randomWrites, tinyStore } from '../support/lifecycle.ts';
import { startTestSystem } from '../support/system.ts';

const SETTINGS = tinyStore('life', { sealGraceMs: 150, gcGraceMs: 400, rangeBytes: 4096, spillBytes: 8192 });
const PERIODS = 11;

describe('lifecycle under concurrent writers', () => {
  let sys: LocalSystem;
  beforeAll(async () => {
    sys = await startTestSystem(SETTINGS, { retryIntervalMs: 0 });
  });
  afterAll(() => sys.stop());

  it(`keeps every acknowledged write across ${PERIODS} periods of offloads and compactions`, async () => {
    const model = new Model();
    const deadline = Date.now() + PERIODS * SETTINGS.periodMs;
    const executions: Promise<ExecutionRecord>[] = [];

    // The schedule: every quarter period (after the last execution ends), and from the first
    // tick on every fifth a second execution overlapping the first (the first tick, so that a
    // slow machine, with few ticks, still has a pair).
    // It runs until the writers are done: a writer told 503 retries until rotation catches up.
    let writing = true;
    const scheduler = (async () => {
      for (let tick = 0; writing; tick++) {
        const runs = [sys.stepFunctions.start('lifecycle').done];
        if (tick % 5 === 0) runs.push(sys.stepFunctions.start('lifecycle').done);
        executions.push(...runs);
        await Promise.all(runs);
        await sleep(SETTINGS.periodMs / 4);
      }
    })();
    // Four writers, each with its own partitions, so the model knows which write is last.
    const writers = Array.from({ length: 4 }, async (_, w) => {
      const rng = prng(100 + w);
      const writer = httpWriter(sys.url, model);
      for (let round = 0; Date.now() < deadline; round++) await randomWrites(writer, rng, [`w${w}-a`, `w${w}-b`], 10, `w${w}-${round}`);
    });
    await Promise.all(writers);
    writing = false;
    await scheduler;
    const results = await Promise.all(executions);

    // Let the last period seal, then catch up (an execution offloads at most four periods, and
    // one-second periods keep sealing meanwhile); once more after gcGrace to collect.
    const catchUp = async (): Promise<number> => {
      for (let i = 0; i < 12; i++) {
        const start = Date.now();
        await sys.runLifecycle();
        const m = await sys.dataPlane.manifests.read();
        if (!m.runs.some((r) => r.tier === 'hot' && r.periodEnd + SETTINGS.sealGraceMs <= start)) return start;
      }
      assert.fail('the lifecycle did not catch up in 12 executions');
    };
    await sleep(SETTINGS.periodMs + SETTINGS.sealGraceMs);
    await catchUp();
    await sleep(SETTINGS.gcGraceMs + 100);
    const lastStart = await catchUp();

    // One execution at a time does the work: no overlap fails, the later of a pair says why it ended.
    const failed = results.filter((r) => r.status !== 'SUCCEEDED');
    assert.deepEqual(
      failed.map((r) => `${r.name}: ${r.error}: ${String(r.cause)}`),
      [],
    );
    const skipped = results.filter((r) => (r.output as { skipped?: string } | undefined)?.skipped !== undefined);
    assert.ok(skipped.length >= 1, 'an overlapping execution ended at once');
    for (const r of skipped) assert.match((r.output as { running: string }).running, /:execution:life-lifecycle:/);

    const m = await assertSettled(sys, SETTINGS, lastStart);
    const cold = m.runs.filter((r) => r.tier === 'cold');
    const offloaded = cold.reduce((n, r) => n + (r.periodEnd - r.periodStart) / SETTINGS.periodMs, 0);
    assert.ok(offloaded >= PERIODS, `${offloaded} periods offloaded`);
    assert.ok(
      cold.some((r) => r.level >= 2),
      'compaction reached level 2',
    );
    assert.ok(cold.length <= Math.floor(Math.log2(offloaded)) + 1, `${cold.length} runs for ${offloaded} periods`);
    // The counter carried: at some committed version two or more cold runs stood side by side
    // (counted exactly, version by version, from the manifest's history).
    const coldIds = new Set<string>();
    let maxCold = 0;
    for (let v = 1; v <= m.version; v++) {
      const edit = (await sys.dataPlane.manifests.history(v))!.edit;
      for (const id of edit?.remove ?? []) coldIds.delete(id);
      for (const r of edit?.add ?? []) if (r.tier === 'cold') coldIds.add(r.id);
      maxCold = Math.max(maxCold, coldIds.size);
    }
    assert.ok(maxCold >= 2, `at most ${maxCold} cold runs at once`);
    assert.ok(model.size > 100, `${model.size} keys written`);
    await assertReadsMatch(sys.url, model, prng(7), { gets: 40 });
    // Every cold run keeps the key ranges it was written in (what compaction plans from): they tile the key space and add up to it.
    for (const r of cold) {
      const ranges = await sys.cold.coldReader.rangeSummaries(r.id);
      assert.ok(ranges.length >= 1, `${r.id} keeps its ranges`);
      assert.deepEqual(
        ranges.map((x) => x.index),
        ranges.map((_, i) => i),
      );
      assert.equal(ranges[0]!.lo, undefined);
      assert.equal(ranges.at(-1)!.hi, undefined);
      for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]!.lo, ranges[i - 1]!.hi, `${r.id}: range ${i} starts where ${i - 1} ends`);
      assert.equal(
        ranges.reduce((a, x) => a + x.count, 0),
        r.count,
        `${r.id}: its ranges hold its records`,
      );
      assert.equal(
        ranges.reduce((a, x) => a + x.bytes, 0),
        r.bytes,
        `${r.id}: and its bytes`,
      );
    }
  });
});

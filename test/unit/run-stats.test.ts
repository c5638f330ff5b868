/**
 * Run statistics (core/run-stats.ts), the one place a run's count, setsum, key and seq bounds
 * and tombstones are added up: records added one by one and the same records added in parts
 * that are then appended give the same stats, and they agree with a direct computation.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { RunStats } from '../../lambda/core/run-stats.ts';
import { Setsum } from '../../lambda/core/setsum.ts';
import { asRun, entryOf, opArb } from '../support/arbitraries.ts';

const view = (s: RunStats) => ({
  count: s.count,
  setsum: s.setsum.hexdigest(),
  minKey: s.minKey?.toString('hex'),
  maxKey: s.maxKey?.toString('hex'),
  seq: s.seqBounds,
  tombstones: s.tombstones,
  tombSeqs: s.tombstones > 0 ? [s.tombMinSeq, s.tombMaxSeq] : [],
});

describe('run statistics', () => {
  it('are the same added record by record or appended in parts, and as computed directly', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 6 }), (ops, cuts) => {
        const records = asRun(ops.map(entryOf));
        const whole = new RunStats();
        for (const e of records) whole.add(e);
        const parts = new RunStats();
        const bounds = [...new Set([0, ...cuts.map((c) => Math.min(c, records.length)), records.length])].sort((a, b) => a - b);
        for (let i = 0; i + 1 < bounds.length; i++) {
          const part = new RunStats();
          for (const e of records.slice(bounds[i], bounds[i + 1])) part.add(e);
          parts.append(part);
        }
        assert.deepEqual(view(parts), view(whole));
        const tombs = records.filter((e) => e.value === null);
        assert.deepEqual(view(whole), {
          count: records.length,
          setsum: Setsum.ofEntries(records).hexdigest(),
          minKey: records[0]?.key.toString('hex'),
          maxKey: records[records.length - 1]?.key.toString('hex'),
          seq:
            records.length > 0 ? { minSeq: Math.min(...records.map((e) => e.seq)), maxSeq: Math.max(...records.map((e) => e.seq)) } : { minSeq: 0, maxSeq: 0 },
          tombstones: tombs.length,
          tombSeqs: tombs.length > 0 ? [Math.min(...tombs.map((e) => e.seq)), Math.max(...tombs.map((e) => e.seq))] : [],
        });
      }),
    );
  });
});

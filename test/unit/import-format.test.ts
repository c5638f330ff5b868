/** Import lines: parsing and validation, versions, and the chunking that splits files among tasks. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { chunkFiles, defaultSeq, lineCount, lines, ownLines, parseImportLine, timestampSeq } from '../../lambda/core/import-format.ts';
import { decodeKey } from '../../lambda/core/keys.ts';

const NOW = Date.UTC(2026, 10, 23);

describe('import lines', () => {
  it('parses a record, with its version from seq, timestamp, or the default', () => {
    const a = parseImportLine('{"pk":"t","sk":"a/b","value":{"x":1}}', 77, NOW);
    assert.ok('key' in a);
    assert.deepEqual(decodeKey(a.key), { pk: 't', sk: 'a/b' });
    assert.equal(a.seq, 77);
    assert.deepEqual(JSON.parse(a.value!.toString()), { x: 1 });
    const b = parseImportLine('{"pk":"t","sk":"a","value":null,"seq":1700000000000000}', 77, NOW);
    assert.ok('key' in b && b.seq === 1_700_000_000_000_000 && b.value!.toString() === 'null', 'a null value is a value, not a delete');
    const c = parseImportLine('{"pk":"t","sk":"a","value":1,"timestamp":"2024-05-01T12:00:00.123456Z"}', 77, NOW);
    assert.ok('key' in c);
    assert.equal(c.seq, Date.UTC(2024, 4, 1, 12) * 1000 + 123_456);
    assert.equal(timestampSeq('2024-05-01T14:00:00+02:00'), Date.UTC(2024, 4, 1, 12) * 1000);
  });

  it('says why a line is invalid', () => {
    const reason = (line: string): string => {
      const r = parseImportLine(line, 1, NOW);
      assert.ok('reason' in r, line);
      return r.reason;
    };
    assert.equal(reason('{"pk":"t"'), 'not JSON');
    assert.equal(reason('[1]'), 'not a JSON object');
    assert.equal(reason('{"pk":"t","sk":"a"}'), 'no "value"');
    assert.match(reason('{"pk":"","sk":"a","value":1}'), /pk/);
    assert.match(reason('{"pk":"t","sk":"a","value":1,"seq":-4}'), /positive integer/);
    assert.match(reason('{"pk":"t","sk":"a","value":1,"seq":1,"timestamp":"2024-01-01T00:00:00Z"}'), /not both/);
    assert.match(reason('{"pk":"t","sk":"a","value":1,"timestamp":"2024-01-01"}'), /ISO 8601/);
    assert.match(reason(`{"pk":"t","sk":"a","value":1,"seq":${(NOW + 60_000) * 1000}}`), /future/);
    assert.match(reason('{"pk":"t","sk":"a","value":1,"ttl":3}'), /unknown field "ttl"/);
    assert.match(reason(JSON.stringify({ pk: 't', sk: 'a', value: 'x'.repeat(300 * 1024) })), /longer than|value/);
  });

  it('keeps default versions in input order and below any live seq', () => {
    assert.ok(defaultSeq(0, 2) > defaultSeq(0, 1));
    assert.ok(defaultSeq(1, 1) > defaultSeq(0, 2 ** 24 - 1));
    assert.ok(defaultSeq(100_000, 2 ** 24 - 1) < Date.UTC(2001, 0, 1) * 1000);
  });

  it('numbers lines from 1, skipping blank ones and CRs', () => {
    assert.deepEqual(
      [...lines('a\r\n\n  \nb\nc')],
      [
        { line: 1, text: 'a' },
        { line: 4, text: 'b' },
        { line: 5, text: 'c' },
      ],
    );
    assert.deepEqual(['a\r\n\n  \nb\nc', 'a\n\n', 'a', ''].map(lineCount), [5, 2, 1, 0]);
  });

  it('gives every line to exactly one chunk, whatever the chunk size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '\n', 'é'), maxLength: 30 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 40 }),
        (texts, chunkBytes) => {
          const bufs = texts.map((t) => Buffer.from(t));
          const chunks = chunkFiles(
            bufs.map((b) => b.length),
            chunkBytes,
          );
          bufs.forEach((buf, file) => {
            let joined = '';
            for (const c of chunks.filter((x) => x.file === file)) {
              const own = ownLines(buf, 0, c.start, c.end);
              if (own) joined += buf.subarray(own.from, own.to).toString();
            }
            assert.equal(joined, buf.toString());
          });
        },
      ),
    );
  });
});

/** Helpers for import tests: NDJSON files built alongside a model, uploaded the way the CLI does. */
import { bufferSource, uploadAndCommit } from '../../bin/import-files.ts';
import { AlkiClient, type ImportStatus } from '../../client/index.ts';
import type { InvalidPolicy } from '../../lambda/core/import-format.ts';
import type { Model } from './lifecycle.ts';

export interface Generated {
  /** The file's text. */
  readonly text: string;
  /** 1-based lines that are invalid. */
  readonly invalid: number[];
  readonly valid: number;
}

/**
 * Lines for `records` keys drawn from a key space (so some repeat), a few with explicit
 * versions, and every `invalidEvery`-th line broken in one of several ways. Applies every
 * valid line to the model, untimed ones with `order()` as their version (older than any live write).
 */
export function ndjson(
  model: Model,
  rng: () => number,
  n: number,
  opts: { pks: number; sks: number; invalidEvery?: number; order: () => number; sk?: (n: number) => string },
): Generated {
  const out: string[] = [];
  const invalid: number[] = [];
  const broken = [
    '{"pk":"a","sk":"b"',
    '{"pk":"a","sk":"b"}',
    '{"pk":"","sk":"b","value":1}',
    '{"pk":"a","sk":"b","value":1,"timestamp":"yesterday"}',
    '{"pk":"a","sk":"b","value":1,"seq":99999999999999999}',
    '[1,2]',
    '{"pk":"a","sk":"b","value":1,"extra":true}',
  ];
  let valid = 0;
  for (let i = 1; i <= n; i++) {
    if (opts.invalidEvery && i % opts.invalidEvery === 0) {
      out.push(broken[i % broken.length]!);
      invalid.push(i);
      continue;
    }
    const pk = `team-${String(Math.floor(rng() * opts.pks)).padStart(3, '0')}`;
    const n = Math.floor(rng() * opts.sks);
    const sk = opts.sk ? opts.sk(n) : `ev-${String(n).padStart(7, '0')}`;
    const value = { line: i, actor: `user-${Math.floor(rng() * 1000)}`, ok: rng() > 0.1 };
    const r = rng();
    let seq: number;
    let line: Record<string, unknown> = { pk, sk, value };
    if (r < 0.02) {
      seq = Date.UTC(2020, 0, 1) * 1000 + Math.floor(rng() * 1e14);
      line = { ...line, seq };
    } else if (r < 0.04) {
      const ms = Date.UTC(2021, 0, 1) + Math.floor(rng() * 1e11);
      seq = ms * 1000;
      line = { ...line, timestamp: new Date(ms).toISOString() };
    } else {
      seq = opts.order();
    }
    model.apply(pk, sk, seq, value);
    out.push(JSON.stringify(line));
    valid++;
  }
  return { text: out.join('\n') + '\n', invalid, valid };
}

/**
 * The API as the import protocol calls it, asserting each answer's status: 201 for a new
 * import, 202 for a commit, 200 for the rest.
 */
/** Creates an import, uploads each file (in parts above `partBytes`), commits it. */
export function startImport(base: string, files: readonly string[], opts: { onInvalid?: InvalidPolicy; partBytes?: number } = {}): Promise<string> {
  return uploadAndCommit(
    new AlkiClient({ url: base }),
    files.map((f, i) => bufferSource(`file ${i}`, Buffer.from(f))),
    opts,
  );
}

export function waitForImport(base: string, id: string, timeoutMs = 120_000): Promise<ImportStatus> {
  return new AlkiClient({ url: base }).waitForImport(id, { pollMs: 100, timeoutMs });
}

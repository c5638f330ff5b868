/** Helpers for import tests: NDJSON files built alongside a model, uploaded the way the CLI does. */
import assert from 'node:assert/strict';
import type { ImportStatus } from '../../lambda/core/import-format.ts';
import type { Model } from './lifecycle.ts';
import { client } from './system.ts';

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
export function ndjson(model: Model, rng: () => number, n: number, opts: { pks: number; sks: number; invalidEvery?: number; order: () => number; sk?: (n: number) => string }): Generated {
  const out: string[] = [];
  const invalid: number[] = [];
  const broken = ['{"pk":"a","sk":"b"', '{"pk":"a","sk":"b"}', '{"pk":"","sk":"b","value":1}', '{"pk":"a","sk":"b","value":1,"timestamp":"yesterday"}', '{"pk":"a","sk":"b","value":1,"seq":99999999999999999}', '[1,2]', '{"pk":"a","sk":"b","value":1,"extra":true}'];
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

/** Creates an import, uploads each file (multipart for those given a part size), commits it. */
export async function startImport(base: string, files: readonly string[], opts: { onInvalid?: 'fail' | 'skip'; partBytes?: (number | undefined)[] } = {}): Promise<string> {
  const api = client(base);
  const parts = files.map((f, i) => (opts.partBytes?.[i] ? Math.ceil(Buffer.byteLength(f) / opts.partBytes[i]!) : 1));
  const c = await api.call<{ id: string; uploads: ({ file: number; url: string } | { file: number; partUrls: string[] })[] }>('POST', '/v1/imports', { format: 'ndjson', files: files.length, parts, ...(opts.onInvalid ? { onInvalid: opts.onInvalid } : {}) });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const etags: Record<string, string[]> = {};
  for (const u of c.body.uploads) {
    const body = Buffer.from(files[u.file]!);
    if ('url' in u) {
      const r = await fetch(u.url, { method: 'PUT', body });
      assert.equal(r.status, 200);
      continue;
    }
    const size = opts.partBytes![u.file]!;
    etags[String(u.file)] = [];
    for (let p = 0; p < u.partUrls.length; p++) {
      const r = await fetch(u.partUrls[p]!, { method: 'PUT', body: body.subarray(p * size, (p + 1) * size) });
      assert.equal(r.status, 200);
      etags[String(u.file)]!.push(r.headers.get('etag')!);
    }
  }
  const commit = await api.call('POST', `/v1/imports/${c.body.id}/commit`, Object.keys(etags).length > 0 ? { parts: etags } : {});
  assert.equal(commit.status, 202, JSON.stringify(commit.body));
  return c.body.id;
}

export async function waitForImport(base: string, id: string, timeoutMs = 120_000): Promise<ImportStatus> {
  const api = client(base);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.call<ImportStatus>('GET', `/v1/imports/${id}`);
    assert.equal(r.status, 200);
    if (r.body.state !== 'running') return r.body;
    if (Date.now() > until) throw new Error(`import ${id} still running`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

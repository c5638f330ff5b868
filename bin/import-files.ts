/**
 * `alki import FILE...`: create an import, upload each file to its presigned URL (in parts of
 * PART_BYTES for large files, so memory stays at one part), commit, and wait for the report.
 */
import { open, stat } from 'node:fs/promises';
import type { ImportStatus } from '../lambda/core/import-format.ts';

/** S3 wants parts of at least 5 MiB; 8 MiB also fits the local S3's request limit. */
export const PART_BYTES = 8 << 20;

export type Call = <T>(method: string, path: string, body?: string) => Promise<T>;

type Upload = { file: number; url: string } | { file: number; uploadId: string; partUrls: string[] };

class Progress {
  private done = 0;
  private readonly total: number;
  private readonly tty = process.stderr.isTTY === true;
  constructor(total: number) {
    this.total = total;
  }
  add(n: number): void {
    this.done += n;
    if (!this.tty) return;
    const frac = this.total === 0 ? 1 : this.done / this.total;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '-');
    const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
    process.stderr.write(`\r[${bar}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${mib(this.done)}/${mib(this.total)} MiB`);
  }
  end(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

async function put(url: string, body: Buffer, what: string): Promise<string> {
  const res = await fetch(url, { method: 'PUT', body });
  if (!res.ok) throw new Error(`upload of ${what} failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return res.headers.get('etag') ?? '';
}

export async function importFiles(call: Call, paths: readonly string[], opts: { onInvalid: 'fail' | 'skip'; pollMs?: number; log: (line: string) => void }): Promise<ImportStatus> {
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  const parts = sizes.map((s) => (s > PART_BYTES ? Math.ceil(s / PART_BYTES) : 1));
  const created = await call<{ id: string; uploads: Upload[] }>('POST', '/v1/imports', JSON.stringify({ format: 'ndjson', files: paths.length, parts, onInvalid: opts.onInvalid }));
  opts.log(`import ${created.id}: uploading ${paths.length} file(s)`);
  const progress = new Progress(sizes.reduce((a, b) => a + b, 0));
  const etags: Record<string, string[]> = {};
  for (const u of created.uploads) {
    const fh = await open(paths[u.file]!, 'r');
    try {
      const urls = 'url' in u ? [u.url] : u.partUrls;
      const partSize = 'url' in u ? sizes[u.file]! : PART_BYTES;
      const tags: string[] = [];
      for (let p = 0; p < urls.length; p++) {
        const length = Math.min(partSize, sizes[u.file]! - p * partSize);
        const buf = Buffer.alloc(length);
        await fh.read(buf, 0, length, p * partSize);
        tags.push(await put(urls[p]!, buf, paths[u.file]!));
        progress.add(length);
      }
      if ('uploadId' in u) etags[String(u.file)] = tags;
    } finally {
      await fh.close();
    }
  }
  progress.end();
  await call('POST', `/v1/imports/${created.id}/commit`, JSON.stringify(Object.keys(etags).length > 0 ? { parts: etags } : {}));
  opts.log(`import ${created.id}: committed, importing…`);
  for (;;) {
    const s = await call<ImportStatus>('GET', `/v1/imports/${created.id}`);
    if (s.state !== 'running' && s.state !== 'awaiting-upload') return s;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

/** The report, for people. */
export function describeImport(s: ImportStatus, paths: readonly string[]): string {
  const out = [`import ${s.id}: ${s.state}${s.cause ? ` (${s.cause})` : ''}`];
  if (s.counts) {
    const c = s.counts;
    out.push(`  lines ${c.lines}, valid ${c.valid}, invalid ${c.invalid}, duplicate keys ${c.duplicates}, records imported ${s.state === 'succeeded' ? c.records : 0}`);
  }
  if (s.bytes !== undefined) out.push(`  ${s.bytes} bytes uploaded${s.run ? `, run ${s.run}` : ''}`);
  for (const e of s.errors.slice(0, 20)) out.push(`  ${paths[e.file] ?? `file ${e.file}`}:${e.line}: ${e.reason}`);
  if (s.errors.length > 20 || (s.counts && s.counts.invalid > s.errors.length)) out.push(`  ... ${(s.counts?.invalid ?? s.errors.length) - Math.min(20, s.errors.length)} more invalid line(s)`);
  return out.join('\n');
}

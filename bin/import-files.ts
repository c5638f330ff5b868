/**
 * The import protocol from a client: create an import, upload each source to its presigned
 * URL (in parts of `partBytes` above that size, so memory stays at one part), commit, and
 * wait for the report. `alki import`, the tests and the benchmark all upload through here.
 */
import { open, stat } from 'node:fs/promises';
import type { AlkiClient, ImportStatus } from '../client/index.ts';
import type { InvalidPolicy } from '../lambda/core/import-format.ts';
import { Progress } from './progress.ts';

/** S3 wants parts of at least 5 MiB; 8 MiB also fits the local S3's request limit. */
export const PART_BYTES = 8 << 20;

/** Something to upload: a file, or bytes in memory. */
export interface UploadSource {
  readonly name: string;
  readonly size: number;
  read(start: number, length: number): Promise<Buffer>;
}

export async function fileSource(path: string): Promise<UploadSource> {
  const { size } = await stat(path);
  return {
    name: path,
    size,
    async read(start, length) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(length);
        await fh.read(buf, 0, length, start);
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}

export function bufferSource(name: string, bytes: Buffer): UploadSource {
  return { name, size: bytes.length, read: async (start, length) => bytes.subarray(start, start + length) };
}

/** URLs are asked for again this long before they expire. */
const RESIGN_MARGIN_MS = 60_000;

/** One PUT to a presigned URL; S3 answers 200 with the ETag a multipart commit needs. */
async function put(url: string, body: Buffer, what: string): Promise<string> {
  const res = await fetch(url, { method: 'PUT', body });
  if (res.status !== 200) throw new Error(`upload of ${what} failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return res.headers.get('etag') ?? '';
}

/** Creates the import, uploads every source, commits; returns the import id. */
export async function uploadAndCommit(
  client: AlkiClient,
  sources: readonly UploadSource[],
  opts: { onInvalid?: InvalidPolicy; partBytes?: number; progress?: boolean; log?: (line: string) => void } = {},
): Promise<string> {
  const partBytes = opts.partBytes ?? PART_BYTES;
  const parts = sources.map((s) => (s.size > partBytes ? Math.ceil(s.size / partBytes) : 1));
  const created = await client.createImport({ format: 'ndjson', files: sources.length, parts, ...(opts.onInvalid ? { onInvalid: opts.onInvalid } : {}) });
  opts.log?.(`import ${created.id}: uploading ${sources.length} file(s)`);
  const progress = opts.progress ? new Progress(sources.reduce((a, s) => a + s.size, 0)) : undefined;
  const etags: Record<string, string[]> = {};
  for (const u of created.uploads) {
    const src = sources[u.file]!;
    if ('url' in u) {
      await put(u.url, await src.read(0, src.size), src.name);
      progress?.add(src.size);
      continue;
    }
    // Part URLs a page at a time: the first ones came with the import; the rest, or fresh ones once these expire, are asked for.
    const urls = new Map<number, string>(u.partUrls.map((url, i) => [i + 1, url]));
    let expiresAt = Date.parse(created.expiresAt);
    const partUrl = async (part: number): Promise<string> => {
      if (!urls.has(part) || Date.now() > expiresAt - RESIGN_MARGIN_MS) {
        const page = await client.importParts(created.id, u.file, { part });
        urls.clear();
        page.partUrls.forEach((url, i) => urls.set(page.from + i, url));
        expiresAt = Date.parse(page.expiresAt);
      }
      return urls.get(part)!;
    };
    const tags: string[] = [];
    for (let part = 1; part <= u.parts; part++) {
      const start = (part - 1) * partBytes;
      const length = Math.min(partBytes, src.size - start);
      tags.push(await put(await partUrl(part), await src.read(start, length), src.name));
      progress?.add(length);
    }
    etags[String(u.file)] = tags;
  }
  progress?.end();
  await client.commitImport(created.id, Object.keys(etags).length > 0 ? { parts: etags } : {});
  opts.log?.(`import ${created.id}: committed, importing…`);
  return created.id;
}

/** `alki import`: files uploaded with a progress bar, committed, waited for. */
export async function importFiles(
  client: AlkiClient,
  paths: readonly string[],
  opts: { onInvalid: InvalidPolicy; log: (line: string) => void },
): Promise<ImportStatus> {
  const sources = await Promise.all(paths.map(fileSource));
  const id = await uploadAndCommit(client, sources, { ...opts, progress: true });
  return client.waitForImport(id, { pollMs: 500 });
}

/** The report, for people. */
export function describeImport(s: ImportStatus, paths: readonly string[]): string {
  const out = [`import ${s.id}: ${s.state}${s.cause ? ` (${s.cause})` : ''}`];
  if (s.counts) {
    const c = s.counts;
    out.push(
      `  lines ${c.lines}, valid ${c.valid}, invalid ${c.invalid}, duplicate keys ${c.duplicates}, records imported ${s.state === 'succeeded' ? c.records : 0}`,
    );
  }
  if (s.bytes !== undefined) out.push(`  ${s.bytes} bytes uploaded${s.run ? `, run ${s.run}` : ''}`);
  for (const e of s.errors.slice(0, 20)) out.push(`  ${paths[e.file] ?? `file ${e.file}`}:${e.line}: ${e.reason}`);
  if (s.errors.length > 20 || (s.counts && s.counts.invalid > s.errors.length))
    out.push(`  ... ${(s.counts?.invalid ?? s.errors.length) - Math.min(20, s.errors.length)} more invalid line(s)`);
  return out.join('\n');
}

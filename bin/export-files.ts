/**
 * `alki export`: start an export (of a checkpoint, or of one it takes), wait for it, and
 * download its objects into a directory with a progress bar, checking each object's size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Call } from './import-files.ts';
import { Progress } from './progress.ts';

export interface ExportReport {
  id: string;
  state: 'running' | 'succeeded' | 'failed';
  checkpoint: string;
  records: number;
  bytes: number;
  objects: { key: string; url: string; records: number; bytes: number }[];
  /** The next page of objects. */
  cursor?: string;
  cause?: string;
}

export async function exportTo(call: Call, opts: { checkpoint?: string; out: string; pollMs?: number; log: (line: string) => void }): Promise<{ report: ExportReport; files: string[] }> {
  const started = await call<{ id: string; checkpoint: string }>('POST', '/v1/exports', JSON.stringify({ format: 'ndjson', ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}) }));
  opts.log(`export ${started.id} of checkpoint ${started.checkpoint}: running`);
  let report: ExportReport;
  for (;;) {
    report = await call<ExportReport>('GET', `/v1/exports/${started.id}`);
    if (report.state !== 'running') break;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
  if (report.state !== 'succeeded') return { report, files: [] };
  mkdirSync(opts.out, { recursive: true });
  const progress = new Progress(report.bytes);
  const files: string[] = [];
  // The objects come a page at a time; each page's URLs are fresh (an hour each).
  for (let page: ExportReport | undefined = report; page; page = page.cursor ? await call<ExportReport>('GET', `/v1/exports/${started.id}?cursor=${encodeURIComponent(page.cursor)}`) : undefined) {
    for (const o of page.objects) await download(o);
  }
  progress.end();
  return { report, files };

  async function download(o: ExportReport['objects'][number]): Promise<void> {
    const res = await fetch(o.url);
    if (res.status !== 200) throw new Error(`download of ${o.key} failed: ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length !== o.bytes) throw new Error(`${o.key}: downloaded ${body.length} bytes, the export says ${o.bytes}`);
    const file = join(opts.out, basename(o.key));
    writeFileSync(file, body);
    files.push(file);
    progress.add(body.length);
  }
}

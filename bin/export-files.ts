/**
 * `alki export`: start an export (of a checkpoint, or of one it takes), wait for it, and
 * download its objects into a directory with a progress bar, checking each object's size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AlkiClient, ExportObject, ExportStatus } from '../client/index.ts';
import { Progress } from './progress.ts';

export async function exportTo(
  client: AlkiClient,
  opts: { checkpoint?: string; out: string; pollMs?: number; log: (line: string) => void },
): Promise<{ report: ExportStatus; files: string[] }> {
  const started = await client.createExport(opts.checkpoint ? { checkpoint: opts.checkpoint } : {});
  opts.log(`export ${started.id} of checkpoint ${started.checkpoint}: running`);
  const report = await client.waitForExport(started.id, { pollMs: opts.pollMs ?? 1000 });
  if (report.state !== 'succeeded') return { report, files: [] };
  mkdirSync(opts.out, { recursive: true });
  const progress = new Progress(report.bytes);
  const files: string[] = [];
  // The objects come a page at a time; each page's URLs are fresh (an hour each).
  for await (const o of client.exportObjects(started.id)) await download(o);
  progress.end();
  return { report, files };

  async function download(o: ExportObject): Promise<void> {
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

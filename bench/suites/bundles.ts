/**
 * The deployable bundles: each function's size, and its load time (the module's share of a
 * cold start) as a ratio to loading the DynamoDB and S3 clients from node_modules in the
 * same kind of worker: what a function would pay if it took the SDK from the runtime.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { UNITS, type UnitName } from '../../lambda/units.ts';
import { stackModel } from '../../local/iam/stack-model.ts';
import { synthesizedAssembly } from '../../local/iam/synth.ts';
import { loadBundle } from '../../local/lambda-runtime.ts';
import type { Figure } from '../harness.ts';

async function medianLoadMs(dir: string, reps = 5): Promise<{ ms: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const b = await loadBundle(dir, {}, 'bench');
    times.push(b.loadMs);
    bytes = b.bytes;
    await b.stop();
  }
  times.sort((a, c) => a - c);
  return { ms: times[Math.floor(reps / 2)]!, bytes };
}

export async function bundlesSuite(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const model = stackModel(synthesizedAssembly(console.error), { prefix: 'bench', indexTable: 'bench-index', bucket: 'bench-cold' });
  // Baseline: the two SDK clients every function uses, required from node_modules.
  const req = createRequire(import.meta.url);
  const sdk = mkdtempSync(join(tmpdir(), 'alki-sdk-'));
  writeFileSync(
    join(sdk, 'index.js'),
    `require(${JSON.stringify(req.resolve('@aws-sdk/client-dynamodb'))}); require(${JSON.stringify(req.resolve('@aws-sdk/client-s3'))}); exports.handler = async () => null;`,
  );
  const baseline = await medianLoadMs(sdk);
  rmSync(sdk, { recursive: true, force: true });
  figures.push({ suite: 'bundles', name: 'load DynamoDB + S3 clients from node_modules', value: baseline.ms, unit: 'ms' });
  for (const u of Object.keys(UNITS) as UnitName[]) {
    const r = await medianLoadMs(model.functions[u].assetDir);
    figures.push({ suite: 'bundles', name: `${u} bundle size`, value: r.bytes / 1024, unit: 'KiB' });
    figures.push({ suite: 'bundles', name: `${u} bundle load`, value: r.ms / baseline.ms, unit: 'ratio', baseline: 'SDK clients from node_modules' });
  }
  return figures;
}

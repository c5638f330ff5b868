/**
 * `npm run bench`: every benchmark suite; prints JSON (for tracking) and a table. Figures
 * that matter are ratios against a baseline measured in the same run, since these machines
 * are noisy. `npm run bench -- engine` runs one suite, replacing only its figures in
 * results/latest.json (the scale model reads the others from there).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dataPlaneSuite } from './suites/data-plane.ts';
import { engineSuite } from './suites/engine.ts';
import { lifecycleSuite } from './suites/lifecycle.ts';
import { bundlesSuite } from './suites/bundles.ts';
import { behindSuite } from './suites/behind.ts';
import { printTable, round, type Figure } from './harness.ts';

const suites: Record<string, () => Promise<Figure[]>> = {
  engine: engineSuite,
  'data-plane': dataPlaneSuite,
  lifecycle: lifecycleSuite,
  bundles: bundlesSuite,
  behind: behindSuite,
};
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = chosen.filter((c) => !(c in suites));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
const figures: Figure[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  figures.push(...(await run()));
}
const file = new URL('./results/latest.json', import.meta.url);
// One suite run replaces that suite's figures only: the scale model reads the others from this file.
const kept =
  chosen.length > 0 && existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { figures: Figure[] }).figures.filter((f) => !chosen.includes(f.suite))
    : [];
const out = { node: process.version, date: new Date().toISOString(), figures: [...kept, ...figures.map((f) => ({ ...f, value: round(f.value, 4) }))] };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out, null, 2));
console.log();
printTable(figures);

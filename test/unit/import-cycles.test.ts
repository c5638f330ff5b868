/**
 * No circle of imports anywhere in the code that ships or runs it (lambda/, client/, lib/,
 * local/, statemachines/, bin/, bench/, cost/), type imports included: each module can be read
 * after the modules it imports. The layers themselves (which folder may import which) are
 * eslint's no-restricted-imports rules (eslint.config.js).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from '@jest/globals';

const ROOTS = ['lambda', 'client', 'lib', 'local', 'statemachines', 'bin', 'bench', 'cost'];

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const r of ROOTS) walk(r);
  return out;
}

/** Each module's relative imports and re-exports (static, type-only ones too). */
function importGraph(files: readonly string[], read: (f: string) => string): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = [...read(f).matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => normalize(join(dirname(f), m[1]!)));
    graph.set(
      f,
      deps.filter((d) => known.has(d)),
    );
  }
  return graph;
}

/** The strongly connected components of more than one module, or of one importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('imports', () => {
  it('finds a circle when there is one (the check itself)', () => {
    const files: Record<string, string> = {
      'lambda/core/a.ts': "import { b } from './b.ts';",
      'lambda/core/b.ts': "import type { C } from '../store/c.ts';\nexport const b = 1;",
      'lambda/store/c.ts': "export {\n  a,\n} from '../core/a.ts';",
      'lambda/store/d.ts': "import { b } from '../core/b.ts';",
    };
    const graph = importGraph(Object.keys(files), (f) => files[f]!);
    assert.deepEqual(cycles(graph), [['lambda/core/a.ts', 'lambda/core/b.ts', 'lambda/store/c.ts']]);
  });

  it('form no circle in the code', () => {
    const files = sources();
    assert.ok(files.length > 150, `${files.length} modules`);
    const graph = importGraph(files, (f) => readFileSync(f, 'utf8'));
    assert.ok([...graph.values()].reduce((n, d) => n + d.length, 0) > files.length, 'imports were found');
    assert.deepEqual(cycles(graph), []);
  });
});

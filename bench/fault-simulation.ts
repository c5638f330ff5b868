/**
 * `npm run simulate -- --faults --seeds N [--from S] [--jobs J] [--json]`: N seeds of the
 * seeded fault simulation (test/support/fault-simulation.ts), from seed S, over J worker
 * processes (test/support/fault-worker.ts). Prints each failure with the seed that reproduces it (`--from SEED --seeds 1`)
 * and a summary; exits 1 if any seed failed.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FaultRunOptions {
  readonly seeds: number;
  readonly from: number;
  readonly jobs: number;
  readonly json: boolean;
}

/** What a worker prints for each seed, one JSON line (test/support/fault-simulation.ts makes it). */
export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly steps: number;
  readonly executions: number;
  readonly faults: number;
  readonly ms: number;
}

/** The worker: a test harness, run as a process of its own (the bench imports nothing from test/). */
const WORKER = fileURLToPath(new URL('../test/support/fault-worker.ts', import.meta.url));

export async function runFaults(o: FaultRunOptions): Promise<number> {
  const t0 = Date.now();
  const results: SeedResult[] = [];
  const report = (r: SeedResult): void => {
    results.push(r);
    if (!r.ok) console.error(`seed ${r.seed} FAILED (reproduce: npm run simulate -- --faults --from ${r.seed} --seeds 1): ${r.error}`);
    else if (!o.json && results.length % 50 === 0) console.error(`${results.length} of ${o.seeds} seeds...`);
  };
  await Promise.all(
    Array.from(
      { length: Math.min(o.jobs, o.seeds) },
      (_, shard) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(WORKER, [String(o.from), String(o.seeds), String(shard), String(o.jobs)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
          let buffered = '';
          child.stdout!.on('data', (d: Buffer) => {
            buffered += d.toString('utf8');
            const lines = buffered.split('\n');
            buffered = lines.pop()!;
            for (const l of lines) if (l.startsWith('{"seed"')) report(JSON.parse(l) as SeedResult);
          });
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${shard} exited ${code}`))));
        }),
    ),
  );
  const failed = results.filter((r) => !r.ok);
  const summary = {
    seeds: results.length,
    from: o.from,
    failed: failed.map((r) => r.seed),
    executions: results.reduce((n, r) => n + r.executions, 0),
    injectedFaults: results.reduce((n, r) => n + r.faults, 0),
    steps: results.reduce((n, r) => n + r.steps, 0),
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  if (o.json) console.log(JSON.stringify({ summary, failures: failed }, null, 2));
  else
    console.log(
      `${summary.seeds} seeds from ${o.from}: ${failed.length} failed${failed.length ? ` (${summary.failed.join(', ')})` : ''}; ${summary.executions} lifecycle executions, ${summary.injectedFaults} injected faults, ${summary.steps} steps, ${summary.seconds} s`,
    );
  return failed.length === 0 ? 0 : 1;
}

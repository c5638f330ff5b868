/**
 * Deployable bundles run as Lambda runs them: `index.js` copied alone into an empty folder
 * (no node_modules to fall back on), loaded in its own worker thread with its own
 * environment (as each function has its own process), `handler(event, context)` called
 * with JSON in and JSON out. Errors come back with their name, as Step Functions sees them.
 * What the function prints (Powertools' log lines and metrics) is kept, as its log group
 * keeps it on AWS, not printed.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
const started = performance.now();
const mod = require(workerData.file);
parentPort.postMessage({ loaded: performance.now() - started });
parentPort.on('message', async ({ id, event, context }) => {
  try {
    // Lambda's context says how long the invocation has left: from its deadline, as Lambda does.
    const ctx = context.deadlineMs === undefined ? context : { ...context, getRemainingTimeInMillis: () => context.deadlineMs - Date.now() };
    const result = await mod.handler(JSON.parse(event), ctx);
    parentPort.postMessage({ id, result: JSON.stringify(result === undefined ? null : result) });
  } catch (err) {
    parentPort.postMessage({ id, error: { name: err && err.name || 'Error', message: String(err && err.message || err) } });
  }
});
`;

export interface LoadedBundle {
  readonly bytes: number;
  /** Milliseconds to load the module (the cold start's share that is ours). */
  readonly loadMs: number;
  invoke(event: unknown, context?: Record<string, unknown>): Promise<unknown>;
  /** The lines the function printed, oldest first (the last OUTPUT_LINES). */
  output(): readonly string[];
  stop(): Promise<void>;
}

const OUTPUT_LINES = 10_000;

/** `timeoutSeconds`: the function's timeout, from which each invocation's context tells the time left (the local runtime does not stop it then). */
export async function loadBundle(
  assetDir: string,
  env: Readonly<Record<string, string>>,
  functionName: string,
  timeoutSeconds?: number,
): Promise<LoadedBundle> {
  const source = join(assetDir, 'index.js');
  if (!existsSync(source)) throw new Error(`no bundle at ${source}`);
  const dir = mkdtempSync(join(tmpdir(), 'alki-task-'));
  const file = join(dir, 'index.js');
  copyFileSync(source, file);
  const worker = new Worker(BOOT, { eval: true, workerData: { file }, env: { ...env }, stdout: true, stderr: true });
  worker.unref();
  const lines: string[] = [];
  const keep = (chunk: Buffer | string): void => {
    for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > OUTPUT_LINES) lines.splice(0, lines.length - OUTPUT_LINES);
  };
  worker.stdout.on('data', keep);
  worker.stderr.on('data', keep);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const loadMs = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { loaded: number }) => resolve(m.loaded));
  });
  worker.on('message', (m: { id: number; result?: string; error?: { name: string; message: string } }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
    else p.resolve(JSON.parse(m.result ?? 'null'));
  });
  worker.on('error', (err) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  return {
    bytes: statSync(source).size,
    loadMs,
    invoke(event, context = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // The context fields Powertools reads, as Lambda gives them.
        const lambdaContext = {
          functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:${env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${functionName}`,
          memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
          awsRequestId: `${functionName}-${id}`,
          ...(timeoutSeconds !== undefined ? { deadlineMs: Date.now() + timeoutSeconds * 1000 } : {}),
          ...context,
        };
        worker.postMessage({ id, event: JSON.stringify(event), context: lambdaContext });
      });
    },
    output: () => lines,
    async stop() {
      await worker.terminate();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

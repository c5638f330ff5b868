/**
 * `npx alki <command>`: the API from a terminal.
 *
 *   alki put <pk> <sk> <json>     write (use - to read the value from stdin); --if-match SEQ, --if-none-match
 *   alki get <pk> <sk>            read one item (--checkpoint ID: as of a checkpoint)
 *   alki del <pk> <sk>            delete (tombstone); --if-match SEQ
 *   alki query <pk> [--from S] [--to S] [--desc] [--limit N] [--all] [--checkpoint ID]
 *   alki checkpoint create [--ttl 1d] | list | delete ID
 *   alki export [--checkpoint ID] --out DIR   the store, sorted, as gzip NDJSON files
 *   alki runs                     the manifest: hot and cold runs
 *   alki import FILE... [--skip-invalid]   bulk import NDJSON straight into the cold tier
 *   alki check FILE...            compare NDJSON records with what Alki returns
 *
 * Options: --url (default $ALKI_URL or http://127.0.0.1:8080), --json (raw JSON output).
 * Requests to an API Gateway URL are signed with SigV4 using the default AWS credentials.
 */
import { parseArgs } from 'node:util';
import { checkFiles, describeCheck } from './check-files.ts';
import { exportTo } from './export-files.ts';
import { describeImport, importFiles } from './import-files.ts';
import { signedHeaders } from './sign.ts';

const USAGE = `usage: alki <put|get|del|query|runs|checkpoint|export|import|check> [args] [--url URL] [--json]
  alki put <pk> <sk> <json|-> [--if-match SEQ | --if-none-match]
  alki get <pk> <sk> [--checkpoint ID]
  alki del <pk> <sk> [--if-match SEQ]
  alki query <pk> [--from SK] [--to SK] [--desc] [--limit N] [--all] [--checkpoint ID]
  alki checkpoint create [--ttl 1d] | list | delete ID
  alki export [--checkpoint ID] --out DIR
  alki runs
  alki import FILE... [--skip-invalid]
  alki check FILE... [--examples N]`;

interface ApiError {
  error: { code: string; message: string };
}

class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.ALKI_URL ?? 'http://127.0.0.1:8080' },
    json: { type: 'boolean', default: false },
    from: { type: 'string' },
    to: { type: 'string' },
    desc: { type: 'boolean', default: false },
    limit: { type: 'string' },
    all: { type: 'boolean', default: false },
    'skip-invalid': { type: 'boolean', default: false },
    examples: { type: 'string', default: '5' },
    'if-match': { type: 'string' },
    'if-none-match': { type: 'boolean', default: false },
    checkpoint: { type: 'string' },
    ttl: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const base = values.url.replace(/\/+$/, '');
const itemPath = (pk: string, sk: string): string => `/v1/items/${encodeURIComponent(pk)}/${encodeURIComponent(sk)}`;

async function call<T>(method: string, path: string, body?: string, extra: Record<string, string> = {}): Promise<T> {
  let res: Response;
  try {
    const url = new URL(base + path);
    const headers = await signedHeaders(method, url, body, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra });
    res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  } catch (err) {
    throw new CliError(`cannot reach ${base}: ${(err as Error).cause ?? (err as Error).message}. Is it running (npm start)?`, 1);
  }
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (res.status === 412) {
    const e = (parsed as ApiError | undefined)?.error;
    throw new CliError(`412 PreconditionFailed: ${e?.message ?? text}${res.headers.get('etag') ? ` (current ETag ${res.headers.get('etag')})` : ''}`, 1);
  }
  if (!res.ok) {
    const e = (parsed as ApiError | undefined)?.error;
    throw new CliError(e ? `${res.status} ${e.code}: ${e.message}` : `${res.status} ${text}`, 1);
  }
  return parsed as T;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function need(n: number): string[] {
  const args = positionals.slice(1);
  if (args.length !== n) throw new CliError(USAGE, 2);
  return args;
}

function print(human: string, raw: unknown): void {
  console.log(values.json ? JSON.stringify(raw) : human);
}

interface Item {
  pk: string;
  sk: string;
  seq: number;
  value: unknown;
}

const seqTime = (seq: number): string => new Date(Math.floor(seq / 1000)).toISOString();

/** The conditional-write headers the options ask for. */
function preconditions(): Record<string, string> {
  if (values['if-match'] !== undefined && values['if-none-match']) throw new CliError('give --if-match or --if-none-match, not both', 2);
  if (values['if-match'] !== undefined) return { 'if-match': values['if-match'] };
  return values['if-none-match'] ? { 'if-none-match': '*' } : {};
}

const atCheckpoint = (): string => (values.checkpoint ? `checkpoint=${encodeURIComponent(values.checkpoint)}` : '');

interface CheckpointSummary {
  id: string;
  asOf: string;
  expiresAt: string;
  runs: number;
}

async function main(): Promise<void> {
  const cmd = positionals[0];
  if (values.help || !cmd) throw new CliError(USAGE, cmd || values.help ? 0 : 2);
  switch (cmd) {
    case 'put': {
      const [pk, sk, value] = need(3) as [string, string, string];
      const body = value === '-' ? await readStdin() : value;
      try {
        JSON.parse(body);
      } catch {
        throw new CliError(`the value must be JSON (quote strings: '"text"'), not: ${body.slice(0, 80)}`, 2);
      }
      const r = await call<{ seq: number }>('PUT', itemPath(pk, sk), body, preconditions());
      return print(`ok seq=${r.seq} (${seqTime(r.seq)})`, r);
    }
    case 'get': {
      const [pk, sk] = need(2) as [string, string];
      const qs = atCheckpoint();
      const r = await call<Item>('GET', `${itemPath(pk, sk)}${qs ? `?${qs}` : ''}`);
      return print(`${JSON.stringify(r.value, null, 2)}\n(seq ${r.seq}, ${seqTime(r.seq)})`, r);
    }
    case 'del': {
      const [pk, sk] = need(2) as [string, string];
      const r = await call<{ seq: number }>('DELETE', itemPath(pk, sk), undefined, preconditions());
      return print(`deleted seq=${r.seq}`, r);
    }
    case 'query': {
      const [pk] = need(1) as [string];
      let cursor: string | undefined;
      let total = 0;
      do {
        const qs = new URLSearchParams();
        if (values.from !== undefined) qs.set('from', values.from);
        if (values.to !== undefined) qs.set('to', values.to);
        if (values.desc) qs.set('order', 'desc');
        if (values.limit !== undefined) qs.set('limit', values.limit);
        if (cursor) qs.set('cursor', cursor);
        if (values.checkpoint) qs.set('checkpoint', values.checkpoint);
        const r = await call<{ items: Item[]; cursor?: string }>('GET', `/v1/items/${encodeURIComponent(pk)}?${qs}`);
        for (const it of r.items) console.log(values.json ? JSON.stringify(it) : `${it.sk}\t${JSON.stringify(it.value)}`);
        total += r.items.length;
        cursor = r.cursor;
        if (cursor && !values.all && !values.json) console.error(`(more: --all, or cursor ${cursor})`);
      } while (cursor && values.all);
      if (!values.json) console.error(`${total} item(s)`);
      return;
    }
    case 'runs': {
      need(0);
      const r = await call<{ version: number; runs: { id: string; tier: string; level: number; count: number; bytes: number; periodStart: number; periodEnd: number }[] }>('GET', '/v1/runs');
      const lines = [`manifest version ${r.version}`, 'tier  level  count        bytes  periods                                    id'];
      for (const run of r.runs) {
        const span = `${new Date(run.periodStart).toISOString()} .. ${new Date(run.periodEnd).toISOString()}`;
        lines.push(`${run.tier.padEnd(4)}  ${String(run.level).padStart(5)}  ${String(run.count).padStart(5)}  ${String(run.bytes).padStart(11)}  ${span}  ${run.id}`);
      }
      return print(lines.join('\n'), r);
    }
    case 'checkpoint': {
      const sub = positionals[1];
      if (sub === 'create' && positionals.length === 2) {
        const r = await call<CheckpointSummary>('POST', '/v1/checkpoints', JSON.stringify(values.ttl ? { ttl: values.ttl } : {}));
        return print(`${r.id}  as of ${r.asOf}, until ${r.expiresAt} (${r.runs} runs)`, r);
      }
      if (sub === 'list' && positionals.length === 2) {
        const r = await call<{ checkpoints: CheckpointSummary[] }>('GET', '/v1/checkpoints');
        return print(r.checkpoints.map((c) => `${c.id}  as of ${c.asOf}, until ${c.expiresAt}`).join('\n') || '(none)', r);
      }
      if (sub === 'delete' && positionals.length === 3) {
        await call('DELETE', `/v1/checkpoints/${encodeURIComponent(positionals[2]!)}`);
        return print(`deleted ${positionals[2]}`, { deleted: positionals[2] });
      }
      throw new CliError(USAGE, 2);
    }
    case 'export': {
      need(0);
      if (!values.out) throw new CliError('alki export needs --out DIR', 2);
      const { report, files } = await exportTo(call, { ...(values.checkpoint ? { checkpoint: values.checkpoint } : {}), out: values.out, log: (l) => values.json || console.error(l) });
      if (report.state !== 'succeeded') throw new CliError(`export ${report.id} ${report.state}: ${report.cause ?? ''}`, 1);
      return print(`export ${report.id}: ${report.records} records in ${files.length} files (${report.bytes} bytes) in ${values.out}`, { ...report, files });
    }
    case 'import': {
      const files = positionals.slice(1);
      if (files.length === 0) throw new CliError(USAGE, 2);
      const status = await importFiles(call, files, { onInvalid: values['skip-invalid'] ? 'skip' : 'fail', log: (l) => values.json || console.error(l) });
      print(describeImport(status, files), status);
      if (status.state !== 'succeeded') throw new CliError('', 1);
      return;
    }
    case 'check': {
      const files = positionals.slice(1);
      if (files.length === 0) throw new CliError(USAGE, 2);
      const report = await checkFiles(call, files, Number(values.examples));
      print(describeCheck(report), report);
      if (report.missing + report.different > 0) throw new CliError('', 1);
      return;
    }
    default:
      throw new CliError(`unknown command "${cmd}"\n${USAGE}`, 2);
  }
}

main().catch((err: unknown) => {
  if (err instanceof CliError) {
    if (err.message) (err.exitCode === 0 ? console.log : console.error)(err.message);
    process.exit(err.exitCode);
  }
  console.error(err);
  process.exit(1);
});

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
 *   alki recover --bucket B --index-table T ...   rebuild a lost index table from the bucket (bin/recover.ts; not through the API)
 *
 * Options: --url (default $ALKI_URL or http://127.0.0.1:8080), --json (raw JSON output).
 * Every call goes through the client library (client/): requests to an API Gateway URL are
 * signed with SigV4 using the default AWS credentials, and 429 and 503 are retried.
 */
import { parseArgs } from 'node:util';
import { checkFiles, describeCheck } from './check-files.ts';
import { exportTo } from './export-files.ts';
import { describeImport, importFiles } from './import-files.ts';
import { recoverCommand } from './recover.ts';
import { AlkiApiError, AlkiClient, AlkiPreconditionFailedError, type WriteConditions } from '../client/index.ts';

const USAGE = `usage: alki <put|get|del|query|runs|checkpoint|export|import|check|recover> [args] [--url URL] [--json]
  alki put <pk> <sk> <json|-> [--if-match SEQ | --if-none-match]
  alki get <pk> <sk> [--checkpoint ID]
  alki del <pk> <sk> [--if-match SEQ]
  alki query <pk> [--from SK] [--to SK] [--desc] [--limit N] [--all] [--checkpoint ID]
  alki checkpoint create [--ttl 1d] | list | delete ID
  alki export [--checkpoint ID] --out DIR
  alki runs
  alki import FILE... [--skip-invalid]
  alki check FILE... [--examples N]
  alki recover --bucket BUCKET --index-table TABLE [--create-table] [--dynamodb-endpoint URL --s3-endpoint URL]`;

class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

// Recovery talks to DynamoDB and S3, not to the API: its own options.
if (process.argv[2] === 'recover') {
  try {
    process.exit(await recoverCommand(process.argv.slice(3)));
  } catch (err) {
    console.error(`alki recover: ${(err as Error).message}`);
    process.exit(2);
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
const client = new AlkiClient({ url: base });

/** An API call, its failure said as the CLI says it (exit 1). */
async function call<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof AlkiPreconditionFailedError)
      throw new CliError(
        `412 PreconditionFailed: ${err.message.replace(/^412 PreconditionFailed: /, '')}${err.currentSeq !== undefined ? ` (current ETag "${err.currentSeq}")` : ''}`,
        1,
      );
    if (err instanceof AlkiApiError && err.code === 'ConnectionFailed')
      throw new CliError(`${err.message.replace(/^0 ConnectionFailed: /, '')}. Is it running (npm start)?`, 1);
    if (err instanceof AlkiApiError) throw new CliError(err.message, 1);
    throw err;
  }
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

const seqTime = (seq: number): string => new Date(Math.floor(seq / 1000)).toISOString();

/** The write conditions the options ask for. */
function conditions(): WriteConditions {
  if (values['if-match'] !== undefined && values['if-none-match']) throw new CliError('give --if-match or --if-none-match, not both', 2);
  if (values['if-match'] !== undefined) {
    const seqs = values['if-match'].split(',').map((t) => t.trim().replace(/^"|"$/g, ''));
    if (values['if-match'].trim() === '*') return { ifMatch: '*' };
    if (seqs.some((t) => !/^\d{1,16}$/.test(t))) throw new CliError(`--if-match takes a seq (as a read or write printed it), not "${values['if-match']}"`, 2);
    return { ifMatch: seqs.map(Number) };
  }
  return values['if-none-match'] ? { ifNoneMatch: '*' } : {};
}

async function main(): Promise<void> {
  const cmd = positionals[0];
  if (values.help || !cmd) throw new CliError(USAGE, cmd || values.help ? 0 : 2);
  switch (cmd) {
    case 'put': {
      const [pk, sk, text] = need(3) as [string, string, string];
      const body = text === '-' ? await readStdin() : text;
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch {
        throw new CliError(`the value must be JSON (quote strings: '"text"'), not: ${body.slice(0, 80)}`, 2);
      }
      const cond = conditions();
      const r = await call(() => client.put(pk, sk, value, cond));
      return print(`ok seq=${r.seq} (${seqTime(r.seq)})`, r);
    }
    case 'get': {
      const [pk, sk] = need(2) as [string, string];
      const r = await call(() => client.get(pk, sk, values.checkpoint ? { checkpoint: values.checkpoint } : {}));
      if (!r) throw new CliError('404 NotFound: no such item', 1);
      return print(`${JSON.stringify(r.value, null, 2)}\n(seq ${r.seq}, ${seqTime(r.seq)})`, r);
    }
    case 'del': {
      const [pk, sk] = need(2) as [string, string];
      const cond = conditions();
      const r = await call(() => client.delete(pk, sk, cond));
      return print(`deleted seq=${r.seq}`, r);
    }
    case 'query': {
      const [pk] = need(1) as [string];
      const pages = client
        .query(pk, {
          ...(values.from !== undefined ? { from: values.from } : {}),
          ...(values.to !== undefined ? { to: values.to } : {}),
          ...(values.desc ? { order: 'desc' as const } : {}),
          ...(values.limit !== undefined ? { pageSize: Number(values.limit) } : {}),
          ...(values.checkpoint ? { checkpoint: values.checkpoint } : {}),
        })
        .pages();
      let total = 0;
      await call(async () => {
        for await (const page of pages) {
          for (const it of page.items) console.log(values.json ? JSON.stringify(it) : `${it.sk}\t${JSON.stringify(it.value)}`);
          total += page.items.length;
          if (page.cursor && !values.all) {
            if (!values.json) console.error(`(more: --all, or cursor ${page.cursor})`);
            break;
          }
        }
      });
      if (!values.json) console.error(`${total} item(s)`);
      return;
    }
    case 'runs': {
      need(0);
      const r = await call(() => client.runs());
      const lines = [`manifest version ${r.version}`, 'tier  level  count        bytes  periods                                    id'];
      for (const run of r.runs) {
        const span = `${new Date(run.periodStart).toISOString()} .. ${new Date(run.periodEnd).toISOString()}`;
        lines.push(
          `${run.tier.padEnd(4)}  ${String(run.level).padStart(5)}  ${String(run.count).padStart(5)}  ${String(run.bytes).padStart(11)}  ${span}  ${run.id}`,
        );
      }
      return print(lines.join('\n'), r);
    }
    case 'checkpoint': {
      const sub = positionals[1];
      if (sub === 'create' && positionals.length === 2) {
        const r = await call(() => client.createCheckpoint(values.ttl ? { ttl: values.ttl } : {}));
        return print(`${r.id}  as of ${r.asOf}, until ${r.expiresAt} (${r.runs} runs)`, r);
      }
      if (sub === 'list' && positionals.length === 2) {
        const r = { checkpoints: await call(() => client.listCheckpoints()) };
        return print(r.checkpoints.map((c) => `${c.id}  as of ${c.asOf}, until ${c.expiresAt}`).join('\n') || '(none)', r);
      }
      if (sub === 'delete' && positionals.length === 3) {
        await call(() => client.deleteCheckpoint(positionals[2]!));
        return print(`deleted ${positionals[2]}`, { deleted: positionals[2] });
      }
      throw new CliError(USAGE, 2);
    }
    case 'export': {
      need(0);
      if (!values.out) throw new CliError('alki export needs --out DIR', 2);
      const out = values.out;
      const { report, files } = await call(() =>
        exportTo(client, { ...(values.checkpoint ? { checkpoint: values.checkpoint } : {}), out, log: (l) => values.json || console.error(l) }),
      );
      if (report.state !== 'succeeded') throw new CliError(`export ${report.id} ${report.state}: ${report.cause ?? ''}`, 1);
      return print(`export ${report.id}: ${report.records} records in ${files.length} files (${report.bytes} bytes) in ${values.out}`, { ...report, files });
    }
    case 'import': {
      const files = positionals.slice(1);
      if (files.length === 0) throw new CliError(USAGE, 2);
      const status = await call(() =>
        importFiles(client, files, { onInvalid: values['skip-invalid'] ? 'skip' : 'fail', log: (l) => values.json || console.error(l) }),
      );
      print(describeImport(status, files), status);
      if (status.state !== 'succeeded') throw new CliError('', 1);
      return;
    }
    case 'check': {
      const files = positionals.slice(1);
      if (files.length === 0) throw new CliError(USAGE, 2);
      const report = await call(() => checkFiles(client, files, Number(values.examples)));
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

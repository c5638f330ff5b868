/**
 * The embedded system's AWS front door: every SDK call of every function (and every
 * presigned upload) reaches DynamoDB, S3 and Step Functions through it, as every call
 * reaches AWS through IAM. It identifies the caller by the access key in the SigV4
 * credential (each function has its role's own key, as Lambda gives it), authorizes the
 * call's action and resource against that role's policies from the synthesized template
 * (and the bucket policy), refuses what the role would be refused with AWS's own error
 * (AccessDeniedException, 403 AccessDenied), checks uploaded bodies against their checksums
 * (400 BadDigest), and forwards the rest to dynalite and fauxqs. Keys it does not know are
 * the operator's (the AWS CLI, tests): allowed, as an account administrator is.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decide, type Decision, type NamedPolicy, type Statement } from './iam/policy.ts';
import {
  deleteObjectCheck,
  deleteObjectVersionCheck,
  dynamodbChecks,
  listBucketCheck,
  parseS3Path,
  s3Checks,
  statesChecks,
  UnknownOperationError,
  type Check,
  type Service,
} from './iam/requests.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './iam/stack-model.ts';
import { AutoScalingError, LocalAutoScaling } from './auto-scaling.ts';
import { checkUploadBody } from './s3-integrity.ts';
import { LocalVersions, type CurrentObjects } from './s3-versions.ts';
import { DynamoAnswerError, LocalTransactions } from './transactions.ts';
import { AWS_RATES, DynamoThroughput, S3Throughput, type Refusal } from './throughput.ts';

/** A caller: an operator (no policy applies) or a role with its policies. */
export type Principal =
  { readonly kind: 'operator' } | { readonly kind: 'role'; readonly name: string; readonly arn: string; readonly policies: readonly NamedPolicy[] };

export interface StartedExecution {
  readonly executionArn: string;
  readonly startDate: number;
}

export interface FrontDoorOptions {
  readonly dynamodb: string;
  readonly s3: string;
  /** The role behind an access key id; undefined for the operator. */
  readonly principalOf: (accessKeyId: string) => Principal | undefined;
  /** Resource policies of the bucket; their statements must name Principal "*". */
  readonly bucketPolicy: readonly NamedPolicy[];
  /** Step Functions' StartExecution and ListExecutions, served by the local runner. */
  readonly stepFunctions?: {
    start(stateMachineArn: string, name: string | undefined, input: string): Promise<StartedExecution>;
    list(stateMachineArn: string, status: string | undefined): unknown[];
  };
  /** A table's partition key attribute, for `dynamodb:LeadingKeys` conditions. */
  readonly partitionKeyOf?: (table: string) => string | undefined;
  /** Told of every decision made for a role (the IAM report). */
  readonly onDecision?: (principal: string, check: Check, decision: Decision) => void;
  /** AWS's request rates times this (local/throughput.ts); undefined or 0: no rate is enforced. */
  readonly throughputScale?: number;
}

export interface FrontDoor {
  readonly url: string;
  /** What the versioned bucket keeps besides its current objects (noncurrent versions, delete markers). */
  readonly versions: LocalVersions;
  /** The rate buckets, when rates are enforced: what they admitted and refused. */
  readonly throughput: { readonly dynamodb: DynamoThroughput; readonly s3: S3Throughput } | undefined;
  close(): Promise<void>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlUnescape = (s: string): string =>
  s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

function credentialOf(req: IncomingMessage, url: URL): { accessKeyId: string; service: Service } | undefined {
  const auth = req.headers.authorization;
  const scope = (auth ? /Credential=([^,\s]+)/.exec(auth)?.[1] : undefined) ?? url.searchParams.get('X-Amz-Credential') ?? undefined;
  if (!scope) return undefined;
  const [accessKeyId, , , service] = scope.split('/');
  if (!accessKeyId || (service !== 'dynamodb' && service !== 's3' && service !== 'states' && service !== 'application-autoscaling')) return undefined;
  return { accessKeyId, service };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function jsonError(res: ServerResponse, status: number, type: string, message: string, contentType = 'application/x-amz-json-1.0'): void {
  const body = JSON.stringify({ __type: `com.amazon.coral.service#${type}`, Message: message, message });
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** DynamoDB's error answer, with a cancelled transaction's reasons. */
function dynamoError(res: ServerResponse, err: DynamoAnswerError): void {
  const body = JSON.stringify({
    __type: `com.amazonaws.dynamodb.v20120810#${err.type}`,
    message: err.message,
    ...(err.reasons ? { CancellationReasons: err.reasons } : {}),
  });
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Plain GET of fauxqs (it checks no signature): the current objects behind the front door. */
function fauxqsObjects(s3: string): CurrentObjects {
  const get = (path: string): Promise<{ status: number; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const out = httpRequest(new URL(path, s3), { method: 'GET', agent }, (up) => {
        void readAll(up).then((body) => resolve({ status: up.statusCode ?? 502, body }), reject);
      });
      out.on('error', reject);
      out.end();
    });
  const objectPath = (bucket: string, key: string): string => `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return {
    async get(bucket, key) {
      const r = await get(objectPath(bucket, key));
      return r.status === 200 ? r.body : undefined;
    },
    async list(bucket, prefix) {
      const out: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) });
        const text = (await get(`/${encodeURIComponent(bucket)}?${q.toString()}`)).body.toString('utf8');
        for (const m of text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          out.push({ key: xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)![1]!), size: Number(/<Size>(\d+)<\/Size>/.exec(m[1]!)?.[1] ?? 0) });
        }
        token = /<IsTruncated>true<\/IsTruncated>/.test(text)
          ? xmlUnescape(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(text)?.[1] ?? '') || undefined
          : undefined;
      } while (token);
      return out;
    },
  };
}

/** DynamoDB's answer to a throttled request, with its reason as ThrottlingReasons say it. */
function throttled(res: ServerResponse, r: Refusal): void {
  const body = JSON.stringify({
    __type: `com.amazonaws.dynamodb.v20120810#${r.type}`,
    message: r.message,
    ThrottlingReasons: [{ reason: r.reason, resource: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${r.table}` }],
  });
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** DynamoDB operations whose cost is known from their answer only. */
/**
 * DynamoDB's DescribeTable says a table's warm throughput (dynalite knows none): what it was
 * created or updated with, else a new on-demand table's 12,000 reads and 4,000 writes a
 * second, or a provisioned table's capacity.
 */
function withWarmThroughput(text: Buffer, rates: DynamoThroughput | undefined): Buffer {
  const answer = JSON.parse(text.toString('utf8')) as {
    Table?: {
      TableName?: string;
      BillingModeSummary?: { BillingMode?: string };
      ProvisionedThroughput?: { ReadCapacityUnits?: number; WriteCapacityUnits?: number };
    };
  };
  const t = answer.Table;
  if (!t) return text;
  const warm = rates?.warmOf(String(t.TableName)) ?? {};
  const onDemand = t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST';
  const read = Math.max(warm.read ?? 0, onDemand ? AWS_RATES.newTableReadUnits : (t.ProvisionedThroughput?.ReadCapacityUnits ?? 0));
  const write = Math.max(warm.write ?? 0, onDemand ? AWS_RATES.newTableWriteUnits : (t.ProvisionedThroughput?.WriteCapacityUnits ?? 0));
  return Buffer.from(
    JSON.stringify({ ...answer, Table: { ...t, WarmThroughput: { ReadUnitsPerSecond: read, WriteUnitsPerSecond: write, Status: 'ACTIVE' } } }),
  );
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

/** DynamoDB operations that write items. */
const PLAIN_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

function xmlAnswer(res: ServerResponse, xml: string): void {
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

function jsonAnswer(res: ServerResponse, answer: unknown, contentType = 'application/x-amz-json-1.0'): void {
  const text = JSON.stringify(answer);
  res.writeHead(200, { 'content-type': contentType, 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** S3's error document (none for HEAD, which has no body). */
const s3ErrorBody = (method: string, code: string, message: string): string =>
  method === 'HEAD'
    ? ''
    : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;

function s3Error(res: ServerResponse, method: string, status: number, code: string, message: string): void {
  const body = s3ErrorBody(method, code, message);
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-amz-request-id': randomUUID(),
    ...(method === 'HEAD' ? {} : { 'content-length': Buffer.byteLength(body) }),
  });
  res.end(method === 'HEAD' ? undefined : body);
}

function denial(p: Extract<Principal, { kind: 'role' }>, c: Check, d: Decision): string {
  const why = d.reason === 'explicit-deny' ? `with an explicit deny in ${d.by?.policy}` : `because no identity-based policy allows the ${c.action} action`;
  return `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${p.name}/local is not authorized to perform: ${c.action} on resource: ${c.resource} ${why}`;
}

/** Forwards a request (with `body`) to a backend and pipes the answer back, or hands it to `inspect` first. */
function forward(
  backend: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  headers: Record<string, string | string[] | undefined> = req.headers,
  inspect?: (status: number, text: Buffer) => { status: number; body: Buffer } | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(req.url ?? '/', backend);
    const out = httpRequest(target, { method: req.method, headers: { ...headers, 'content-length': String(body.length) }, agent }, (up) => {
      if (!inspect) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', reject);
        return;
      }
      void readAll(up).then((text) => {
        const changed = inspect(up.statusCode ?? 502, text);
        if (changed) {
          // A changed body has another CRC32: the SDK checks DynamoDB's only when it is there.
          const { 'content-length': _, 'x-amz-crc32': __, ...rest } = up.headers;
          res.writeHead(changed.status, { ...rest, 'content-length': String(changed.body.length) });
          res.end(changed.body);
        } else {
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(text);
        }
        resolve();
      }, reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

export async function startFrontDoor(opts: FrontDoorOptions): Promise<FrontDoor> {
  for (const p of opts.bucketPolicy) {
    for (const s of p.statements) {
      const pr = (s as Statement).Principal as { AWS?: unknown } | string | undefined;
      if (!(pr === '*' || (typeof pr === 'object' && pr?.AWS === '*'))) throw new Error(`bucket policy ${p.name}: only Principal "*" is evaluated locally`);
    }
  }
  // Application Auto Scaling has no emulator: the front door serves it, reaching dynalite as its service-linked role would.
  const tables = new DynamoDBClient({ region: LOCAL_REGION, endpoint: opts.dynamodb, credentials: { accessKeyId: 'service', secretAccessKey: 'local' } });
  /** A table as DescribeTable tells it, or undefined if there is none: what auto scaling and the rate buckets need. */
  const describeTable = async (table: string) => {
    try {
      const t = (await tables.send(new DescribeTableCommand({ TableName: table }))).Table;
      if (!t) return undefined;
      return {
        onDemand: t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST',
        read: t.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
        write: t.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
        partitionKey: t.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
      };
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  };
  const autoScaling = new LocalAutoScaling({
    describe: async (table) => {
      const t = await describeTable(table);
      return t && { mode: t.onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED', read: t.read, write: t.write };
    },
    setThroughput: async (table, read, write) => {
      await tables.send(new UpdateTableCommand({ TableName: table, ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: write } }));
    },
  });

  const transactions = new LocalTransactions(tables);

  // Rates: each table's capacity as DescribeTable says (and the warm throughput it was made with), each key's and prefix's share.
  const scale = opts.throughputScale ?? 0;
  const throughput =
    scale > 0
      ? {
          dynamodb: new DynamoThroughput({
            scale,
            describe: async (table) => {
              const t = await describeTable(table);
              return t && { mode: t.onDemand ? 'on-demand' : 'provisioned', read: t.read, write: t.write, partitionKey: t.partitionKey };
            },
          }),
          s3: new S3Throughput(scale),
        }
      : undefined;

  // The local endpoint is loopback HTTP; it stands in for AWS's TLS endpoint (aws:SecureTransport).
  const baseContext = { 'aws:SecureTransport': 'true' };

  const authorize = (p: Principal, c: Check, withBucketPolicy: boolean): Decision => {
    const policies = p.kind === 'operator' ? [] : p.policies;
    const ctx = { ...baseContext, ...c.context };
    if (p.kind === 'operator') {
      // An administrator: only the bucket's explicit denies apply.
      const d = withBucketPolicy ? decide(opts.bucketPolicy, c.action, c.resource, ctx) : undefined;
      return d?.reason === 'explicit-deny' ? d : { allowed: true, reason: 'allow' };
    }
    const d = decide(withBucketPolicy ? [...policies, ...opts.bucketPolicy] : policies, c.action, c.resource, ctx);
    opts.onDecision?.(p.name, c, d);
    return d;
  };

  const versions = new LocalVersions(fauxqsObjects(opts.s3));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const cred = credentialOf(req, url);
    const method = req.method ?? 'GET';
    const body = await readAll(req);
    if (!cred) {
      if (req.headers['x-amz-target']) return jsonError(res, 400, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
      return s3Error(res, method, 403, 'AccessDenied', 'Anonymous access is not allowed: sign the request');
    }
    const principal = opts.principalOf(cred.accessKeyId) ?? { kind: 'operator' };

    if (cred.service === 'application-autoscaling') return serveAutoScaling(principal, String(req.headers['x-amz-target'] ?? ''), body, res);

    if (cred.service === 'dynamodb' || cred.service === 'states') {
      const target = String(req.headers['x-amz-target'] ?? '');
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return jsonError(res, 400, 'SerializationException', 'request body is not JSON');
      }
      let checks: Check[];
      try {
        checks = cred.service === 'dynamodb' ? dynamodbChecks(target, parsed, opts.partitionKeyOf) : statesChecks(target, parsed);
      } catch (err) {
        if (err instanceof UnknownOperationError) return jsonError(res, 400, 'UnknownOperationException', err.message);
        throw err;
      }
      for (const c of checks) {
        const d = authorize(principal, c, false);
        if (!d.allowed && principal.kind === 'role') return jsonError(res, 400, 'AccessDeniedException', denial(principal, c, d));
      }
      if (cred.service === 'dynamodb') {
        const op = target.split('.')[1] ?? '';
        let forwarded = body;
        if (op === 'CreateTable' || op === 'UpdateTable') {
          // dynalite knows no warm throughput: the front door keeps it, and rates the table by it.
          const { WarmThroughput: warm, ...rest } = parsed as { WarmThroughput?: { ReadUnitsPerSecond?: number; WriteUnitsPerSecond?: number } };
          if (warm !== undefined) {
            throughput?.dynamodb.setWarm(String(parsed.TableName), warm);
            forwarded = Buffer.from(JSON.stringify(rest));
            if (op === 'UpdateTable' && Object.keys(rest).length === 1)
              return jsonAnswer(res, await tables.send(new DescribeTableCommand({ TableName: String(parsed.TableName) })));
          }
          throughput?.dynamodb.forget(String(parsed.TableName));
        }
        if (op === 'DeleteTable') throughput?.dynamodb.forget(String(parsed.TableName), true);
        let pending: Awaited<ReturnType<DynamoThroughput['admit']>> | undefined;
        if (throughput) {
          pending = await throughput.dynamodb.admit(op, parsed);
          if ('refusal' in pending) return throttled(res, pending.refusal);
        }
        if (op === 'TransactWriteItems') {
          try {
            return jsonAnswer(res, await transactions.transactWrite(parsed));
          } catch (err) {
            if (!(err instanceof DynamoAnswerError)) throw err;
            return dynamoError(res, err);
          }
        }
        // Plain writes share a lock a transaction takes alone: none lands between its check and its put.
        if (PLAIN_WRITES.has(op)) return transactions.lock.shared(() => forward(opts.dynamodb, req, res, forwarded));
        if (op === 'DescribeTable')
          return forward(opts.dynamodb, req, res, forwarded, req.headers, (status, text) =>
            status === 200 ? { status, body: withWarmThroughput(text, throughput?.dynamodb) } : undefined,
          );
        const owed = pending && 'pending' in pending ? pending.pending : [];
        if (throughput && READS.has(op) && owed.length > 0) {
          return forward(opts.dynamodb, req, res, forwarded, req.headers, (status, text) => {
            if (status === 200) void throughput.dynamodb.settle(op, parsed, owed, JSON.parse(text.toString('utf8')) as Record<string, unknown>);
            return undefined;
          });
        }
        return forward(opts.dynamodb, req, res, forwarded);
      }
      if (!opts.stepFunctions) return jsonError(res, 400, 'UnknownOperationException', 'no local state machines');
      try {
        const arn = String(parsed.stateMachineArn);
        const answer = target.endsWith('.ListExecutions')
          ? { executions: opts.stepFunctions.list(arn, parsed.statusFilter as string | undefined) }
          : await opts.stepFunctions.start(arn, parsed.name as string | undefined, String(parsed.input ?? '{}'));
        jsonAnswer(res, answer);
      } catch (err) {
        const e = err as { name?: string; message?: string };
        return jsonError(res, 400, e.name ?? 'InvalidArn', e.message ?? 'failed');
      }
      return;
    }

    // S3: path-style requests.
    const expires = url.searchParams.get('X-Amz-Expires');
    const signedAt = url.searchParams.get('X-Amz-Date');
    if (expires && signedAt) {
      const t = Date.parse(signedAt.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      if (Date.now() > t + Number(expires) * 1000) return s3Error(res, method, 403, 'AccessDenied', 'Request has expired');
    }
    const r = parseS3Path(method, url, req.headers);
    let op: ReturnType<typeof s3Checks>;
    try {
      op = s3Checks(r);
    } catch (err) {
      if (err instanceof UnknownOperationError) return s3Error(res, method, 501, 'NotImplemented', err.message);
      throw err;
    }
    for (const c of op.checks) {
      const d = authorize(principal, c, true);
      if (!d.allowed) return s3Error(res, method, 403, 'AccessDenied', principal.kind === 'role' ? denial(principal, c, d) : 'Access Denied');
    }
    // S3 rates a prefix's requests; a new prefix starts with one partition's.
    if (throughput && r.bucket && !throughput.s3.admit(method, r.bucket, r.key))
      return s3Error(res, method, 503, 'SlowDown', 'Please reduce your request rate.');
    if (body.length > 0) {
      const problem = checkUploadBody(req.headers, url.searchParams, body);
      if (problem) return s3Error(res, method, problem.status, problem.code, problem.message);
    }
    const headers = { ...req.headers };
    // S3 accepts any content type on object bodies; fauxqs would parse these two as SNS/SQS requests.
    const ct = String(headers['content-type'] ?? '');
    if (ct.includes('x-www-form-urlencoded') || ct.includes('x-amz-json')) headers['content-type'] = 'application/octet-stream';

    if (op.operation === 'GetObject' || op.operation === 'HeadObject') {
      // Without s3:ListBucket, S3 answers a missing key with 403, not 404.
      const canList = authorize(principal, listBucketCheck(r.bucket!), true).allowed;
      if (!canList) {
        return forward(opts.s3, req, res, body, headers, (status) =>
          status === 404 ? { status: 403, body: Buffer.from(s3ErrorBody(method, 'AccessDenied', 'Access Denied')) } : undefined,
        );
      }
      return forward(opts.s3, req, res, body, headers);
    }
    if (op.operation === 'DeleteObjects') return deleteObjects(r.bucket!, principal, body, headers, req, res);
    // The bucket is versioned: what a put replaces or a delete removes stays as a noncurrent version.
    if (op.operation === 'ListObjectVersions') return xmlAnswer(res, await versions.listXml(r.bucket!, r.query.get('prefix') ?? ''));
    if (op.operation === 'PutObject' || op.operation === 'CopyObject' || op.operation === 'CompleteMultipartUpload')
      await versions.beforePut(r.bucket!, r.key!);
    if (op.operation === 'DeleteObject') {
      const versionId = r.query.get('versionId');
      if (versionId === null) await versions.beforeDelete(r.bucket!, r.key!);
      else if (versions.deleteVersion(r.bucket!, r.key!, versionId) !== 'current') {
        res.writeHead(204, { 'x-amz-version-id': versionId });
        res.end();
        return;
      }
    }
    return forward(opts.s3, req, res, body, headers);
  };

  /** Application Auto Scaling (JSON 1.1): the action, then what AWS checks the caller could do itself, then the emulator. */
  const serveAutoScaling = async (p: Principal, target: string, body: Buffer, res: ServerResponse): Promise<void> => {
    const json = 'application/x-amz-json-1.1';
    const operation = target.startsWith('AnyScaleFrontendService.') ? target.slice('AnyScaleFrontendService.'.length) : '';
    try {
      const parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      const { direct, implied } = autoScaling.checks(operation, parsed);
      for (const c of direct) {
        const d = authorize(p, c, false);
        if (!d.allowed && p.kind === 'role') return jsonError(res, 400, 'AccessDeniedException', denial(p, c, d), json);
      }
      for (const c of implied) {
        const d = authorize(p, c, false);
        if (d.allowed || p.kind !== 'role') continue;
        if (c.action === 'iam:CreateServiceLinkedRole') return jsonError(res, 400, 'AccessDeniedException', denial(p, c, d), json);
        return jsonError(
          res,
          400,
          'ValidationException',
          `Unable to ${operation}: the caller is missing permissions on the target service or CloudWatch. ${denial(p, c, d)}`,
          json,
        );
      }
      return jsonAnswer(res, await autoScaling.handle(operation, parsed), json);
    } catch (err) {
      if (err instanceof AutoScalingError) return jsonError(res, 400, err.code, err.message, json);
      if (err instanceof SyntaxError) return jsonError(res, 400, 'SerializationException', 'request body is not JSON', json);
      throw err;
    }
  };

  /**
   * DeleteObjects: S3 authorizes each key (a key with a version id needs s3:DeleteObjectVersion);
   * a denied key is an `<Error>` in a 200 answer. Keys without a version id leave a noncurrent
   * version; a noncurrent version named by its id goes here, never reaching fauxqs.
   */
  const deleteObjects = async (
    bucket: string,
    p: Principal,
    body: Buffer,
    headers: Record<string, string | string[] | undefined>,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> => {
    const text = body.toString('utf8');
    const objects = [...text.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => {
      const key = xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1] ?? '');
      const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(m[1]!)?.[1];
      return { xml: `<Object><Key>${xmlEscape(key)}</Key></Object>`, key, versionId };
    });
    const denied = objects.filter(
      (o) => !authorize(p, o.versionId === undefined ? deleteObjectCheck(bucket, o.key) : deleteObjectVersionCheck(bucket, o.key), true).allowed,
    );
    const errors = denied.map((o) => `<Error><Key>${xmlEscape(o.key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`).join('');
    const toFauxqs = [];
    for (const o of objects.filter((x) => !denied.includes(x))) {
      if (o.versionId === undefined) {
        await versions.beforeDelete(bucket, o.key);
        toFauxqs.push(o);
      } else if (versions.deleteVersion(bucket, o.key, o.versionId) === 'current') toFauxqs.push(o);
    }
    if (toFauxqs.length === 0)
      return xmlAnswer(res, `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`);
    const rewritten = Buffer.from(text.replace(/<Object>[\s\S]*<\/Object>/, toFauxqs.map((o) => o.xml).join('')));
    const { 'content-md5': _m, ...rest } = headers;
    const forwarded = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('x-amz-checksum-')));
    return forward(opts.s3, req, res, rewritten, forwarded, (status, out) =>
      status === 200 ? { status, body: Buffer.from(out.toString('utf8').replace('</DeleteResult>', `${errors}</DeleteResult>`)) } : undefined,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`front door: ${(err as Error).message}`);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    versions,
    throughput,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        tables.destroy();
      }),
  };
}

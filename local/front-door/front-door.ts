/**
 * The embedded system's AWS front door: every SDK call of every function (and every
 * presigned upload) reaches DynamoDB, S3 and Step Functions through it, as every call
 * reaches AWS through IAM. It identifies the caller by the access key in the SigV4
 * credential (each function has its role's own key, as Lambda gives it) and routes the call
 * to the module of its service (dynamodb.ts, s3.ts, step-functions.ts,
 * application-auto-scaling.ts), which authorizes it against that role's policies from the
 * synthesized template and the bucket policy (authorizer.ts), refuses what AWS would refuse
 * with AWS's own error, and forwards the rest to dynalite and fauxqs. Keys it does not know
 * are the operator's (the AWS CLI, tests): allowed, as an account administrator is.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Decision, NamedPolicy } from '../iam/policy.ts';
import type { Check, Service } from '../iam/requests.ts';
import { LOCAL_REGION } from '../iam/stack-model.ts';
import { LocalAutoScaling } from '../auto-scaling.ts';
import type { LocalVersions } from '../s3-versions.ts';
import { DynamoThroughput, S3Throughput } from '../throughput.ts';
import { autoScalingService } from './application-auto-scaling.ts';
import { Authorizer, type Principal } from './authorizer.ts';
import { dynamoDbService } from './dynamodb.ts';
import { jsonError, readAll, s3Error, type Call } from './http.ts';
import { s3Service } from './s3.ts';
import { stepFunctionsService, type LocalExecutions } from './step-functions.ts';

export type { Principal } from './authorizer.ts';
export type { StartedExecution } from './step-functions.ts';

export interface FrontDoorOptions {
  readonly dynamodb: string;
  readonly s3: string;
  /** The role behind an access key id; undefined for the operator. */
  readonly principalOf: (accessKeyId: string) => Principal | undefined;
  /** Resource policies of the bucket; their statements must name Principal "*". */
  readonly bucketPolicy: readonly NamedPolicy[];
  /** Step Functions' StartExecution and ListExecutions, served by the local runner. */
  readonly stepFunctions?: LocalExecutions;
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

/** The caller's access key and the service its SigV4 scope names (header or presigned query). */
function credentialOf(req: IncomingMessage, url: URL): { accessKeyId: string; service: Service } | undefined {
  const auth = req.headers.authorization;
  const scope = (auth ? /Credential=([^,\s]+)/.exec(auth)?.[1] : undefined) ?? url.searchParams.get('X-Amz-Credential') ?? undefined;
  if (!scope) return undefined;
  const [accessKeyId, , , service] = scope.split('/');
  if (!accessKeyId || (service !== 'dynamodb' && service !== 's3' && service !== 'states' && service !== 'application-autoscaling')) return undefined;
  return { accessKeyId, service };
}

/** A table as DescribeTable tells it, or undefined if there is none: what auto scaling and the rate buckets need. */
async function describeTable(tables: DynamoDBClient, table: string) {
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
}

export async function startFrontDoor(opts: FrontDoorOptions): Promise<FrontDoor> {
  const authorizer = new Authorizer(opts.bucketPolicy, opts.onDecision);
  // dynalite as the services themselves reach it: auto scaling's service-linked role, the rate buckets, transactions.
  const tables = new DynamoDBClient({ region: LOCAL_REGION, endpoint: opts.dynamodb, credentials: { accessKeyId: 'service', secretAccessKey: 'local' } });
  const autoScaling = new LocalAutoScaling({
    describe: async (table) => {
      const t = await describeTable(tables, table);
      return t && { mode: t.onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED', read: t.read, write: t.write };
    },
    setThroughput: async (table, read, write) => {
      await tables.send(new UpdateTableCommand({ TableName: table, ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: write } }));
    },
  });
  // Rates: each table's capacity as DescribeTable says (and the warm throughput it was made with), each key's and prefix's share.
  const scale = opts.throughputScale ?? 0;
  const throughput =
    scale > 0
      ? {
          dynamodb: new DynamoThroughput({
            scale,
            describe: async (table) => {
              const t = await describeTable(tables, table);
              return t && { mode: t.onDemand ? 'on-demand' : 'provisioned', read: t.read, write: t.write, partitionKey: t.partitionKey };
            },
          }),
          s3: new S3Throughput(scale),
        }
      : undefined;

  const dynamodb = dynamoDbService({ endpoint: opts.dynamodb, tables, authorizer, partitionKeyOf: opts.partitionKeyOf, throughput: throughput?.dynamodb });
  const states = stepFunctionsService(authorizer, opts.stepFunctions);
  const applicationAutoScaling = autoScalingService(authorizer, autoScaling);
  const s3 = s3Service({ endpoint: opts.s3, authorizer, throughput: throughput?.s3 });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const cred = credentialOf(req, url);
    const method = req.method ?? 'GET';
    const body = await readAll(req);
    if (!cred) {
      if (req.headers['x-amz-target']) return jsonError(res, 400, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
      return s3Error(res, method, 403, 'AccessDenied', 'Anonymous access is not allowed: sign the request');
    }
    const call: Call<Principal> = { req, res, url, method, body, principal: opts.principalOf(cred.accessKeyId) ?? { kind: 'operator' } };
    const target = String(req.headers['x-amz-target'] ?? '');
    switch (cred.service) {
      case 's3':
        return s3.serve(call);
      case 'application-autoscaling':
        return applicationAutoScaling(call, target);
      case 'dynamodb':
      case 'states': {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          return jsonError(res, 400, 'SerializationException', 'request body is not JSON');
        }
        return cred.service === 'dynamodb' ? dynamodb(call, target, parsed) : states(call, target, parsed);
      }
    }
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
    versions: s3.versions,
    throughput,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        tables.destroy();
      }),
  };
}

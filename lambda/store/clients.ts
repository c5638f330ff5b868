/**
 * AWS SDK clients and resource names from the environment. Local mode differs from AWS only
 * here: endpoint overrides point the same clients at the embedded DynamoDB and S3.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { indexTableName } from '../core/schema.ts';
import { settingsFromEnv, type StoreSettings } from '../core/settings.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Instruments an SDK client (a function's Tracer wraps each, for X-Ray); the identity by default. */
export type ClientHook = <C extends object>(client: C) => C;
export const untraced: ClientHook = (client) => client;

/** Where a function finds the store's resources: the service endpoints (locally; absent on AWS), the bucket and the index table. */
export const RESOURCE_ENV = {
  dynamodb: 'ALKI_DYNAMODB_ENDPOINT',
  s3: 'ALKI_S3_ENDPOINT',
  stepFunctions: 'ALKI_SFN_ENDPOINT',
  autoScaling: 'ALKI_AUTOSCALING_ENDPOINT',
  bucket: 'ALKI_BUCKET',
  indexTable: 'ALKI_INDEX_TABLE',
} as const;

export interface StoreEnv {
  readonly settings: StoreSettings;
  readonly indexTable: string;
  readonly bucket: string;
  readonly ddb: DynamoDBClient;
  readonly s3: S3Client;
  /**
   * For presigning uploads: computes no checksum unless an operation requires one. With the
   * SDK's default (WHEN_SUPPORTED, since 3.729) a presigned PUT signs the CRC32 of the empty
   * body it has at signing time (AAAAAA==), and S3 refuses every real upload with BadDigest.
   */
  readonly s3Presigner: S3Client;
}

/**
 * What every client shares: the region, and the function's own credentials where the
 * environment has them (Lambda sets them from the role; the embedded system gives each
 * function its role's key); otherwise the default provider chain.
 */
export function clientConfig(env: Env): { region: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const key = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (!key || !secret) return { region };
  return { region, credentials: { accessKeyId: key, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } };
}

/**
 * Attempts the SDK makes of a request: the data plane's 4 answer a throttled caller within
 * API Gateway's 29 seconds (429, Retry-After); a background task's 10 (backoff up to 20 s
 * each, about 45 s at most in all) wait out throttling where the task is, instead of failing
 * it and starting its work over.
 */
export const MAX_ATTEMPTS = { dataPlane: 4, background: 10 } as const;

export function storeEnvFrom(env: Env, hook: ClientHook = untraced, maxAttempts: number = MAX_ATTEMPTS.dataPlane): StoreEnv {
  const settings = settingsFromEnv(env);
  const base = clientConfig(env);
  const ddbEndpoint = env[RESOURCE_ENV.dynamodb];
  const s3Endpoint = env[RESOURCE_ENV.s3];
  const s3Config = { ...base, maxAttempts, ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}) };
  const bucket = env[RESOURCE_ENV.bucket];
  if (!bucket) throw new Error(`${RESOURCE_ENV.bucket} is not set`);
  return {
    settings,
    indexTable: env[RESOURCE_ENV.indexTable] ?? indexTableName(settings.prefix),
    bucket,
    ddb: hook(new DynamoDBClient({ ...base, maxAttempts, ...(ddbEndpoint ? { endpoint: ddbEndpoint } : {}) })),
    s3: hook(new S3Client(s3Config)),
    // Only signs URLs: no call to trace.
    s3Presigner: new S3Client({ ...s3Config, requestChecksumCalculation: 'WHEN_REQUIRED' }),
  };
}

/** Application Auto Scaling (rotation only, for provisioned hot tables). */
export function autoScalingClientFrom(env: Env, hook: ClientHook = untraced): ApplicationAutoScalingClient {
  const endpoint = env[RESOURCE_ENV.autoScaling];
  return hook(new ApplicationAutoScalingClient({ ...clientConfig(env), maxAttempts: 4, ...(endpoint ? { endpoint } : {}) }));
}

/**
 * AWS SDK clients and resource names from the environment. Local mode differs from AWS only
 * here: endpoint overrides point the same clients at the embedded DynamoDB and S3.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { indexTableName } from '../core/schema.ts';
import { settingsFromEnv, type StoreSettings } from '../core/settings.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export const ENDPOINT_ENV = {
  dynamodb: 'ALKI_DYNAMODB_ENDPOINT',
  s3: 'ALKI_S3_ENDPOINT',
  bucket: 'ALKI_BUCKET',
  indexTable: 'ALKI_INDEX_TABLE',
} as const;

export interface StoreEnv {
  readonly settings: StoreSettings;
  readonly indexTable: string;
  readonly bucket: string;
  readonly ddb: DynamoDBClient;
  readonly s3: S3Client;
}

export function storeEnvFrom(env: Env): StoreEnv {
  const settings = settingsFromEnv(env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const ddbEndpoint = env[ENDPOINT_ENV.dynamodb];
  const s3Endpoint = env[ENDPOINT_ENV.s3];
  // Local endpoints accept any credentials; on AWS the default provider chain applies.
  const local = { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const bucket = env[ENDPOINT_ENV.bucket];
  if (!bucket) throw new Error(`${ENDPOINT_ENV.bucket} is not set`);
  return {
    settings,
    indexTable: env[ENDPOINT_ENV.indexTable] ?? indexTableName(settings.prefix),
    bucket,
    ddb: new DynamoDBClient({ region, maxAttempts: 4, ...(ddbEndpoint ? { endpoint: ddbEndpoint, ...local } : {}) }),
    s3: new S3Client({ region, maxAttempts: 4, ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true, ...local } : {}) }),
  };
}

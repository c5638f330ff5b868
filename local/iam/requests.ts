/**
 * What AWS authorizes for a request: its IAM action(s) and resource ARN(s), from the wire
 * form the SDK sends (DynamoDB and Step Functions: JSON with X-Amz-Target; S3: REST paths
 * and query flags). An operation this does not know is refused, never waved through.
 */
import { bucketArn, tableArn } from './stack-model.ts';

export type Service = 'dynamodb' | 's3' | 'states' | 'application-autoscaling';

export interface Check {
  readonly action: string;
  /** `*` for actions without resource-level permissions (ListTables, ListAllMyBuckets). */
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | undefined>>;
}

export class UnknownOperationError extends Error {}

/** The item operations, and where their request names the item's key. */
const ITEM_FIELD: Readonly<Record<string, 'Item' | 'Key'>> = {
  PutItem: 'Item',
  GetItem: 'Key',
  DeleteItem: 'Key',
  UpdateItem: 'Key',
  ConditionCheckItem: 'Key',
};

/** One operation on a table, with the item's partition key as `dynamodb:LeadingKeys` where the request names an item. */
function itemCheck(op: string, body: Record<string, unknown>, partitionKeyOf: (table: string) => string | undefined): Check {
  const table = body.TableName;
  if (typeof table !== 'string') throw new UnknownOperationError(`DynamoDB ${op} without a TableName is not known to the local authorizer`);
  const field = ITEM_FIELD[op];
  const pkName = partitionKeyOf(table);
  const pk = field && pkName ? (body[field] as Record<string, { S?: string; B?: string; N?: string }> | undefined)?.[pkName] : undefined;
  const leading = pk ? (pk.S ?? pk.N ?? pk.B) : undefined;
  return { action: `dynamodb:${op}`, resource: tableArn(table), ...(leading !== undefined ? { context: { 'dynamodb:LeadingKeys': leading } } : {}) };
}

/**
 * DynamoDB's JSON protocol: `X-Amz-Target: DynamoDB_20120810.<Operation>`. Item operations
 * carry `dynamodb:LeadingKeys`, the partition key value, for fine-grained conditions
 * (`partitionKeyOf` names the table's partition key attribute).
 */
export function dynamodbChecks(
  target: string,
  body: Record<string, unknown>,
  partitionKeyOf: (table: string) => string | undefined = () => undefined,
): Check[] {
  const op = target.split('.')[1] ?? '';
  const action = `dynamodb:${op}`;
  if (op === 'ListTables') return [{ action, resource: '*' }];
  if (op === 'TransactWriteItems') {
    // Each action is authorized as its own operation; a condition check as ConditionCheckItem (there is no TransactWriteItems action).
    const items = Array.isArray(body.TransactItems) ? (body.TransactItems as Record<string, Record<string, unknown>>[]) : [];
    return items.flatMap((it) =>
      Object.entries(it).map(([kind, a]) => {
        const itemOp = kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`;
        return itemCheck(itemOp, a, partitionKeyOf);
      }),
    );
  }
  if (op === 'BatchWriteItem' || op === 'BatchGetItem') {
    return Object.keys((body.RequestItems ?? {}) as Record<string, unknown>).map((t) => ({ action, resource: tableArn(t) }));
  }
  if (typeof body.TableName !== 'string' || !op) throw new UnknownOperationError(`DynamoDB operation ${target} is not known to the local authorizer`);
  const table = body.TableName;
  const checks: Check[] = [itemCheck(op, body, partitionKeyOf)];
  // Tagging on create needs its own permission (as on AWS).
  if (op === 'CreateTable' && Array.isArray(body.Tags) && body.Tags.length > 0) checks.push({ action: 'dynamodb:TagResource', resource: tableArn(table) });
  return checks;
}

/** Step Functions' JSON protocol: only what Alki's functions call. */
export function statesChecks(target: string, body: Record<string, unknown>): Check[] {
  const op = target.split('.')[1] ?? '';
  if ((op === 'StartExecution' || op === 'ListExecutions') && typeof body.stateMachineArn === 'string')
    return [{ action: `states:${op}`, resource: body.stateMachineArn }];
  throw new UnknownOperationError(`Step Functions operation ${target} is not served locally`);
}

export interface S3Request {
  readonly method: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Path-style S3 requests: `/<bucket>/<key>`. */
export function parseS3Path(method: string, url: URL, headers: S3Request['headers']): S3Request {
  const [, bucket, ...rest] = url.pathname.split('/');
  const key = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  return { method, bucket: bucket ? decodeURIComponent(bucket) : undefined, key: key === '' ? undefined : key, query: url.searchParams, headers };
}

const objectArn = (bucket: string, key: string): string => `${bucketArn(bucket)}/${key}`;

/** The S3 operation a REST request is, and what it needs. DeleteObjects is checked per key by the caller. */
export function s3Checks(r: S3Request): { operation: string; checks: Check[] } {
  const q = (name: string): boolean => r.query.has(name);
  if (!r.bucket) {
    if (r.method === 'GET') return { operation: 'ListBuckets', checks: [{ action: 's3:ListAllMyBuckets', resource: '*' }] };
    throw new UnknownOperationError(`S3 ${r.method} / is not known to the local authorizer`);
  }
  const bucket = bucketArn(r.bucket);
  if (r.key === undefined) {
    if (r.method === 'GET' && q('uploads'))
      return { operation: 'ListMultipartUploads', checks: [{ action: 's3:ListBucketMultipartUploads', resource: bucket }] };
    if (r.method === 'GET' && q('versions')) return { operation: 'ListObjectVersions', checks: [{ action: 's3:ListBucketVersions', resource: bucket }] };
    if (
      r.method === 'GET' &&
      (q('list-type') || [...r.query.keys()].every((k) => ['prefix', 'delimiter', 'marker', 'max-keys', 'encoding-type'].includes(k)))
    ) {
      return { operation: 'ListObjects', checks: [{ action: 's3:ListBucket', resource: bucket, context: { 's3:prefix': r.query.get('prefix') ?? '' } }] };
    }
    if (r.method === 'HEAD') return { operation: 'HeadBucket', checks: [{ action: 's3:ListBucket', resource: bucket }] };
    if (r.method === 'POST' && q('delete')) return { operation: 'DeleteObjects', checks: [] };
    if (r.method === 'PUT' && [...r.query.keys()].length === 0) return { operation: 'CreateBucket', checks: [{ action: 's3:CreateBucket', resource: bucket }] };
    throw new UnknownOperationError(`S3 ${r.method} on bucket ${r.bucket} (${r.query.toString()}) is not known to the local authorizer`);
  }
  const object = objectArn(r.bucket, r.key);
  if (r.method === 'GET' && q('uploadId')) return { operation: 'ListParts', checks: [{ action: 's3:ListMultipartUploadParts', resource: object }] };
  if (r.method === 'GET' || r.method === 'HEAD')
    return { operation: r.method === 'GET' ? 'GetObject' : 'HeadObject', checks: [{ action: 's3:GetObject', resource: object }] };
  if (r.method === 'PUT') {
    const source = r.headers['x-amz-copy-source'];
    if (typeof source === 'string') {
      const [sb, ...sk] = decodeURIComponent(source.replace(/^\//, '').split('?')[0]!).split('/');
      return {
        operation: 'CopyObject',
        checks: [
          { action: 's3:PutObject', resource: object },
          { action: 's3:GetObject', resource: objectArn(sb!, sk.join('/')) },
        ],
      };
    }
    return { operation: q('partNumber') ? 'UploadPart' : 'PutObject', checks: [{ action: 's3:PutObject', resource: object }] };
  }
  if (r.method === 'POST' && q('uploads')) return { operation: 'CreateMultipartUpload', checks: [{ action: 's3:PutObject', resource: object }] };
  if (r.method === 'POST' && q('uploadId')) return { operation: 'CompleteMultipartUpload', checks: [{ action: 's3:PutObject', resource: object }] };
  if (r.method === 'DELETE' && q('uploadId')) return { operation: 'AbortMultipartUpload', checks: [{ action: 's3:AbortMultipartUpload', resource: object }] };
  if (r.method === 'DELETE')
    return { operation: 'DeleteObject', checks: [{ action: q('versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: object }] };
  throw new UnknownOperationError(`S3 ${r.method} on ${r.bucket}/${r.key} is not known to the local authorizer`);
}

export const deleteObjectCheck = (bucket: string, key: string): Check => ({ action: 's3:DeleteObject', resource: objectArn(bucket, key) });
/** Deleting a version by its id is its own action (AWS: s3:DeleteObjectVersion). */
export const deleteObjectVersionCheck = (bucket: string, key: string): Check => ({ action: 's3:DeleteObjectVersion', resource: objectArn(bucket, key) });
export const listBucketCheck = (bucket: string): Check => ({ action: 's3:ListBucket', resource: bucketArn(bucket) });

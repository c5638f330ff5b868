/**
 * Exports: their records in the index table (`PK = export`, one item each: what was asked,
 * where it stands, its totals) and their objects under `exports/<id>/` with a manifest that
 * lists them. Downloads are presigned GETs (export-downloads.ts, apart: only the API signs).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ExportObject, ExportStatus } from '../core/export-format.ts';
import { INDEX_TABLE, OBJECTS } from '../core/schema.ts';
import { translate } from './aws-errors.ts';
import type { ColdBucket } from './cold-bucket.ts';
import { grant, type Grant } from './grants.ts';

export const EXPORT_RECORD_GRANTS = {
  /** get */
  read: [grant('indexTable', 'dynamodb:GetItem')],
  /** get, put */
  write: [grant('indexTable', 'dynamodb:GetItem', 'dynamodb:PutItem')],
} as const satisfies Record<string, readonly Grant[]>;

export const EXPORT_OBJECT_GRANTS = {
  /** put, putManifest */
  write: [grant('exportObjects', 's3:PutObject')],
  /** read, manifest (a missing one is a 404, not a 403: ListBucket) */
  read: [grant('exportObjects', 's3:GetObject'), grant('bucket', 's3:ListBucket')],
} as const satisfies Record<string, readonly Grant[]>;

const { partitionKey: PK, sortKey: SK } = INDEX_TABLE;
const key = (id: string) => ({ [PK]: { S: 'export' }, [SK]: { B: Buffer.from(id, 'utf8') } });

export class ExportStore {
  private readonly ddb: DynamoDBClient;
  private readonly table: string;

  constructor(ddb: DynamoDBClient, table: string) {
    this.ddb = ddb;
    this.table = table;
  }

  async get(id: string): Promise<ExportStatus | undefined> {
    try {
      const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: key(id), ConsistentRead: true }));
      return out.Item ? (JSON.parse(out.Item.doc!.S!) as ExportStatus) : undefined;
    } catch (err) {
      return translate(err, `read export ${id}`);
    }
  }

  async put(status: ExportStatus): Promise<void> {
    try {
      await this.ddb.send(new PutItemCommand({ TableName: this.table, Item: { ...key(status.id), doc: { S: JSON.stringify(status) } } }));
    } catch (err) {
      translate(err, `write export ${status.id}`);
    }
  }
}

export class ExportObjects {
  private readonly bucket: ColdBucket;
  private readonly s3: S3Client;

  constructor(bucket: ColdBucket, s3: S3Client) {
    this.bucket = bucket;
    this.s3 = s3;
  }

  put(key: string, body: Buffer): Promise<void> {
    return this.bucket.putObject(key, body);
  }

  async read(key: string, size: number): Promise<Buffer> {
    return size === 0 ? Buffer.alloc(0) : this.bucket.source(key, size).read(0, size);
  }

  putManifest(exportId: string, objects: readonly ExportObject[]): Promise<void> {
    return this.bucket.putObject(OBJECTS.exportManifest(exportId), Buffer.from(JSON.stringify({ objects })));
  }

  async manifest(exportId: string): Promise<ExportObject[]> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket.name, Key: OBJECTS.exportManifest(exportId) }));
      return (JSON.parse(await out.Body!.transformToString()) as { objects: ExportObject[] }).objects;
    } catch (err) {
      return translate(err, `read the manifest of export ${exportId}`);
    }
  }
}

/**
 * The cold tier's adapters, by job (docs/design.md §3): reading runs (ColdReader), writing and
 * deleting them (ColdWriter), and the bucket's objects (ColdBucket: spills, item lists,
 * uploads, housekeeping), over one index table and one bucket.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { ColdBucket } from './cold-bucket.ts';
import { ColdReader } from './cold-reader.ts';
import { ColdWriter } from './cold-writer.ts';
import { RunIndex } from './run-index.ts';

export interface Cold {
  readonly coldReader: ColdReader;
  readonly coldWriter: ColdWriter;
  readonly bucket: ColdBucket;
}

export function coldFrom(ddb: DynamoDBClient, s3: S3Client, indexTable: string, bucket: string): Cold {
  const index = new RunIndex(ddb, indexTable);
  const b = new ColdBucket(s3, bucket);
  return { coldReader: new ColdReader(index, b), coldWriter: new ColdWriter(index, b), bucket: b };
}

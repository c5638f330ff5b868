/** The durable parts: the index table (manifest, history, sparse index) and the cold bucket. */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { hotTablePrefix, INDEX_TABLE, indexTableName, OBJECTS } from '../lambda/core/schema.ts';

export interface StorageProps {
  readonly prefix: string;
  readonly removalPolicy: RemovalPolicy;
  readonly noncurrentVersionDays: number;
  readonly spillExpirationDays: number;
  /** The purge deadline (ms), if any: every copy the store keeps of a record (object versions, backups) lives within it. */
  readonly purgeWithinMs: number | undefined;
}

const DAY_MS = 86_400_000;

/**
 * How long the bucket and the index table keep what the store deleted, under a purge deadline.
 * GC deletes every version of what it deletes itself; these bound the rest (objects that S3
 * lifecycle rules expire, a replaced object) and the index table's point-in-time backups
 * (which hold index items: keys, not values). S3 lifecycle rules act in whole days and up to a
 * day late, so each gets at most a quarter of the deadline, in whole days, at least one.
 */
export function retentionUnderPurge(
  p: Pick<StorageProps, 'noncurrentVersionDays' | 'spillExpirationDays' | 'purgeWithinMs'>,
): Record<'noncurrentDays' | 'spillDays' | 'importDays' | 'exportDays' | 'backupDays', number> {
  const quarter = p.purgeWithinMs === undefined ? Infinity : Math.max(1, Math.floor(p.purgeWithinMs / 4 / DAY_MS));
  return {
    noncurrentDays: Math.min(p.noncurrentVersionDays, quarter),
    spillDays: Math.min(p.spillExpirationDays, quarter),
    importDays: Math.min(30, quarter),
    exportDays: Math.min(7, quarter),
    backupDays: Math.min(35, quarter),
  };
}

const attrType = (t: 'S' | 'B'): AttributeType => (t === 'S' ? AttributeType.STRING : AttributeType.BINARY);

export class Storage extends Construct {
  readonly indexTable: TableV2;
  readonly bucket: Bucket;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.prefix = props.prefix;
    if (props.purgeWithinMs !== undefined && props.purgeWithinMs < 4 * DAY_MS) {
      throw new Error('purgeWithin must be at least 4d on AWS: S3 lifecycle rules count whole days and run once a day');
    }
    const keep = retentionUnderPurge(props);
    const [pk, sk] = INDEX_TABLE.attributeDefinitions;
    this.indexTable = new TableV2(this, 'IndexTable', {
      tableName: indexTableName(props.prefix),
      partitionKey: { name: pk.AttributeName, type: attrType(pk.AttributeType) },
      sortKey: { name: sk.AttributeName, type: attrType(sk.AttributeType) },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.dynamoOwnedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: keep.backupDays },
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });

    this.bucket = new Bucket(this, 'ColdBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        { id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(keep.noncurrentDays), expiredObjectDeleteMarker: true },
        { id: 'spills', prefix: OBJECTS.spillPrefix(''), expiration: Duration.days(keep.spillDays) },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Imports delete their files once committed; this removes abandoned ones.
        { id: 'abandoned-imports', prefix: OBJECTS.importsRoot, expiration: Duration.days(keep.importDays) },
        // Exports are for downloading, not keeping: a week after they are written, they go.
        { id: 'exports', prefix: OBJECTS.exportsRoot, expiration: Duration.days(keep.exportDays) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Server access logs would need a second bucket per store; object access is by the store's own functions, and CloudTrail data events can audit it where required.",
    });
  }

  /** ARN pattern of every hot table of this store: tables are created at run time by rotate. */
  hotTablesArn(): string {
    const s = Stack.of(this);
    return s.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${hotTablePrefix(this.prefix)}*` });
  }
}

/** Spills in the cold bucket: the temporary sorted objects of offload and import jobs (`spills/<job>/`). */
import type { BlobSource } from '../core/blob-reader.ts';
import { MissingDataError } from '../core/errors.ts';
import type { ColdBucket } from './cold-bucket.ts';
import { grant, type Grant } from './grants.ts';

export const SPILL_GRANTS = {
  /** put, open */
  use: [grant('spillObjects', 's3:PutObject', 's3:GetObject'), grant('bucket', 's3:ListBucket')],
  /** deletePrefix of a job's spills (the bucket's) */
  delete: [grant('spillObjects', 's3:DeleteObject'), grant('bucket', 's3:ListBucket')],
} as const satisfies Record<string, readonly Grant[]>;

export class S3SpillStore {
  private readonly bucket: ColdBucket;
  private readonly sizes = new Map<string, number>();

  constructor(bucket: ColdBucket) {
    this.bucket = bucket;
  }

  async put(name: string, bytes: Buffer): Promise<void> {
    await this.bucket.putObject(name, bytes);
    this.sizes.set(name, bytes.length);
  }

  async open(name: string): Promise<BlobSource> {
    let size = this.sizes.get(name);
    if (size === undefined) {
      const found = (await this.bucket.list(name)).find((o) => o.key === name);
      if (!found) throw new MissingDataError(`spill ${name} is missing`);
      size = found.size;
    }
    return this.bucket.source(name, size);
  }
}

/**
 * The cold bucket's objects, whatever they are (blobs, spills, item lists, uploads): ranged
 * reads that survive a body breaking off, puts, listings by the SDK's paginator, and
 * deletions that retry DeleteObjects' per-key errors. Bucket housekeeping (GC's sweeps) is
 * listing and deleting prefixes here.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type ListObjectsV2CommandOutput,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BlobSource } from '../core/blob-reader.ts';
import { UnavailableError } from '../core/errors.ts';
import { backoffMs, sleep, translate } from './aws-errors.ts';
import { grant, type Grant } from './grants.ts';

/**
 * What each use of the bucket's import uploads calls. Whoever reads objects also lists the
 * bucket: without s3:ListBucket, S3 answers a missing key with 403 AccessDenied, not 404.
 */
export const IMPORT_OBJECT_GRANTS = {
  /** list and read uploaded import files */
  read: [grant('importObjects', 's3:GetObject'), grant('bucket', 's3:ListBucket')],
  /** list uploaded import files (is every file there?) */
  list: [grant('bucket', 's3:ListBucket')],
  /** deletePrefix of an import's uploads */
  delete: [grant('importObjects', 's3:DeleteObject'), grant('bucket', 's3:ListBucket')],
} as const satisfies Record<string, readonly Grant[]>;

/**
 * Deleting every version of what GC deletes, under a purge deadline (a versioned bucket keeps a
 * deleted object's bytes as a noncurrent version): list the versions, delete each by id.
 */
export const PURGE_GRANTS = {
  /** deletePrefix(prefix, 'all versions') of runs, spills and uploads */
  purge: [
    grant('bucket', 's3:ListBucketVersions'),
    grant('runObjects', 's3:DeleteObjectVersion'),
    grant('spillObjects', 's3:DeleteObjectVersion'),
    grant('importObjects', 's3:DeleteObjectVersion'),
  ],
} as const satisfies Record<string, readonly Grant[]>;

/** Reads of one range whose body breaks off before a read gives up. */
const BODY_READ_ATTEMPTS = 3;

/** Per-key DeleteObjects errors worth another try. */
const RETRYABLE_DELETE = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable']);

export class ColdBucket {
  private readonly s3: S3Client;
  readonly name: string;

  constructor(s3: S3Client, name: string) {
    this.s3 = s3;
    this.name = name;
  }

  /**
   * Ranged reads of an object. A body that breaks mid-stream (a reset connection; the SDK
   * retries only until the headers arrive) is read again with backoff, then answered as
   * unavailable (503, retry later), never as missing data or a bad request.
   */
  reader(key: string): Pick<BlobSource, 'name' | 'read'> {
    return {
      name: key,
      read: async (offset, length) => {
        for (let attempt = 0; ; attempt++) {
          let out;
          try {
            out = await this.s3.send(new GetObjectCommand({ Bucket: this.name, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }));
          } catch (err) {
            return translate(err, `read ${key}`);
          }
          try {
            return Buffer.from(await out.Body!.transformToByteArray());
          } catch (err) {
            if (attempt >= BODY_READ_ATTEMPTS - 1)
              throw new UnavailableError(
                'StorageUnavailable',
                `read ${key}: the object's body broke off ${BODY_READ_ATTEMPTS} times (${(err as Error).message}); retry`,
                1,
              );
            await sleep(backoffMs(attempt + 1));
          }
        }
      },
    };
  }

  /** An object's size and ranged reads, for whole-blob scans (verification, spills). */
  source(key: string, size: number): BlobSource {
    return { ...this.reader(key), size };
  }

  async putObject(key: string, body: Buffer): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: body }));
    } catch (err) {
      translate(err, `write ${key}`);
    }
  }

  /** ListObjectsV2 pages under a prefix (with `/` as delimiter: one level only), by the SDK's paginator. */
  private async *listPages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    try {
      yield* paginateListObjectsV2({ client: this.s3 }, { Bucket: this.name, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}) });
    } catch (err) {
      translate(err, `list ${prefix}`);
    }
  }

  /** Objects under a prefix, in key order, with sizes. */
  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const out: { key: string; size: number }[] = [];
    for await (const page of this.listPages(prefix)) for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The names one level below a prefix (`runs/` -> run ids), without listing every object. */
  async childNames(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.listPages(prefix, '/')) for (const p of page.CommonPrefixes ?? []) out.push(p.Prefix!.slice(prefix.length, -1));
    return out.sort();
  }

  /**
   * Deletes objects, 1,000 to a request. A 200 answer can still carry per-key Errors: keys
   * that failed for a passing reason (InternalError, SlowDown) are retried with backoff; any
   * other, or one that keeps failing, fails the delete naming the key and the code.
   */
  async deleteObjects(keys: readonly (string | ObjectIdentifier)[]): Promise<void> {
    const ids = keys.map((k) => (typeof k === 'string' ? { Key: k } : k));
    for (let i = 0; i < ids.length; i += 1000) {
      let batch = ids.slice(i, i + 1000);
      for (let attempt = 0; batch.length > 0; attempt++) {
        if (attempt > 0) await sleep(backoffMs(attempt));
        let out;
        try {
          out = await this.s3.send(new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: batch, Quiet: true } }));
        } catch (err) {
          translate(err, `delete ${batch[0]!.Key}`);
        }
        const errors = out.Errors ?? [];
        const fatal = errors.find((e) => !RETRYABLE_DELETE.has(e.Code ?? '') || attempt >= 5);
        if (fatal)
          translate(
            Object.assign(new Error(`${fatal.Key}: ${fatal.Code}: ${fatal.Message ?? ''}`), { name: fatal.Code ?? 'DeleteFailed' }),
            `delete ${fatal.Key}`,
          );
        batch = errors.map((e) => ({ Key: e.Key!, ...(e.VersionId ? { VersionId: e.VersionId } : {}) }));
      }
    }
  }

  /** Every version and delete marker under a prefix (ListObjectVersions has no SDK paginator). */
  async versions(prefix: string): Promise<{ Key: string; VersionId: string }[]> {
    const out: { Key: string; VersionId: string }[] = [];
    let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      let page;
      try {
        page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.name, Prefix: prefix, ...marker }));
      } catch (err) {
        return translate(err, `list versions of ${prefix}`);
      }
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) out.push({ Key: v.Key!, VersionId: v.VersionId ?? 'null' });
      if (!page.IsTruncated) return out;
      marker = {
        ...(page.NextKeyMarker ? { KeyMarker: page.NextKeyMarker } : {}),
        ...(page.NextVersionIdMarker ? { VersionIdMarker: page.NextVersionIdMarker } : {}),
      };
    }
  }

  /**
   * Deletes every object under a prefix; idempotent. With `allVersions`, each version by its id
   * (and each delete marker), so nothing of it stays in the bucket, noncurrent or not.
   */
  async deletePrefix(prefix: string, allVersions = false): Promise<number> {
    if (allVersions) {
      const versions = await this.versions(prefix);
      await this.deleteObjects(versions);
      return versions.length;
    }
    const keys = await this.list(prefix);
    await this.deleteObjects(keys.map((k) => k.key));
    return keys.length;
  }
}

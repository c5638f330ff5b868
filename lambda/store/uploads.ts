/**
 * Uploads of import files straight to the cold bucket: presigned PUT URLs, or a multipart
 * upload with a presigned URL per part for large files. The data never passes through Lambda.
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ValidationError } from '../core/errors.ts';
import { errorName, translate } from './aws-errors.ts';
import { grant, type Grant } from './grants.ts';

/** The signer's rights are the URL's rights: S3 authorizes a presigned upload as the signing role. */
export const UPLOAD_GRANTS = [grant('importObjects', 's3:PutObject')] as const satisfies readonly Grant[];

/** How long an upload URL stays valid at most: less when the signing credentials expire sooner. */
export const UPLOAD_URL_SECONDS = 3600;

/** URLs signed for use now, and when they stop working. */
export interface SignedUrls {
  readonly urls: string[];
  /** ms: the earlier of the URL's stated expiry and the signing credentials' (a URL stops working with them). */
  readonly expiresAt: number;
}

export class Uploads {
  private readonly s3: S3Client;
  private readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.s3 = s3;
    this.bucket = bucket;
  }

  /**
   * Seconds a URL signed now may live: an hour, or until a minute before the signing
   * credentials expire (a function's role session), whichever is sooner; and when that is.
   */
  private async lifetime(nowMs: number): Promise<{ seconds: number; expiresAt: number }> {
    const creds = await this.s3.config.credentials();
    const byCredentials = creds.expiration ? Math.floor((creds.expiration.getTime() - nowMs) / 1000) - 60 : Infinity;
    const seconds = Math.max(1, Math.min(UPLOAD_URL_SECONDS, byCredentials));
    return { seconds, expiresAt: nowMs + seconds * 1000 };
  }

  async presignPut(key: string, nowMs: number): Promise<SignedUrls> {
    const { seconds, expiresAt } = await this.lifetime(nowMs);
    return { urls: [await getSignedUrl(this.s3, new PutObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: seconds })], expiresAt };
  }

  async startMultipart(key: string): Promise<string> {
    let uploadId: string | undefined;
    try {
      uploadId = (await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }))).UploadId;
    } catch (err) {
      translate(err, `start an upload of ${key}`);
    }
    if (!uploadId) throw new Error(`no upload id for ${key}`);
    return uploadId;
  }

  /** URLs for parts `from` to `from + count - 1` (1-based) of a multipart upload: a page, signed now. */
  async presignParts(key: string, uploadId: string, from: number, count: number, nowMs: number): Promise<SignedUrls> {
    const { seconds, expiresAt } = await this.lifetime(nowMs);
    const urls = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        getSignedUrl(this.s3, new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: from + i }), { expiresIn: seconds }),
      ),
    );
    return { urls, expiresAt };
  }

  async completeMultipart(key: string, uploadId: string, etags: readonly string[]): Promise<void> {
    try {
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (err) {
      const name = errorName(err);
      // The client's parts are wrong (too small, missing, stale ETags): its mistake, a 400.
      if (name && ['EntityTooSmall', 'InvalidPart', 'InvalidPartOrder', 'NoSuchUpload'].includes(name)) {
        throw new ValidationError(
          'InvalidUpload',
          `the upload of ${key} cannot be completed (${name}): every part but the last must be at least 5 MiB, with the ETag S3 returned for it`,
        );
      }
      translate(err, `complete the upload of ${key}`);
    }
  }
}

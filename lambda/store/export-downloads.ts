/**
 * Download URLs of an export's objects: presigned GETs, so the data never passes through
 * Lambda. Apart from the other export adapters, so that only the API's bundle holds the signer.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { grant, type Grant } from './grants.ts';

/** The signer's rights are the URL's rights: S3 authorizes a presigned GET as the signing role. */
export const EXPORT_DOWNLOAD_GRANTS = [grant('exportObjects', 's3:GetObject')] as const satisfies readonly Grant[];

/** How long a download URL stays valid (on AWS also bounded by the signing role's session). */
export const DOWNLOAD_URL_SECONDS = 3600;

export class ExportDownloads {
  private readonly presigner: S3Client;
  private readonly bucket: string;

  constructor(presigner: S3Client, bucket: string) {
    this.presigner = presigner;
    this.bucket = bucket;
  }

  url(key: string): Promise<string> {
    return getSignedUrl(this.presigner, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: DOWNLOAD_URL_SECONDS });
  }
}

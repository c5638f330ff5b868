/**
 * Upload URLs as a deployed function signs them: with its role's session token in every URL
 * (about 1.1 KB, more once URL-encoded), a page of part URLs stays well under Lambda's 6 MB
 * answer, and no URL claims to outlive the credentials that signed it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from '@jest/globals';
import { S3Client } from '@aws-sdk/client-s3';
import { IMPORT_LIMITS } from '../../lambda/core/import-format.ts';
import { LAMBDA_PAYLOAD_BYTES } from '../../lambda/core/limits.ts';
import { OBJECTS } from '../../lambda/core/schema.ts';
import { UPLOAD_URL_SECONDS, Uploads } from '../../lambda/store/uploads.ts';

const now = Date.UTC(2026, 11, 4, 12);
// A Lambda role session's token: about 1,100 to 1,200 base64 characters.
const sessionToken = randomBytes(900).toString('base64');
const uploadId = randomBytes(96).toString('base64url');
const client = (expiresInMs?: number) =>
  new S3Client({
    region: 'us-east-1',
    credentials: {
      accessKeyId: 'ASIAEXAMPLEEXAMPLE12',
      secretAccessKey: 'secret',
      sessionToken,
      ...(expiresInMs !== undefined ? { expiration: new Date(now + expiresInMs) } : {}),
    },
  });
const key = OBJECTS.importInput('0123456789abcdef0123', 99);

describe('upload URLs', () => {
  it("fit a page of part URLs, each carrying the session token, in a fraction of a function's 6 MB answer", async () => {
    const page = await new Uploads(client(6 * 3_600_000), 'alki-cold-123456789012-us-east-1').presignParts(
      key,
      uploadId,
      9001,
      IMPORT_LIMITS.partUrlsPerPage,
      now,
    );
    assert.equal(page.urls.length, 1000);
    for (const u of page.urls) assert.match(u, /X-Amz-Security-Token=/);
    const answer = Buffer.byteLength(
      JSON.stringify({ id: 'x', file: 99, uploadId, parts: 10_000, from: 9001, partUrls: page.urls, expiresAt: new Date(page.expiresAt).toISOString() }),
    );
    assert.ok(answer > 1000 * sessionToken.length, `the tokens are in: ${answer} bytes`);
    assert.ok(answer < LAMBDA_PAYLOAD_BYTES / 2, `${answer} bytes`);
  });

  it('never claims a URL outlives the credentials that signed it', async () => {
    const soon = await new Uploads(client(30 * 60_000), 'b').presignParts(key, uploadId, 1, 1, now);
    assert.equal(soon.expiresAt, now + (30 * 60 - 60) * 1000, 'a minute before the session ends');
    assert.match(soon.urls[0]!, /X-Amz-Expires=1740/);
    const later = await new Uploads(client(6 * 3_600_000), 'b').presignPut(key, now);
    assert.equal(later.expiresAt, now + UPLOAD_URL_SECONDS * 1000);
    const unknown = await new Uploads(client(), 'b').presignPut(key, now);
    assert.equal(unknown.expiresAt, now + UPLOAD_URL_SECONDS * 1000, "long-lived keys: the URL's own hour");
  });
});

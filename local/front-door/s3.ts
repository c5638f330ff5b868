/**
 * S3 behind the front door (path-style requests): presigned URLs' expiry, each call authorized
 * against the role's and the bucket's policies (a missing key is 403 to a caller that may not
 * list), prefixes rated when rates are enforced, uploaded bodies checked against their
 * checksums, the bucket's versioning kept (local/s3-versions.ts), the rest forwarded to fauxqs.
 */
import { request as httpRequest } from 'node:http';
import { deleteObjectCheck, deleteObjectVersionCheck, listBucketCheck, parseS3Path, s3Checks, UnknownOperationError, type Check } from '../iam/requests.ts';
import { checkUploadBody } from '../s3-integrity.ts';
import { LocalVersions, type CurrentObjects } from '../s3-versions.ts';
import type { S3Throughput } from '../throughput.ts';
import { denial, type Authorizer, type Principal } from './authorizer.ts';
import { agent, forward, readAll, s3Error, s3ErrorBody, xmlAnswer, xmlEscape, xmlUnescape, type Call, type Headers } from './http.ts';

export interface S3Options {
  /** fauxqs's endpoint. */
  readonly endpoint: string;
  readonly authorizer: Authorizer;
  /** The rate buckets, when rates are enforced. */
  readonly throughput?: S3Throughput;
}

/** Plain GET of fauxqs (it checks no signature): the current objects behind the front door. */
function fauxqsObjects(s3: string): CurrentObjects {
  const get = (path: string): Promise<{ status: number; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const out = httpRequest(new URL(path, s3), { method: 'GET', agent }, (up) => {
        void readAll(up).then((body) => resolve({ status: up.statusCode ?? 502, body }), reject);
      });
      out.on('error', reject);
      out.end();
    });
  const objectPath = (bucket: string, key: string): string => `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return {
    async get(bucket, key) {
      const r = await get(objectPath(bucket, key));
      return r.status === 200 ? r.body : undefined;
    },
    async list(bucket, prefix) {
      const out: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) });
        const text = (await get(`/${encodeURIComponent(bucket)}?${q.toString()}`)).body.toString('utf8');
        for (const m of text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          out.push({ key: xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)![1]!), size: Number(/<Size>(\d+)<\/Size>/.exec(m[1]!)?.[1] ?? 0) });
        }
        token = /<IsTruncated>true<\/IsTruncated>/.test(text)
          ? xmlUnescape(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(text)?.[1] ?? '') || undefined
          : undefined;
      } while (token);
      return out;
    },
  };
}

export interface S3Service {
  /** What the versioned bucket keeps besides its current objects (noncurrent versions, delete markers). */
  readonly versions: LocalVersions;
  serve(call: Call<Principal>): Promise<void>;
}

export function s3Service(o: S3Options): S3Service {
  const versions = new LocalVersions(fauxqsObjects(o.endpoint));
  // S3 calls are authorized against the bucket's policy too.
  const authorize = (p: Principal, c: Check) => o.authorizer.authorize(p, c, true);

  /**
   * DeleteObjects: S3 authorizes each key (a key with a version id needs s3:DeleteObjectVersion);
   * a denied key is an `<Error>` in a 200 answer. Keys without a version id leave a noncurrent
   * version; a noncurrent version named by its id goes here, never reaching fauxqs.
   */
  const deleteObjects = async ({ req, res, body, principal: p }: Call<Principal>, bucket: string, headers: Headers): Promise<void> => {
    const text = body.toString('utf8');
    const objects = [...text.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => {
      const key = xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1] ?? '');
      const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(m[1]!)?.[1];
      return { xml: `<Object><Key>${xmlEscape(key)}</Key></Object>`, key, versionId };
    });
    const denied = objects.filter(
      (o) => !authorize(p, o.versionId === undefined ? deleteObjectCheck(bucket, o.key) : deleteObjectVersionCheck(bucket, o.key)).allowed,
    );
    const errors = denied.map((o) => `<Error><Key>${xmlEscape(o.key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`).join('');
    const toFauxqs = [];
    for (const o of objects.filter((x) => !denied.includes(x))) {
      if (o.versionId === undefined) {
        await versions.beforeDelete(bucket, o.key);
        toFauxqs.push(o);
      } else if (versions.deleteVersion(bucket, o.key, o.versionId) === 'current') toFauxqs.push(o);
    }
    if (toFauxqs.length === 0)
      return xmlAnswer(res, `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`);
    const rewritten = Buffer.from(text.replace(/<Object>[\s\S]*<\/Object>/, toFauxqs.map((o) => o.xml).join('')));
    const { 'content-md5': _m, ...rest } = headers;
    const forwarded = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('x-amz-checksum-')));
    return forward(o.endpoint, req, res, rewritten, forwarded, (status, out) =>
      status === 200 ? { status, body: Buffer.from(out.toString('utf8').replace('</DeleteResult>', `${errors}</DeleteResult>`)) } : undefined,
    );
  };

  const serve = async (call: Call<Principal>): Promise<void> => {
    const { req, res, url, method, body, principal } = call;
    const expires = url.searchParams.get('X-Amz-Expires');
    const signedAt = url.searchParams.get('X-Amz-Date');
    if (expires && signedAt) {
      const t = Date.parse(signedAt.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      if (Date.now() > t + Number(expires) * 1000) return s3Error(res, method, 403, 'AccessDenied', 'Request has expired');
    }
    const r = parseS3Path(method, url, req.headers);
    let op: ReturnType<typeof s3Checks>;
    try {
      op = s3Checks(r);
    } catch (err) {
      if (err instanceof UnknownOperationError) return s3Error(res, method, 501, 'NotImplemented', err.message);
      throw err;
    }
    for (const c of op.checks) {
      const d = authorize(principal, c);
      if (!d.allowed) return s3Error(res, method, 403, 'AccessDenied', principal.kind === 'role' ? denial(principal, c, d) : 'Access Denied');
    }
    // S3 rates a prefix's requests; a new prefix starts with one partition's.
    if (o.throughput && r.bucket && !o.throughput.admit(method, r.bucket, r.key))
      return s3Error(res, method, 503, 'SlowDown', 'Please reduce your request rate.');
    if (body.length > 0) {
      const problem = checkUploadBody(req.headers, url.searchParams, body);
      if (problem) return s3Error(res, method, problem.status, problem.code, problem.message);
    }
    const headers = { ...req.headers };
    // S3 accepts any content type on object bodies; fauxqs would parse these two as SNS/SQS requests.
    const ct = String(headers['content-type'] ?? '');
    if (ct.includes('x-www-form-urlencoded') || ct.includes('x-amz-json')) headers['content-type'] = 'application/octet-stream';

    if (op.operation === 'GetObject' || op.operation === 'HeadObject') {
      // Without s3:ListBucket, S3 answers a missing key with 403, not 404.
      if (!authorize(principal, listBucketCheck(r.bucket!)).allowed) {
        return forward(o.endpoint, req, res, body, headers, (status) =>
          status === 404 ? { status: 403, body: Buffer.from(s3ErrorBody(method, 'AccessDenied', 'Access Denied')) } : undefined,
        );
      }
      return forward(o.endpoint, req, res, body, headers);
    }
    if (op.operation === 'DeleteObjects') return deleteObjects(call, r.bucket!, headers);
    // The bucket is versioned: what a put replaces or a delete removes stays as a noncurrent version.
    if (op.operation === 'ListObjectVersions') return xmlAnswer(res, await versions.listXml(r.bucket!, r.query.get('prefix') ?? ''));
    if (op.operation === 'PutObject' || op.operation === 'CopyObject' || op.operation === 'CompleteMultipartUpload')
      await versions.beforePut(r.bucket!, r.key!);
    if (op.operation === 'DeleteObject') {
      const versionId = r.query.get('versionId');
      if (versionId === null) await versions.beforeDelete(r.bucket!, r.key!);
      else if (versions.deleteVersion(r.bucket!, r.key!, versionId) !== 'current') {
        res.writeHead(204, { 'x-amz-version-id': versionId });
        res.end();
        return;
      }
    }
    return forward(o.endpoint, req, res, body, headers);
  };

  return { versions, serve };
}

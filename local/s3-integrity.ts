/**
 * What S3 checks of an upload's body that fauxqs does not: a checksum the request carries
 * (header, presigned query parameter, or aws-chunked trailer) and Content-MD5 must match
 * the bytes, or S3 answers 400 BadDigest and stores nothing.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const ALGORITHMS: Record<string, ((b: Buffer) => string) | undefined> = {
  crc32: (b) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(b) >>> 0);
    return out.toString('base64');
  },
  sha1: (b) => createHash('sha1').update(b).digest('base64'),
  sha256: (b) => createHash('sha256').update(b).digest('base64'),
  // Node has no CRC32C or CRC64NVME: such a checksum is refused locally rather than trusted.
  crc32c: undefined,
  crc64nvme: undefined,
};

export interface BodyProblem {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Decodes an aws-chunked body (SigV4 streaming): the payload and its trailing headers. */
export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) throw new Error('aws-chunked body: missing chunk header');
    const size = parseInt(body.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new Error('aws-chunked body: bad chunk size');
    at = eol + 2;
    if (size === 0) break;
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The checksums a request claims for its body, from headers, trailers and presigned query parameters. */
function claimed(headers: Headers, query: URLSearchParams, trailers: Record<string, string>): { algorithm: string; value: string }[] {
  const out: { algorithm: string; value: string }[] = [];
  for (const algorithm of Object.keys(ALGORITHMS)) {
    const name = `x-amz-checksum-${algorithm}`;
    const value = trailers[name] ?? header(headers, name) ?? query.get(name) ?? undefined;
    if (value !== undefined) out.push({ algorithm, value });
  }
  return out;
}

/** Checks an upload's body against every checksum it claims; undefined when it is sound. */
export function checkUploadBody(headers: Headers, query: URLSearchParams, raw: Buffer): BodyProblem | undefined {
  let body = raw;
  let trailers: Record<string, string> = {};
  if ((header(headers, 'content-encoding') ?? '').includes('aws-chunked')) {
    try {
      ({ payload: body, trailers } = decodeAwsChunked(raw));
    } catch (err) {
      return { status: 400, code: 'IncompleteBody', message: (err as Error).message };
    }
  }
  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) {
    return { status: 400, code: 'BadDigest', message: 'The Content-MD5 you specified did not match what we received.' };
  }
  for (const { algorithm, value } of claimed(headers, query, trailers)) {
    const compute = ALGORITHMS[algorithm];
    if (!compute)
      return { status: 501, code: 'NotImplemented', message: `the local S3 cannot check x-amz-checksum-${algorithm}; use CRC32, SHA1 or SHA256 locally` };
    if (compute(body) !== value) {
      return { status: 400, code: 'BadDigest', message: `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.` };
    }
  }
  return undefined;
}

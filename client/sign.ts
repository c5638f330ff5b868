/**
 * SigV4 for the CLI: requests to an API Gateway URL (`*.execute-api.<region>.amazonaws.com`)
 * are signed with the caller's AWS credentials (the SDK's default provider chain), as the
 * API's AWS_IAM authorization requires. Local URLs are sent as they are.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

const EXECUTE_API = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** The region of an API Gateway URL, or undefined for any other (local) URL. */
export function apiRegion(url: URL): string | undefined {
  return EXECUTE_API.exec(url.hostname)?.[1];
}

const signers = new Map<string, SignatureV4>();

/** Headers to send: signed for an AWS URL, plain otherwise. */
export async function signedHeaders(method: string, url: URL, body: string | undefined, headers: Record<string, string>): Promise<Record<string, string>> {
  // The URL names the API's region; that is the region to sign for.
  const region = apiRegion(url);
  if (!region) return headers;
  let signer = signers.get(region);
  if (!signer) {
    signer = new SignatureV4({ service: 'execute-api', region, credentials: fromNodeProviderChain(), sha256: Hash.bind(null, 'sha256') });
    signers.set(region, signer);
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query,
    headers: { ...headers, host: url.hostname },
    ...(body !== undefined ? { body } : {}),
  });
  return signed.headers;
}

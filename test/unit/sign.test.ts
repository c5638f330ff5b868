import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { apiRegion, signedHeaders } from '../../client/sign.ts';

describe('CLI request signing', () => {
  it('recognizes API Gateway URLs and their region', () => {
    assert.equal(apiRegion(new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/v1/runs')), 'eu-west-1');
    assert.equal(apiRegion(new URL('http://127.0.0.1:8080/v1/runs')), undefined);
    assert.equal(apiRegion(new URL('https://example.com/v1/runs')), undefined);
  });

  it('leaves local requests unsigned', async () => {
    assert.deepEqual(await signedHeaders('GET', new URL('http://127.0.0.1:8080/v1/runs'), undefined, { a: 'b' }), { a: 'b' });
  });

  it('signs API Gateway requests with SigV4 for execute-api', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    const h = await signedHeaders('PUT', new URL('https://abc123.execute-api.us-east-2.amazonaws.com/v1/items/p/s?x=1'), '{"a":1}', {
      'content-type': 'application/json',
    });
    assert.match(
      h.authorization!,
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-2\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    assert.ok(h['x-amz-date']);
  });
});

import { describe, expect, it } from 'vitest';
import { credentialScope } from './credential-scope.js';

describe('credentialScope', () => {
  it('reads the service from a signed Authorization header', () => {
    const scope = credentialScope(
      {
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20261122/eu-west-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
      },
      new URLSearchParams(),
    );
    expect(scope).toEqual({ accessKeyId: 'AKID', date: '20261122', region: 'eu-west-1', service: 'sagemaker' });
  });

  it('reads a presigned URL credential from the query', () => {
    const q = new URLSearchParams({ 'X-Amz-Credential': 'AKID/20261122/us-east-1/s3/aws4_request' });
    expect(credentialScope({}, q)?.service).toBe('s3');
  });

  it('returns undefined for unsigned requests and malformed scopes', () => {
    expect(credentialScope({}, new URLSearchParams())).toBeUndefined();
    expect(credentialScope({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID/x' }, new URLSearchParams())).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, UNSIGNED_PAYLOAD, checkTime, isFailure, parseAuth, sha256Hex, verifySignature, type SignedRequest } from '../../../../protocol/sigv4/verify.js';
import { presign } from './sign.js';
import { signRequest } from './sigv4-request.js';

// The browser's signatures checked by the server's verifier (src/protocol/sigv4/verify.ts).
const creds = { accessKeyId: 'AKIDCONSOLE', secretAccessKey: 'console/secret+1' };
const origin = { protocol: 'http:', host: '192.168.1.5:7447', hostname: '192.168.1.5', port: '7447' };

function verify(method: string, url: string, headers: Record<string, string>, payloadHash: string, s3: boolean, nowMs = Date.now()) {
  const all = { host: origin.host, ...headers };
  const req: SignedRequest = { method, url, headers: all, rawHeaders: Object.entries(all).flat() };
  const p = parseAuth(req);
  if (isFailure(p)) return p;
  return checkTime(p, nowMs) ?? verifySignature(req, p, creds.secretAccessKey, payloadHash, { s3 });
}

describe('console request signing', () => {
  it('signs a JSON 1.1 call the server accepts', async () => {
    const body = '{"MaxResults":100}';
    const { url, init } = await signRequest(
      '/',
      { method: 'POST', headers: { 'X-Amz-Target': 'SageMaker.ListModels', 'Content-Type': 'application/x-amz-json-1.1' }, body },
      'sagemaker',
      creds,
      origin,
    );
    expect(url).toBe('/');
    expect(verify('POST', url, init.headers as Record<string, string>, sha256Hex(body), false)).toBe(true);
  });

  it('signs an S3 listing whose query has spaces and pluses, and sends the query it signed', async () => {
    const q = new URLSearchParams({ 'list-type': '2', prefix: 'a b+c/', delimiter: '/' });
    const { url, init } = await signRequest(`/my-bucket?${q}`, {}, 's3', creds, origin);
    expect(url).toContain('prefix=a%20b%2Bc%2F');
    const headers = init.headers as Record<string, string>;
    expect(headers['x-amz-content-sha256']).toBe(EMPTY_SHA256);
    expect(verify('GET', url, headers, headers['x-amz-content-sha256']!, true)).toBe(true);
  });

  it('signs a file upload to S3 as UNSIGNED-PAYLOAD and a file sent to an endpoint by its hash', async () => {
    const file = new Blob(['1,2,3\n4,5,6\n']);
    const put = await signRequest('/b/k%20ey.csv', { method: 'PUT', body: file }, 's3', creds, origin);
    const h = put.init.headers as Record<string, string>;
    expect(h['x-amz-content-sha256']).toBe(UNSIGNED_PAYLOAD);
    expect(put.init.body).toBe(file);
    expect(verify('PUT', put.url, h, UNSIGNED_PAYLOAD, true)).toBe(true);

    const inv = await signRequest('/endpoints/ep/invocations', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: file }, 'sagemaker', creds, origin);
    expect(verify('POST', inv.url, inv.init.headers as Record<string, string>, sha256Hex('1,2,3\n4,5,6\n'), false)).toBe(true);
  });
});

describe('console presigned URLs', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');

  it('presigns an S3 download the server accepts until it expires', () => {
    const url = presign('/my-bucket/dir/r%C3%A9sum%C3%A9%20(1).pdf', 's3', creds, origin.host, now, 3600);
    expect(verify('GET', url, {}, UNSIGNED_PAYLOAD, true, now + 1000)).toBe(true);
    expect(verify('GET', url, {}, UNSIGNED_PAYLOAD, true, now + 3601_000)).toMatchObject({ kind: 'expired' });
  });

  it('presigns the log tail EventSource URL, keeping its own query', () => {
    const url = presign('/_slipway/logs/stream?job=my-job&tail=500', 'slipway', creds, origin.host, now, 43_200);
    expect(url).toMatch(/^\/_slipway\/logs\/stream\?X-Amz-Algorithm=/);
    expect(new URL(url, 'http://x').searchParams.get('job')).toBe('my-job');
    expect(verify('GET', url, {}, EMPTY_SHA256, false, now)).toBe(true);
    expect(verify('GET', url.replace('job=my-job', 'job=other'), {}, EMPTY_SHA256, false, now)).toMatchObject({ kind: 'badSignature' });
  });
});

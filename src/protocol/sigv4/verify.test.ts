import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_SHA256,
  UNSIGNED_PAYLOAD,
  canonicalRequest,
  checkTime,
  isFailure,
  parseAuth,
  sha256Hex,
  stringToSign,
  uriEncode,
  verifySignature,
  type ParsedAuth,
  type SignedRequest,
} from './verify.js';

/**
 * Vectors of the AWS Signature Version 4 Test Suite (aws-sig-v4-test-suite, 2015 edition,
 * https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html), as transcribed in
 * aws/aws-sdk-js-v3 `packages/signature-v4/src/suite.fixture.ts`. Every case: service `service`,
 * region us-east-1, key AKIDEXAMPLE, X-Amz-Date 20150830T123600Z, host example.amazonaws.com.
 */
const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SUITE_NOW = Date.parse('2015-08-30T12:36:00Z');

interface SuiteCase {
  name: string;
  method: string;
  /** Request target as a client puts it on the wire (already percent-encoded once). */
  url: string;
  headers?: [string, string][];
  body?: string;
  signedHeaders?: string;
  signature: string;
  /** The suite signs its raw path unencoded; where it has non-ASCII, our "as sent" S3 mode matches it. */
  s3?: boolean;
}

const SUITE: SuiteCase[] = [
  { name: 'get-vanilla', method: 'GET', url: '/', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
  { name: 'post-vanilla', method: 'POST', url: '/', signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' },
  { name: 'get-vanilla-query', method: 'GET', url: '/?Param1=value1', signature: 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb' },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    url: '/?Param2=value2&Param1=value1',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-query-order-key',
    method: 'GET',
    url: '/?Param1=value2&Param1=value1',
    signature: '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694',
  },
  {
    name: 'get-vanilla-query-unreserved',
    method: 'GET',
    url: '/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  },
  { name: 'get-vanilla-utf8-query', method: 'GET', url: '/?%E1%88%B4=bar', signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04' },
  {
    name: 'get-unreserved',
    method: 'GET',
    url: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  { name: 'get-utf8 (path as sent)', method: 'GET', url: '/%E1%88%B4', s3: true, signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85' },
  {
    name: 'get-header-key-duplicate',
    method: 'GET',
    url: '/',
    headers: [['My-Header1', 'value2'], ['My-Header1', 'value2'], ['My-Header1', 'value1']],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-header-value-order',
    method: 'GET',
    url: '/',
    headers: [['My-Header1', 'value4'], ['My-Header1', 'value1'], ['My-Header1', 'value3'], ['My-Header1', 'value2']],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    url: '/',
    headers: [['My-Header1', ' value1'], ['My-Header2', ' "a   b   c"']],
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'post-header-key-sort',
    method: 'POST',
    url: '/',
    headers: [['My-Header1', 'value1']],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  {
    name: 'post-header-value-case',
    method: 'POST',
    url: '/',
    headers: [['My-Header1', 'VALUE1']],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d',
  },
  { name: 'post-vanilla-query', method: 'POST', url: '/?Param1=value1', signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11' },
  {
    name: 'post-vanilla-query-nonunreserved',
    method: 'POST',
    url: `/?${uriEncode('@#$%^')}=&${uriEncode('+')}=${uriEncode('/,?><`";:\\|][{}')}`,
    signature: '66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e',
  },
  { name: 'post-vanilla-query-space', method: 'POST', url: '/?p=', signature: 'e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b' },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    url: '/',
    headers: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'post-x-www-form-urlencoded-parameters',
    method: 'POST',
    url: '/',
    headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=utf8']],
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe',
  },
];

function requestOf(method: string, url: string, raw: [string, string][]): SignedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of raw) headers[k.toLowerCase()] = headers[k.toLowerCase()] === undefined ? v : `${headers[k.toLowerCase()]}, ${v}`;
  return { method, url, headers, rawHeaders: raw.flat() };
}

function suiteRequest(c: SuiteCase, signature = c.signature): SignedRequest {
  const signed = c.signedHeaders ?? 'host;x-amz-date';
  return requestOf(c.method, c.url, [
    ['Host', 'example.amazonaws.com'],
    ...(c.headers ?? []),
    ['X-Amz-Date', '20150830T123600Z'],
    ['Authorization', `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signed}, Signature=${signature}`],
  ]);
}

function parsed(req: SignedRequest): ParsedAuth {
  const p = parseAuth(req);
  if (isFailure(p)) throw new Error(`parse failed: ${JSON.stringify(p)}`);
  return p;
}

describe('SigV4 verification against the AWS test suite', () => {
  for (const c of SUITE) {
    it(`accepts ${c.name}`, () => {
      const req = suiteRequest(c);
      const p = parsed(req);
      expect(checkTime(p, SUITE_NOW)).toBeUndefined();
      expect(verifySignature(req, p, SUITE_SECRET, sha256Hex(c.body ?? ''), { s3: c.s3 ?? false })).toBe(true);
    });
  }

  it('builds the suite canonical request and string to sign of get-vanilla', () => {
    const req = suiteRequest(SUITE[0]!);
    const p = parsed(req);
    // get-vanilla.creq / get-vanilla.sts
    const creq = canonicalRequest(req, p, EMPTY_SHA256, { s3: false });
    expect(creq).toBe(`GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA256}`);
    expect(stringToSign(p, creq)).toBe(
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    );
  });

  it('rejects a tampered request, a wrong secret and a wrong payload hash', () => {
    const c = SUITE.find((s) => s.name === 'post-x-www-form-urlencoded')!;
    const req = suiteRequest(c);
    const p = parsed(req);
    const hash = sha256Hex(c.body!);
    expect(verifySignature(req, p, 'not-the-secret', hash, { s3: false })).toMatchObject({ kind: 'badSignature' });
    expect(verifySignature(req, p, SUITE_SECRET, sha256Hex('Param1=value2'), { s3: false })).toMatchObject({ kind: 'badSignature' });
    const tampered = { ...req, url: '/?extra=1' };
    const failure = verifySignature(tampered, p, SUITE_SECRET, hash, { s3: false });
    expect(failure).toMatchObject({ kind: 'badSignature', provided: c.signature });
    if (failure !== true && failure.kind === 'badSignature') expect(failure.canonicalRequest).toContain('\nextra=1\n');
  });
});

/**
 * S3's worked examples, https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * (GET Object with Range) and .../sigv4-query-string-auth.html (presigned GET).
 */
describe('SigV4 verification against the S3 documentation examples', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const now = Date.parse('2013-05-24T00:00:00Z');

  it('accepts the GET Object example (header auth, x-amz-content-sha256)', () => {
    const req = requestOf('GET', '/test.txt', [
      ['Host', 'examplebucket.s3.amazonaws.com'],
      ['Range', 'bytes=0-9'],
      ['x-amz-content-sha256', EMPTY_SHA256],
      ['x-amz-date', '20130524T000000Z'],
      [
        'Authorization',
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      ],
    ]);
    const p = parsed(req);
    expect(checkTime(p, now)).toBeUndefined();
    expect(verifySignature(req, p, secret, EMPTY_SHA256, { s3: true })).toBe(true);
  });

  const presigned =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
    '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';

  it('accepts the presigned GET example within its lifetime and rejects it after', () => {
    const req = requestOf('GET', presigned, [['Host', 'examplebucket.s3.amazonaws.com']]);
    const p = parsed(req);
    expect(p).toMatchObject({ presigned: true, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', service: 's3', expiresSeconds: 86400 });
    expect(verifySignature(req, p, secret, UNSIGNED_PAYLOAD, { s3: true })).toBe(true);
    expect(checkTime(p, now + 86_399_000)).toBeUndefined();
    expect(checkTime(p, now + 86_401_000)).toMatchObject({ kind: 'expired', expiresAt: '20130525T000000Z' });
  });

  it('rejects a presigned URL whose path or host was changed', () => {
    for (const req of [
      requestOf('GET', presigned.replace('/test.txt', '/other.txt'), [['Host', 'examplebucket.s3.amazonaws.com']]),
      requestOf('GET', presigned, [['Host', 'evil.s3.amazonaws.com']]),
    ]) {
      expect(verifySignature(req, parsed(req), secret, UNSIGNED_PAYLOAD, { s3: true })).toMatchObject({ kind: 'badSignature' });
    }
  });
});

describe('parseAuth and checkTime', () => {
  it('says missing when there is neither a header nor a presigned query', () => {
    expect(parseAuth(requestOf('GET', '/?a=1', [['Host', 'h']]))).toEqual({ kind: 'missing' });
  });

  it('rejects other schemes and incomplete headers as malformed', () => {
    expect(parseAuth(requestOf('GET', '/', [['Authorization', 'AWS AKID:abc']]))).toMatchObject({ kind: 'malformed' });
    expect(parseAuth(requestOf('GET', '/', [['Authorization', 'AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/s/aws4_request']]))).toMatchObject({
      kind: 'malformed',
      message: expect.stringContaining("'SignedHeaders'"),
    });
    expect(parseAuth(requestOf('GET', '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x', []))).toMatchObject({ kind: 'malformed', presigned: true });
  });

  it('requires the scope date to be the X-Amz-Date day', () => {
    const req = requestOf('GET', '/', [
      ['X-Amz-Date', '20150831T000000Z'],
      ['Authorization', 'AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/s/aws4_request, SignedHeaders=host, Signature=00'],
    ]);
    expect(parseAuth(req)).toMatchObject({ kind: 'malformed', message: expect.stringContaining('not the same as X-Amz-Date') });
  });

  it('rejects header-signed requests more than 15 minutes off the server clock, either way', () => {
    const p = parsed(suiteRequest(SUITE[0]!));
    expect(checkTime(p, SUITE_NOW + 15 * 60_000)).toBeUndefined();
    expect(checkTime(p, SUITE_NOW + 15 * 60_000 + 1000)).toMatchObject({ kind: 'skewed', future: false, requestTime: '20150830T123600Z' });
    expect(checkTime(p, SUITE_NOW - 15 * 60_000 - 1000)).toMatchObject({ kind: 'skewed', future: true });
  });
});

/** What real clients send: the SDK's own signer (same code the console bundles) against our verifier. */
describe('SigV4 verification of @smithy/signature-v4 signatures', () => {
  const credentials = { accessKeyId: 'AKIDSLIPWAY', secretAccessKey: 'secret/with+chars' };
  const signerFor = (service: string) =>
    new SignatureV4({ credentials, region: 'eu-west-1', service, sha256: Sha256, uriEscapePath: service !== 's3', applyChecksum: service === 's3' });

  function toSigned(r: { method: string; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string> }): SignedRequest {
    const q = Object.entries(r.query ?? {})
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => (x === null ? uriEncode(k) : `${uriEncode(k)}=${uriEncode(x)}`)))
      .join('&');
    return requestOf(r.method, q ? `${r.path}?${q}` : r.path, Object.entries(r.headers));
  }

  it('verifies a JSON 1.1 call and an S3 PUT with an awkward key', async () => {
    const body = '{"MaxResults":10}';
    const json = await signerFor('sagemaker').sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 7447,
      path: '/',
      headers: { host: '127.0.0.1:7447', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'SageMaker.ListTrainingJobs' },
      body,
    });
    let req = toSigned(json as never);
    expect(verifySignature(req, parsed(req), credentials.secretAccessKey, sha256Hex(body), { s3: false })).toBe(true);

    const key = `/bucket/${['a b', 'c+d', 'ü!', "e'(f)*"].map(uriEncode).join('/')}`;
    const put = await signerFor('s3').sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: key,
      query: { partNumber: '1', uploadId: 'x y' },
      headers: { host: '127.0.0.1:7447', 'content-type': 'text/plain' },
      body: 'hello',
    });
    req = toSigned(put as never);
    const p = parsed(req);
    expect(verifySignature(req, p, credentials.secretAccessKey, String(req.headers['x-amz-content-sha256']), { s3: true })).toBe(true);
  });

  it('verifies a presigned S3 GET and a double-encoded runtime path', async () => {
    const url = await signerFor('s3').presign(
      // As @aws-sdk/s3-request-presigner does: the payload is declared unsigned and not hoisted.
      { method: 'GET', protocol: 'http:', hostname: 'localhost', path: '/b/k%20ey.txt', query: {}, headers: { host: 'localhost:1', 'x-amz-content-sha256': UNSIGNED_PAYLOAD } },
      { expiresIn: 60, unhoistableHeaders: new Set(['x-amz-content-sha256']), unsignableHeaders: new Set(['x-amz-content-sha256']) },
    );
    let req = toSigned(url as never);
    let p = parsed(req);
    expect(p.presigned).toBe(true);
    expect(verifySignature(req, p, credentials.secretAccessKey, UNSIGNED_PAYLOAD, { s3: true })).toBe(true);

    const invoke = await signerFor('sagemaker').sign({
      method: 'POST',
      protocol: 'http:',
      hostname: 'localhost',
      path: '/endpoints/my%20ep/invocations',
      headers: { host: 'localhost:1', 'content-type': 'text/csv' },
      body: '1,2',
    });
    req = toSigned(invoke as never);
    p = parsed(req);
    expect(verifySignature(req, p, credentials.secretAccessKey, sha256Hex('1,2'), { s3: false })).toBe(true);
    // The same request checked with S3's single encoding must fail: the two modes differ.
    expect(verifySignature(req, p, credentials.secretAccessKey, sha256Hex('1,2'), { s3: true })).toMatchObject({ kind: 'badSignature' });
  });
});

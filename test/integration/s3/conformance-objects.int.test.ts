/**
 * S3 conformance of single objects through boto3 (issue #18 items 1, 3, 5, 8, 9; issue #12 item 12):
 * GET/HEAD ?partNumber, UploadPartCopy ranges, `Content-Encoding: …, aws-chunked` on an unframed
 * body, GetObjectAttributes, listing and header edges, user metadata limits.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../../helpers/server.js';
import { boto3S3, bucketNamed } from './boto3-s3.js';

const server = useTestServer();

const bucketName = () => bucketNamed('conf');

const HELPERS = `def body(r):
    return r['Body'].read()
`;

const run = boto3S3(server, 'conf', HELPERS);

describe('GET and HEAD ?partNumber (issue #18 item 1)', () => {
  it('serves one part of a multipart object with x-amz-mp-parts-count, and 416 InvalidPartNumber past the last', async () => {
    const r = await run(`
p1, p2 = b'a' * (5 * 1024 * 1024), b'b' * 1024
up = s3.create_multipart_upload(Bucket=b, Key='mp')['UploadId']
e1 = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=p1)['ETag']
e2 = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=2, Body=p2)['ETag']
s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up, MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]})
g2 = s3.get_object(Bucket=b, Key='mp', PartNumber=2)
h1 = s3.head_object(Bucket=b, Key='mp', PartNumber=1)
g1 = s3.get_object(Bucket=b, Key='mp', PartNumber=1)
s3.put_object(Bucket=b, Key='single', Body=b'hello')
gs = s3.get_object(Bucket=b, Key='single', PartNumber=1)
print(json.dumps({
  'g2': [g2['ResponseMetadata']['HTTPStatusCode'], g2['ContentLength'], g2['PartsCount'], g2['ContentRange'], body(g2) == p2],
  'h1': [h1['ContentLength'], h1['PartsCount']],
  'g1': body(g1) == p1,
  'past': err(lambda: s3.get_object(Bucket=b, Key='mp', PartNumber=3)),
  'headPast': err(lambda: s3.head_object(Bucket=b, Key='mp', PartNumber=3)),
  'single': [gs['ContentLength'], 'PartsCount' in gs, body(gs).decode()],
  'singlePast': err(lambda: s3.get_object(Bucket=b, Key='single', PartNumber=2)),
  'withRange': err(lambda: s3.get_object(Bucket=b, Key='mp', PartNumber=1, Range='bytes=0-1')),
  'badNumber': err(lambda: s3.get_object(Bucket=b, Key='mp', PartNumber=10001)),
}))
`);
    expect(r.g2).toEqual([206, 1024, 2, `bytes ${5 * 1024 * 1024}-${5 * 1024 * 1024 + 1023}/${5 * 1024 * 1024 + 1024}`, true]);
    expect(r.h1).toEqual([5 * 1024 * 1024, 2]);
    expect(r.g1).toBe(true);
    // S3 answers 416 InvalidPartNumber (ceph's RGW 400 InvalidPart).
    expect(r.past).toEqual(['InvalidPartNumber', 416]);
    expect(r.headPast).toEqual(['416', 416]);
    expect(r.single).toEqual([5, false, 'hello']);
    expect(r.singlePast).toEqual(['InvalidPartNumber', 416]);
    expect(r.withRange).toEqual(['InvalidRequest', 400]);
    expect(r.badNumber).toEqual(['InvalidArgument', 400]);
  });
});

describe('UploadPartCopy ranges (issue #18 item 3)', () => {
  it('refuses a copy-source-range past the source and stores no part; copies a valid one exactly', async () => {
    const r = await run(`
s3.put_object(Bucket=b, Key='src', Body=b'01234')
up = s3.create_multipart_upload(Bucket=b, Key='dst')['UploadId']
src = {'Bucket': b, 'Key': 'src'}
past = err(lambda: s3.upload_part_copy(Bucket=b, Key='dst', UploadId=up, PartNumber=1, CopySource=src, CopySourceRange='bytes=0-21'))
start = err(lambda: s3.upload_part_copy(Bucket=b, Key='dst', UploadId=up, PartNumber=1, CopySource=src, CopySourceRange='bytes=5-6'))
form = err(lambda: s3.upload_part_copy(Bucket=b, Key='dst', UploadId=up, PartNumber=1, CopySource=src, CopySourceRange='bytes=2-'))
parts_after_errors = len(s3.list_parts(Bucket=b, Key='dst', UploadId=up).get('Parts', []))
e = s3.upload_part_copy(Bucket=b, Key='dst', UploadId=up, PartNumber=1, CopySource=src, CopySourceRange='bytes=1-3')['CopyPartResult']['ETag']
s3.complete_multipart_upload(Bucket=b, Key='dst', UploadId=up, MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e}]})
print(json.dumps({'past': past, 'start': start, 'form': form, 'parts': parts_after_errors, 'data': body(s3.get_object(Bucket=b, Key='dst')).decode()}))
`);
    // AWS answers InvalidArgument (LocalStack's AWS-validated test_upload_part_copy_range); ceph's RGW InvalidRange.
    expect(r.past).toEqual(['InvalidArgument', 400]);
    expect(r.start).toEqual(['InvalidRequest', 400]);
    expect(r.form).toEqual(['InvalidArgument', 400]);
    expect(r.parts).toBe(0);
    expect(r.data).toBe('123');
  });
});

describe('Content-Encoding with aws-chunked on an unframed body (issue #18 item 5)', () => {
  it('stores the body as sent and keeps only the real encoding', async () => {
    const r = await run(`
import gzip
data = gzip.compress(b'hello gzip')
s3.put_object(Bucket=b, Key='gz', Body=data, ContentEncoding='gzip, aws-chunked')
g = s3.get_object(Bucket=b, Key='gz')
print(json.dumps({'enc': g['ContentEncoding'], 'same': body(g) == data}))
`);
    expect(r).toEqual({ enc: 'gzip', same: true });
  });
});

describe('GetObjectAttributes (issue #18 item 8)', () => {
  it('answers ETag, checksum, parts, storage class and size of multipart and single objects', async () => {
    const r = await run(`
import hashlib
p1, p2 = b'x' * (5 * 1024 * 1024), b'y' * 10
up = s3.create_multipart_upload(Bucket=b, Key='mp', ChecksumAlgorithm='SHA256')['UploadId']
r1 = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=p1, ChecksumAlgorithm='SHA256')
r2 = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=2, Body=p2, ChecksumAlgorithm='SHA256')
done = s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up, MultipartUpload={'Parts': [
  {'PartNumber': 1, 'ETag': r1['ETag'], 'ChecksumSHA256': r1['ChecksumSHA256']},
  {'PartNumber': 2, 'ETag': r2['ETag'], 'ChecksumSHA256': r2['ChecksumSHA256']}]})
attrs = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']
a = s3.get_object_attributes(Bucket=b, Key='mp', ObjectAttributes=attrs)
page = s3.get_object_attributes(Bucket=b, Key='mp', ObjectAttributes=['ObjectParts'], MaxParts=1, PartNumberMarker=1)
s3.put_object(Bucket=b, Key='one', Body=b'abc', ChecksumAlgorithm='CRC32')
o = s3.get_object_attributes(Bucket=b, Key='one', ObjectAttributes=attrs)
sha = lambda d: base64.b64encode(hashlib.sha256(d).digest()).decode()
print(json.dumps({
  'etag': a['ETag'] == done['ETag'].strip('"'), 'size': a['ObjectSize'], 'class': a['StorageClass'],
  'checksum': a['Checksum'], 'composite': done['ChecksumSHA256'],
  'parts': [a['ObjectParts']['TotalPartsCount'], a['ObjectParts']['IsTruncated'], [[p['PartNumber'], p['Size'], p['ChecksumSHA256'] == sha(d)] for p, d in zip(a['ObjectParts']['Parts'], [p1, p2])]],
  'page': [page['ObjectParts']['PartNumberMarker'], page['ObjectParts']['IsTruncated'], [p['PartNumber'] for p in page['ObjectParts']['Parts']]],
  'one': [o['ObjectSize'], o['Checksum']['ChecksumCRC32'] == base64.b64encode(zlib.crc32(b'abc').to_bytes(4, 'big')).decode(), 'ObjectParts' in o, o['ETag'] == hashlib.md5(b'abc').hexdigest()],
  'missing': err(lambda: s3.get_object_attributes(Bucket=b, Key='nope', ObjectAttributes=attrs)),
}))
`);
    expect(r.etag).toBe(true);
    expect(r.size).toBe(5 * 1024 * 1024 + 10);
    expect(r.class).toBe('STANDARD');
    expect(r.checksum).toEqual({ ChecksumSHA256: r.composite, ChecksumType: 'COMPOSITE' });
    expect(r.parts).toEqual([2, false, [[1, 5 * 1024 * 1024, true], [2, 10, true]]]);
    expect(r.page).toEqual([1, false, [2]]);
    expect(r.one).toEqual([3, true, false, true]);
    expect(r.missing).toEqual(['NoSuchKey', 404]);
  });
});

/** A raw HTTP request to the server (headers Node's and boto3's clients would not send). */
function raw(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server().url}${path}`, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('protocol edges (issue #18 item 9)', () => {
  it('treats an empty continuation-token as absent and leaves a V1 Prefix as sent with encoding-type=url', async () => {
    const r = await run(`
for k in ['a b+/1', 'a b+/2', 'z']:
    s3.put_object(Bucket=b, Key=k, Body=b'')
v2 = s3.list_objects_v2(Bucket=b, ContinuationToken='')
v1 = s3.list_objects(Bucket=b, Prefix='a b+/', EncodingType='url')
print(json.dumps({'keys': [c['Key'] for c in v2['Contents']], 'token': v2.get('ContinuationToken'), 'prefix': v1['Prefix'], 'v1keys': [c['Key'] for c in v1['Contents']]}))
`);
    expect(r.keys).toEqual(['a b+/1', 'a b+/2', 'z']);
    expect(r.token).toBe('');
    expect(r.prefix).toBe('a b+/');
    // Keys are encoded (the caller asked for encoding-type=url itself, so botocore leaves them).
    expect(r.v1keys).toEqual(['a%20b%2B/1', 'a%20b%2B/2']);
  });

  it('ignores Expect: 200 and an empty Expect as S3 does (no 417)', async () => {
    const b = bucketName();
    await run(`s3.create_bucket(Bucket=${JSON.stringify(b)})\nprint('{}')`);
    // Raw requests: boto3 and Node's client replace or drop such Expect values.
    const put = (key: string, expect: string) =>
      new Promise<string>((resolve, reject) => {
        const u = new URL(server().url);
        const sock = connect(Number(u.port), u.hostname, () =>
          sock.write(`PUT /${b}/${key} HTTP/1.1\r\nHost: ${u.host}\r\nExpect: ${expect}\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`),
        );
        let text = '';
        sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
        sock.on('end', () => resolve(text.split('\r\n')[0]!));
        sock.on('error', reject);
      });
    expect(await put('e200', '200')).toBe('HTTP/1.1 200 OK');
    expect(await put('eempty', '')).toBe('HTTP/1.1 200 OK');
    const r = await run(`b = ${JSON.stringify(b)}\nprint(json.dumps([body(s3.get_object(Bucket=b, Key=k)).decode() for k in ['e200', 'eempty']]))`);
    expect(r).toEqual(['x', 'x']);
  });

  it('answers OPTIONS without Origin with 400, and a preflight with an Origin with 403 (no CORS rules)', async () => {
    const b = bucketName();
    await run(`s3.create_bucket(Bucket=${JSON.stringify(b)})\nprint('{}')`);
    const noOrigin = await raw('OPTIONS', `/${b}/k`, {});
    expect(noOrigin.status).toBe(400);
    expect(noOrigin.text).toContain('<Code>BadRequest</Code>');
    const preflight = await raw('OPTIONS', `/${b}/k`, { origin: 'http://example.test', 'access-control-request-method': 'GET' });
    expect(preflight.status).toBe(403);
    expect(preflight.text).toContain('<Code>AccessForbidden</Code>');
  });
});

describe('bucket CORS (was accepted and dropped)', () => {
  it('stores rules, answers preflights by them and adds Access-Control headers to requests with an Origin', async () => {
    const b = bucketName();
    const r = await run(`
b = ${JSON.stringify(b)}
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key='k', Body=b'x')
s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': [
  {'AllowedMethods': ['GET', 'HEAD'], 'AllowedOrigins': ['http://*.example.test'], 'AllowedHeaders': ['x-amz-*'], 'ExposeHeaders': ['ETag'], 'MaxAgeSeconds': 60}]})
print(json.dumps(s3.get_bucket_cors(Bucket=b)['CORSRules']))
`);
    expect(r).toEqual([
      { AllowedHeaders: ['x-amz-*'], AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['http://*.example.test'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60 },
    ]);
    const ok = await fetch(`${server().url}/${b}/k`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example.test', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-amz-date' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://app.example.test');
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    expect(ok.headers.get('access-control-allow-headers')).toBe('x-amz-date');
    expect(ok.headers.get('access-control-max-age')).toBe('60');
    const refused = await fetch(`${server().url}/${b}/k`, { method: 'OPTIONS', headers: { origin: 'http://elsewhere.test', 'access-control-request-method': 'GET' } });
    expect(refused.status).toBe(403);
    const get = await fetch(`${server().url}/${b}/k`, { headers: { origin: 'http://app.example.test' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('http://app.example.test');
    expect(get.headers.get('access-control-expose-headers')).toBe('ETag');
    const deleted = await run(`
b = ${JSON.stringify(b)}
s3.delete_bucket_cors(Bucket=b)
print(json.dumps(err(lambda: s3.get_bucket_cors(Bucket=b))))
`);
    expect(deleted).toEqual(['NoSuchCORSConfiguration', 404]);
  });
});

describe('user metadata limit (issue #12 item 12)', () => {
  it('refuses more than 2 KB of metadata with MetadataTooLarge and stores nothing; exactly 2 KB is fine', async () => {
    const r = await run(`
exact = {'k': 'v' * (2048 - 1)}
over = {'k': 'v' * 2048}
ok = err(lambda: s3.put_object(Bucket=b, Key='exact', Body=b'x', Metadata=exact))
too = err(lambda: s3.put_object(Bucket=b, Key='over', Body=b'x', Metadata=over))
mp = err(lambda: s3.create_multipart_upload(Bucket=b, Key='over-mp', Metadata=over))
s3.put_object(Bucket=b, Key='src', Body=b'x')
cp = err(lambda: s3.copy_object(Bucket=b, Key='over-cp', CopySource={'Bucket': b, 'Key': 'src'}, Metadata=over, MetadataDirective='REPLACE'))
print(json.dumps({'ok': ok, 'too': too, 'mp': mp, 'cp': cp, 'stored': err(lambda: s3.head_object(Bucket=b, Key='over')),
  'uploads': len(s3.list_multipart_uploads(Bucket=b).get('Uploads', []))}))
`);
    expect(r.ok).toBe('ok');
    expect(r.too).toEqual(['MetadataTooLarge', 400]);
    expect(r.mp).toEqual(['MetadataTooLarge', 400]);
    expect(r.cp).toEqual(['MetadataTooLarge', 400]);
    expect(r.stored).toEqual(['404', 404]);
    expect(r.uploads).toBe(0);
  });
});

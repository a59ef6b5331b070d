/**
 * The S3 surface against the real server with the AWS SDK for JavaScript v3 (path style and
 * virtual-hosted style), including its aws-chunked + CRC32 trailer uploads.
 */
import {
  AbortMultipartUploadCommand,
  BucketAlreadyOwnedByYou,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  NoSuchBucket,
  NoSuchKey,
  NoSuchUpload,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let s3: S3Client;
let scratch: string;

const name = (p = 'b') => `${p}-${randomBytes(5).toString('hex')}`;

async function bytesOf(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function expectS3Error(p: Promise<unknown>, code: string, status: number): Promise<S3ServiceException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(S3ServiceException);
  const e = err as S3ServiceException;
  expect(e.name).toBe(code);
  expect(e.$metadata.httpStatusCode).toBe(status);
  return e;
}

beforeAll(async () => {
  server = await startTestServer();
  s3 = new S3Client({ ...sdkClientConfig(server.url), forcePathStyle: true });
  scratch = mkdtempSync(join(tmpdir(), 's3-sdk-'));
});

afterAll(async () => {
  s3?.destroy();
  await server?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('buckets', () => {
  it('creates, lists, heads, locates and deletes a bucket', async () => {
    const b = name();
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((x) => x.Name)).toContain(b);
    expect(list.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    const head = await s3.send(new HeadBucketCommand({ Bucket: b }));
    expect(head.BucketRegion).toBe('us-east-1');
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: b }));
    expect(loc.LocationConstraint ?? '').toBe('');
    const ver = await s3.send(new GetBucketVersioningCommand({ Bucket: b }));
    expect(ver.Status).toBeUndefined();
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
    await expect(s3.send(new HeadBucketCommand({ Bucket: b }))).rejects.toBeInstanceOf(NotFound);
  });

  it('answers 200 for re-creating an own bucket in us-east-1 and BucketAlreadyOwnedByYou elsewhere', async () => {
    const b = name();
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const eu = new S3Client({ ...sdkClientConfig(server.url), region: 'eu-west-1', forcePathStyle: true });
    const e = await expectS3Error(
      eu.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
      'BucketAlreadyOwnedByYou',
      409,
    );
    expect(e).toBeInstanceOf(BucketAlreadyOwnedByYou);
    eu.destroy();
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
  });

  it('rejects invalid bucket names and refuses to delete a non-empty bucket', async () => {
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName', 400);
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: '192.168.1.1' })), 'InvalidBucketName', 400);
    const b = name();
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'x' }));
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: b })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
    const e = await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: b })), 'NoSuchBucket', 404);
    expect(e).toBeInstanceOf(NoSuchBucket);
  });
});

describe('objects', () => {
  let b: string;
  beforeAll(async () => {
    b = name('obj');
    await s3.send(new CreateBucketCommand({ Bucket: b }));
  });

  it('puts and gets an object with metadata, content headers and a verified CRC32 checksum', async () => {
    const body = randomBytes(300_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: b,
        Key: 'dir/file.bin',
        Body: body,
        ContentType: 'application/x-test',
        ContentDisposition: 'attachment; filename="f.bin"',
        CacheControl: 'max-age=60',
        Metadata: { owner: 'me', 'Mixed-Case': 'V' },
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(put.ChecksumCRC32).toBeTruthy();
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'dir/file.bin', ChecksumMode: 'ENABLED' }));
    expect(got.ContentType).toBe('application/x-test');
    expect(got.ContentDisposition).toBe('attachment; filename="f.bin"');
    expect(got.CacheControl).toBe('max-age=60');
    expect(got.Metadata).toEqual({ owner: 'me', 'mixed-case': 'V' });
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(got.ContentLength).toBe(body.length);
    expect(got.LastModified).toBeInstanceOf(Date);
    expect((await bytesOf(got.Body)).equals(body)).toBe(true);
  });

  it('streams a file body (aws-chunked with a trailer) and stores the decoded bytes', async () => {
    const file = join(scratch, 'stream.bin');
    // Over 16 MiB: the MD5 for the ETag is computed on a worker thread.
    const data = randomBytes(20 * 1024 * 1024 + 17);
    writeFileSync(file, data);
    const put = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'streamed', Body: createReadStream(file), ContentLength: data.length }));
    expect(put.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'streamed' }));
    expect((await bytesOf(got.Body)).equals(data)).toBe(true);
  });

  it('serves byte ranges with 206 and answers InvalidRange 416 beyond the end', async () => {
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'range', Body: '0123456789' }));
    const r1 = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'range', Range: 'bytes=2-5' }));
    expect(r1.$metadata.httpStatusCode).toBe(206);
    expect(r1.ContentRange).toBe('bytes 2-5/10');
    expect((await bytesOf(r1.Body)).toString()).toBe('2345');
    const r2 = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'range', Range: 'bytes=-3' }));
    expect((await bytesOf(r2.Body)).toString()).toBe('789');
    const r3 = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'range', Range: 'bytes=7-' }));
    expect((await bytesOf(r3.Body)).toString()).toBe('789');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: b, Key: 'range', Range: 'bytes=10-20' })), 'InvalidRange', 416);
  });

  it('reports NoSuchKey on GET and NotFound on HEAD of a missing key', async () => {
    const e = await expectS3Error(s3.send(new GetObjectCommand({ Bucket: b, Key: 'nope' })), 'NoSuchKey', 404);
    expect(e).toBeInstanceOf(NoSuchKey);
    await expect(s3.send(new HeadObjectCommand({ Bucket: b, Key: 'nope' }))).rejects.toBeInstanceOf(NotFound);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: name('missing'), Key: 'x' })), 'NoSuchBucket', 404);
  });

  it('honours If-None-Match / If-Match on GET and conditional PUT', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'cond', Body: 'v1' }));
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: b, Key: 'cond', IfMatch: '"nope"' })), 'PreconditionFailed', 412);
    const notModified = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'cond', IfNoneMatch: put.ETag })).catch((e: S3ServiceException) => e);
    expect((notModified as S3ServiceException).$metadata.httpStatusCode).toBe(304);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: b, Key: 'cond', Body: 'v2', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'cond', IfMatch: put.ETag }));
    expect((await bytesOf(got.Body)).toString()).toBe('v1');
  });

  it('rejects a body whose checksum does not match with BadDigest and keeps the old object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'digest', Body: 'original' }));
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: b, Key: 'digest', Body: 'changed', ChecksumCRC32: 'AAAAAA==' })),
      'BadDigest',
      400,
    );
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: b, Key: 'digest', Body: 'changed', ContentMD5: createHash('md5').update('other').digest('base64') })),
      'BadDigest',
      400,
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'digest' }));
    expect((await bytesOf(got.Body)).toString()).toBe('original');
  });

  it('checks a hex x-amz-content-sha256 against the body (XAmzContentSHA256Mismatch) and keeps the old object', async () => {
    const url = `${server.url}/${b}/signed-payload`;
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect((await fetch(url, { method: 'PUT', body: 'original', headers: { 'x-amz-content-sha256': sha('original') } })).status).toBe(200);
    const bad = await fetch(url, { method: 'PUT', body: 'swapped', headers: { 'x-amz-content-sha256': sha('original') } });
    expect(bad.status).toBe(400);
    const xml = await bad.text();
    expect(xml).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(xml).toContain(`<S3ComputedContentSHA256>${sha('swapped')}</S3ComputedContentSHA256>`);
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'signed-payload' }));
    expect((await bytesOf(got.Body)).toString()).toBe('original');
  });

  it('copies objects (url-encoded source, COPY and REPLACE directives)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'src dir/ü+.txt', Body: 'copy me', Metadata: { a: '1' }, ContentType: 'text/plain' }));
    const c1 = await s3.send(
      new CopyObjectCommand({ Bucket: b, Key: 'dst/copy.txt', CopySource: `${b}/${encodeURIComponent('src dir/ü+.txt')}` }),
    );
    expect(c1.CopyObjectResult?.ETag).toBe(`"${createHash('md5').update('copy me').digest('hex')}"`);
    const g1 = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'dst/copy.txt' }));
    expect(g1.Metadata).toEqual({ a: '1' });
    expect(g1.ContentType).toBe('text/plain');
    expect((await bytesOf(g1.Body)).toString()).toBe('copy me');
    await s3.send(
      new CopyObjectCommand({
        Bucket: b,
        Key: 'dst/copy.txt',
        CopySource: `/${b}/dst/copy.txt`,
        MetadataDirective: 'REPLACE',
        Metadata: { b: '2' },
        ContentType: 'text/x-new',
      }),
    );
    const g2 = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'dst/copy.txt' }));
    expect(g2.Metadata).toEqual({ b: '2' });
    expect(g2.ContentType).toBe('text/x-new');
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: b, Key: 'dst/copy.txt', CopySource: `${b}/dst/copy.txt` })), 'InvalidRequest', 400);
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: b, Key: 'x', CopySource: `${b}/missing` })), 'NoSuchKey', 404);
  });

  it('deletes many objects at once, quietly or not', async () => {
    for (const k of ['d/1', 'd/2', 'd/3']) await s3.send(new PutObjectCommand({ Bucket: b, Key: k, Body: k }));
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/2' }, { Key: 'd/none' }] } }));
    expect(r.Deleted?.map((d) => d.Key).sort()).toEqual(['d/1', 'd/2', 'd/none']);
    const q = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'd/3' }], Quiet: true } }));
    expect(q.Deleted ?? []).toEqual([]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'd/' }));
    expect(left.KeyCount).toBe(0);
  });
});

describe('listing', () => {
  let b: string;
  // UTF-8 byte order: 'z' (0x7a) sorts before 'é' (0xc3 0xa9).
  const keys = ['a', 'a/b/c', 'a/b/d', 'a/e', 'b/1', 'b/2', 'c', 'z/ 1+2', 'é'];
  beforeAll(async () => {
    b = name('list');
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: b, Key: k, Body: k }));
  });

  it('lists in UTF-8 binary order with prefix and delimiter', async () => {
    const all = await s3.send(new ListObjectsV2Command({ Bucket: b }));
    expect(all.Contents?.map((c) => c.Key)).toEqual(keys);
    expect(all.KeyCount).toBe(keys.length);
    const top = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '/' }));
    expect(top.Contents?.map((c) => c.Key)).toEqual(['a', 'c', 'é']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'z/']);
    const sub = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'a/', Delimiter: '/' }));
    expect(sub.Contents?.map((c) => c.Key)).toEqual(['a/e']);
    expect(sub.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/b/']);
  });

  it('pages with continuation tokens, start-after and max-keys', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: b, MaxKeys: 2, ContinuationToken: token, Delimiter: '/' }));
      seen.push(...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
      expect(r.KeyCount).toBeLessThanOrEqual(2);
      token = r.NextContinuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['a', 'a/', 'b/', 'c', 'z/', 'é'].sort());
    const after = await s3.send(new ListObjectsV2Command({ Bucket: b, StartAfter: 'b/1' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['b/2', 'c', 'z/ 1+2', 'é']);
  });

  it('lists v1 with marker and NextMarker under a delimiter', async () => {
    const p1 = await s3.send(new ListObjectsCommand({ Bucket: b, Delimiter: '/', MaxKeys: 2 }));
    expect(p1.IsTruncated).toBe(true);
    expect(p1.NextMarker).toBe('a/');
    const p2 = await s3.send(new ListObjectsCommand({ Bucket: b, Delimiter: '/', Marker: p1.NextMarker, MaxKeys: 2 }));
    expect([...(p2.Contents ?? []).map((c) => c.Key), ...(p2.CommonPrefixes ?? []).map((p) => p.Prefix)].sort()).toEqual(['b/', 'c']);
  });
});

describe('multipart', () => {
  let b: string;
  beforeAll(async () => {
    b = name('mp');
    await s3.send(new CreateBucketCommand({ Bucket: b }));
  });

  it('uploads 50 MB with lib-storage and downloads it byte-identical', async () => {
    const file = join(scratch, 'big.bin');
    const data = randomBytes(50 * 1024 * 1024);
    writeFileSync(file, data);
    const up = new Upload({ client: s3, params: { Bucket: b, Key: 'big/file.bin', Body: createReadStream(file) }, partSize: 8 * 1024 * 1024 });
    const res = await up.done();
    expect(res.ETag).toMatch(/^"[0-9a-f]{32}-7"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'big/file.bin', ChecksumMode: 'ENABLED' }));
    expect(got.ContentLength).toBe(data.length);
    const back = await bytesOf(got.Body);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('enforces EntityTooSmall, InvalidPart, InvalidPartOrder, ListParts, Abort, and answers a retried Complete as the first', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp' }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId, PartNumber: 2, Body: Buffer.alloc(1024, 2) }));
    const parts = await s3.send(new ListPartsCommand({ Bucket: b, Key: 'mp', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 1024, p1.ETag],
      [2, 1024, p2.ETag],
    ]);
    const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId, MultipartUpload: { Parts } }));
    await expectS3Error(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }]), 'EntityTooSmall', 400);
    await expectS3Error(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }]), 'InvalidPartOrder', 400);
    await expectS3Error(complete([{ PartNumber: 1, ETag: p2.ETag }]), 'InvalidPart', 400);
    // A single small part is a valid (last) part.
    const done = await complete([{ PartNumber: 2, ETag: p2.ETag }]);
    expect(done.ETag).toBe(`"${createHash('md5').update(Buffer.from(p2.ETag!.slice(1, -1), 'hex')).digest('hex')}-1"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'mp' }));
    expect((await bytesOf(got.Body)).equals(Buffer.alloc(1024, 2))).toBe(true);
    // A retried Complete (SDKs retry one whose answer timed out) answers as the first did (issue #18 item 2).
    const again = await complete([{ PartNumber: 2, ETag: p2.ETag }]);
    expect(again.ETag).toBe(done.ETag);

    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp2' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: b, Key: 'mp2', UploadId: second.UploadId }));
    const e = await expectS3Error(s3.send(new ListPartsCommand({ Bucket: b, Key: 'mp2', UploadId: second.UploadId })), 'NoSuchUpload', 404);
    expect(e).toBeInstanceOf(NoSuchUpload);
  });
});

describe('wire details', () => {
  it('serves virtual-hosted style requests (bucket.localhost and bucket.s3.localhost)', async () => {
    const b = name('vh');
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const port = new URL(server.url).port;
    const send = (host: string, method: string, path: string, body?: string) =>
      new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port, method, path, headers: { host } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        });
        r.on('error', reject);
        r.end(body);
      });
    const put = await send(`${b}.localhost:${port}`, 'PUT', '/v/key.txt', 'hello vhost');
    expect(put.status).toBe(200);
    expect(put.headers['x-amz-request-id']).toBeTruthy();
    expect(put.headers['x-amz-id-2']).toBeTruthy();
    const get = await send(`${b}.s3.localhost:${port}`, 'GET', '/v/key.txt');
    expect(get.body).toBe('hello vhost');
    const list = await send(`${b}.localhost`, 'GET', '/?list-type=2');
    expect(list.body).toContain('<Key>v/key.txt</Key>');
    const missing = await send(`${b}.localhost`, 'GET', '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/<Code>NoSuchKey<\/Code>.*<Resource>\/[^<]+\/nope<\/Resource><RequestId>[^<]+<\/RequestId>/);

    // The SDK itself in virtual-host mode: it addresses bucket.localhost; glibc does not resolve
    // *.localhost, so connect to 127.0.0.1 while keeping the signed Host header.
    const vs3 = new S3Client({ ...sdkClientConfig(`http://localhost:${port}`), forcePathStyle: false });
    let sawHost = '';
    vs3.middlewareStack.add(
      (next) => async (args) => {
        const r = args.request as { hostname: string; headers: Record<string, string> };
        sawHost = r.headers['host'] ?? r.hostname;
        r.headers['host'] = `${r.hostname}:${port}`;
        r.hostname = '127.0.0.1';
        return next(args);
      },
      { step: 'deserialize', name: 'connectToLoopback' },
    );
    const got = await vs3.send(new GetObjectCommand({ Bucket: b, Key: 'v/key.txt' }));
    expect((await bytesOf(got.Body)).toString()).toBe('hello vhost');
    expect(sawHost).toContain(`${b}.localhost`);
    vs3.destroy();
    const notImpl = await send('localhost', 'GET', `/${b}?logging`);
    expect(notImpl.status).toBe(501);
    const notAllowed = await send('localhost', 'PATCH', `/${b}/k`);
    expect(notAllowed.status).toBe(405);
  });
});

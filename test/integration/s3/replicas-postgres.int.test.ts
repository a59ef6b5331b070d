/**
 * Issue #15: several replicas share one object store — object metadata in one PostgreSQL
 * (SLIPWAY_DATABASE_URL), bytes in one foreign S3 store (SLIPWAY_OBJECT_STORE_URL, moto here).
 * Two whole servers, the JS SDK talking to each: what one writes the other reads, lists, copies,
 * completes and deletes, and concurrent writes of one key from both leave one object and one blob.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, usePostgres } from '../../helpers/postgres.js';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function bytesOf(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

describe.skipIf(postgresUnavailable())('two replicas on one PostgreSQL and one foreign object store', () => {
  const postgres = usePostgres();
  let databaseUrl: string;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  let s3a: S3Client;
  let s3b: S3Client;

  beforeAll(async () => {
    databaseUrl = await postgres.freshDatabase();
    a = await startTestServer({ databaseUrl, objectStore: 'moto' });
    b = await startTestServer({ databaseUrl, foreign: a.foreign! });
    s3a = new S3Client({ ...sdkClientConfig(a.url), forcePathStyle: true });
    s3b = new S3Client({ ...sdkClientConfig(b.url), forcePathStyle: true });
  });
  afterAll(async () => {
    s3a?.destroy();
    s3b?.destroy();
    // b shares a's moto: close b without stopping it, then a's cleanup stops it.
    if (b) {
      await b.close();
      rmSync(b.home, { recursive: true, force: true });
    }
    await a?.cleanup();
  });

  const blobCount = async () => (await a!.foreign!.moto.list(a!.foreign!.settings.bucket)).length;

  it('serves on one replica what the other wrote: objects, listings, copies, multipart, deletes', async () => {
    await s3a.send(new CreateBucketCommand({ Bucket: 'shared' }));
    const small = randomBytes(2000);
    await s3a.send(new PutObjectCommand({ Bucket: 'shared', Key: 'data/é-small.bin', Body: small }));
    expect(md5(await bytesOf((await s3b.send(new GetObjectCommand({ Bucket: 'shared', Key: 'data/é-small.bin' }))).Body))).toBe(md5(small));

    await s3b.send(new CopyObjectCommand({ Bucket: 'shared', Key: 'data/copy.bin', CopySource: 'shared/data/%C3%A9-small.bin' }));
    const up = await s3a.send(new CreateMultipartUploadCommand({ Bucket: 'shared', Key: 'data/mp.bin' }));
    const p1 = randomBytes(5 * MiB);
    const p2 = randomBytes(1234);
    const e1 = (await s3a.send(new UploadPartCommand({ Bucket: 'shared', Key: 'data/mp.bin', UploadId: up.UploadId, PartNumber: 1, Body: p1 }))).ETag!;
    const e2 = (await s3b.send(new UploadPartCommand({ Bucket: 'shared', Key: 'data/mp.bin', UploadId: up.UploadId, PartNumber: 2, Body: p2 }))).ETag!;
    await s3b.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'shared',
        Key: 'data/mp.bin',
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] },
      }),
    );
    expect(md5(await bytesOf((await s3a.send(new GetObjectCommand({ Bucket: 'shared', Key: 'data/mp.bin' }))).Body))).toBe(md5(Buffer.concat([p1, p2])));

    const listed = await s3a.send(new ListObjectsV2Command({ Bucket: 'shared', Prefix: 'data/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['data/copy.bin', 'data/mp.bin', 'data/é-small.bin']);
    // The rows are PostgreSQL's, not either replica's SQLite file.
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      expect((await c.query("SELECT count(*)::int AS n FROM s3_objects WHERE bucket = 'shared'")).rows[0].n).toBe(3);
    } finally {
      await c.end();
    }

    await s3b.send(new DeleteObjectCommand({ Bucket: 'shared', Key: 'data/copy.bin' }));
    await expect(s3a.send(new HeadObjectCommand({ Bucket: 'shared', Key: 'data/copy.bin' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect(await blobCount()).toBe(2);
  });

  it('leaves one object and one blob when both replicas write one key at once', async () => {
    await s3a.send(new CreateBucketCommand({ Bucket: 'contended' }));
    const bodies = Array.from({ length: 16 }, (_, i) => Buffer.from(`version ${i} `.repeat(100)));
    const before = await blobCount();
    await Promise.all(bodies.map((body, i) => (i % 2 ? s3a : s3b).send(new PutObjectCommand({ Bucket: 'contended', Key: 'k', Body: body }))));
    const got = await s3b.send(new GetObjectCommand({ Bucket: 'contended', Key: 'k' }));
    const bytes = await bytesOf(got.Body);
    expect(bodies.map(md5)).toContain(md5(bytes));
    expect(got.ETag).toBe(`"${md5(bytes)}"`);
    expect(await blobCount()).toBe(before + 1);
  });
});

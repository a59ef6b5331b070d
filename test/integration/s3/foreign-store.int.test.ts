/**
 * SLIPWAY_OBJECT_STORE_URL (docs/cluster.md "Objects on any S3"): object bytes in a foreign S3
 * store — moto in server mode, looked at directly with its own client — while keys, ETags and
 * the rest stay in Slipway's database. What the store holds, what a store that refuses or
 * disappears mid-way does to requests, startup checks, and the sweep of crash leftovers.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSlipway } from '../../../src/server/app.js';
import { loadConfig } from '../../../src/platform/config.js';
import { MOTO_KEYS, startMoto, type MotoServer } from '../../helpers/moto.js';
import { until } from '../../helpers/poll.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';

const BLOB_KEY = /^slipway\/objects\/[0-9a-f]{32}$/;
const MiB = 1024 * 1024;
const name = (p = 'b') => `${p}-${randomBytes(5).toString('hex')}`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function bytesOf(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('bytes in a foreign S3 store', () => {
  let server: TestServer;
  let s3: S3Client;
  beforeAll(async () => {
    server = await startTestServer({ objectStore: 'moto' });
    s3 = new S3Client({ ...sdkClientConfig(server.url), forcePathStyle: true });
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.cleanup();
  });
  const blobKeys = async () => {
    const { moto, settings } = server.foreign!;
    return (await moto.list(settings.bucket)).map((o) => o.Key!);
  };

  it('keeps each object as one foreign object named by a random id under the prefix, none in the data directory', async () => {
    const b = name();
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const small = randomBytes(1000);
    const big = randomBytes(12 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'models/secret-name.tar.gz', Body: small }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'big.bin', Body: big }));
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp.bin' }));
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
    const etags: string[] = [];
    for (const [i, p] of parts.entries()) {
      etags.push((await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp.bin', UploadId: up.UploadId, PartNumber: i + 1, Body: p }))).ETag!);
    }
    expect((await blobKeys()).length).toBe(5); // two objects and three parts
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: b,
        Key: 'mp.bin',
        UploadId: up.UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'copy.bin', CopySource: `${b}/big.bin` }));

    const keys = await blobKeys();
    expect(keys).toHaveLength(4); // part blobs are gone once composed
    for (const k of keys) expect(k).toMatch(BLOB_KEY);
    expect(keys.join(' ')).not.toContain('secret');
    expect(existsSync(join(server.home, 'objects', 'blobs'))).toBe(false);

    // What moto holds is exactly what Slipway serves, and ranges are ranged GETs there.
    const { moto, settings } = server.foreign!;
    const stored = await Promise.all(keys.map(async (k) => md5(await bytesOf((await moto.s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: k }))).Body))));
    const whole = Buffer.concat(parts);
    expect(stored.sort()).toEqual([md5(small), md5(big), md5(whole), md5(big)].sort());
    const range = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'mp.bin', Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` }));
    expect((await bytesOf(range.Body)).equals(whole.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
    const part2 = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'mp.bin', PartNumber: 2 }));
    expect((await bytesOf(part2.Body)).equals(parts[1]!)).toBe(true);
    expect(md5(await bytesOf((await s3.send(new GetObjectCommand({ Bucket: b, Key: 'copy.bin' }))).Body))).toBe(md5(big));

    // Replacing and deleting remove the foreign objects; an aborted upload leaves no parts.
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'big.bin', Body: Buffer.from('now small') }));
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'copy.bin' }));
    const aborted = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'gone.bin' }));
    await s3.send(new UploadPartCommand({ Bucket: b, Key: 'gone.bin', UploadId: aborted.UploadId, PartNumber: 1, Body: randomBytes(100) }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: b, Key: 'gone.bin', UploadId: aborted.UploadId }));
    expect(await blobKeys()).toHaveLength(3);
    const after = await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket }));
    expect(after.Uploads ?? []).toEqual([]);

    // A body refused after it was stored (a wrong Content-MD5: BadDigest) leaves no blob either.
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/${b}/bad-digest`, { method: 'PUT', headers: { 'content-md5': createHash('md5').update('other').digest('base64') } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(randomBytes(10 * MiB));
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('<Code>BadDigest</Code>');
    expect(await blobKeys()).toHaveLength(3);
  });

  it('keeps serving an object while another request replaces it (a vanished blob means a newer row)', async () => {
    const b = name();
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v0' }));
    const reads: Promise<string>[] = [];
    for (let i = 1; i <= 15; i++) {
      await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: `v${i}` }));
      reads.push(s3.send(new GetObjectCommand({ Bucket: b, Key: 'k' })).then(async (r) => (await bytesOf(r.Body)).toString()));
    }
    for (const v of await Promise.all(reads)) expect(v).toMatch(/^v\d+$/);
  });
});

describe('a foreign store that refuses or disappears', () => {
  it('answers 503 ServiceUnavailable when the store dies mid-upload and mid-read, in bounded time, and stores no object', async () => {
    const server = await startTestServer({ objectStore: 'moto' });
    cleanups.push(() => server.cleanup());
    const s3 = new S3Client({ ...sdkClientConfig(server.url), forcePathStyle: true, maxAttempts: 1 });
    cleanups.push(async () => s3.destroy());
    const { moto, settings } = server.foreign!;
    const b = name();
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'kept', Body: 'kept bytes' }));

    // A 12 MiB PUT: the first 9 MiB go out (lib-storage starts a multipart upload in moto), then
    // moto is killed, then the rest is sent.
    const total = 12 * MiB;
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/${b}/half`, { method: 'PUT', headers: { 'content-length': total } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(randomBytes(9 * MiB));
      void until('a multipart upload in moto', async () => ((await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket }))).Uploads ?? []).length > 0, {
        timeoutMs: 20_000,
        everyMs: 50,
      })
        .then(() => moto.kill())
        .then(() => req.end(randomBytes(total - 9 * MiB)), reject);
    });
    const started = Date.now();
    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.body).toContain('<Code>ServiceUnavailable</Code>');
    expect(Date.now() - started).toBeLessThan(30_000);

    // Reads of stored objects fail the same way while the store is gone: typed, never a hang.
    const t0 = Date.now();
    const err = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'kept' })).then(
      () => undefined,
      (e: unknown) => e as { name: string; $metadata: { httpStatusCode: number } },
    );
    expect(err?.name).toBe('ServiceUnavailable');
    expect(err?.$metadata.httpStatusCode).toBe(503);
    expect(Date.now() - t0).toBeLessThan(20_000);

    // No object was half-created: the metadata says so with the store still down.
    await expect(s3.send(new HeadObjectCommand({ Bucket: b, Key: 'half' }))).rejects.toMatchObject({ name: 'NotFound' });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: b }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['kept']);
  });

  it('answers 500 InternalError when the store refuses a write (its bucket is gone) and keeps no row', async () => {
    const server = await startTestServer({ objectStore: 'moto' });
    cleanups.push(() => server.cleanup());
    const s3 = new S3Client({ ...sdkClientConfig(server.url), forcePathStyle: true, maxAttempts: 1 });
    cleanups.push(async () => s3.destroy());
    const { moto, settings } = server.foreign!;
    const b = name();
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await moto.s3.send(new DeleteBucketCommand({ Bucket: settings.bucket }));
    await expect(s3.send(new PutObjectCommand({ Bucket: b, Key: 'refused', Body: 'x' }))).rejects.toMatchObject({
      name: 'InternalError',
      $metadata: { httpStatusCode: 500 },
    });
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp' }));
    await expect(s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: 'p' }))).rejects.toMatchObject({
      name: 'InternalError',
    });
    expect((await s3.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount).toBe(0);
    await expect(s3.send(new HeadObjectCommand({ Bucket: b, Key: 'refused' }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});

const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** A TCP relay in front of moto that can stop answering (accepts, then never replies) or throttle every request (503 SlowDown). */
async function relay(target: number): Promise<{ port: number; silence(): void; throttle(): void; close(): Promise<void> }> {
  let silent = false;
  let throttled = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (silent) return;
    if (throttled) {
      client.end(`HTTP/1.1 503 Slow Down\r\ncontent-type: application/xml\r\ncontent-length: ${SLOW_DOWN.length}\r\nconnection: close\r\n\r\n${SLOW_DOWN}`);
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    silence() {
      silent = true;
      for (const s of sockets) s.destroy();
    },
    throttle() {
      throttled = true;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a foreign store that throttles, stops answering or is left mid-way', () => {
  it('answers 503 within the timeout when the store accepts connections and never replies; HEAD needs only metadata', async () => {
    const moto = await startMoto();
    cleanups.push(() => moto.stop());
    const hole = await relay(moto.port);
    cleanups.push(() => hole.close());
    const settings = { ...(await moto.store()), endpoint: `http://127.0.0.1:${hole.port}`, connectTimeoutMs: 1000, requestTimeoutMs: 1000 };
    const h = mkdtempSync(join(tmpdir(), 'slipway-foreign-'));
    cleanups.push(async () => rmSync(h, { recursive: true, force: true }));
    const srv = await startSlipway({ home: h, port: 0, objectStore: settings });
    cleanups.push(() => srv.close());
    const s3 = new S3Client({ ...sdkClientConfig(srv.url), forcePathStyle: true, maxAttempts: 1 });
    cleanups.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt1' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt1', Key: 'kept', Body: 'kept' }));
    hole.silence();
    for (const op of [
      () => s3.send(new PutObjectCommand({ Bucket: 'bkt1', Key: 'new', Body: 'x' })),
      () => s3.send(new GetObjectCommand({ Bucket: 'bkt1', Key: 'kept' })),
    ]) {
      const t0 = Date.now();
      await expect(op()).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      expect(Date.now() - t0).toBeLessThan(15_000);
    }
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'bkt1', Key: 'kept' }))).ContentLength).toBe(4);
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'bkt1', Key: 'new' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('answers 503 SlowDown when the store throttles, and stores nothing', async () => {
    const moto = await startMoto();
    cleanups.push(() => moto.stop());
    const gate = await relay(moto.port);
    cleanups.push(() => gate.close());
    const settings = { ...(await moto.store()), endpoint: `http://127.0.0.1:${gate.port}` };
    const h = mkdtempSync(join(tmpdir(), 'slipway-foreign-'));
    cleanups.push(async () => rmSync(h, { recursive: true, force: true }));
    const srv = await startSlipway({ home: h, port: 0, objectStore: settings });
    cleanups.push(() => srv.close());
    const s3 = new S3Client({ ...sdkClientConfig(srv.url), forcePathStyle: true, maxAttempts: 1 });
    cleanups.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt0' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt0', Key: 'kept', Body: 'kept' }));
    gate.throttle();
    await expect(s3.send(new PutObjectCommand({ Bucket: 'bkt0', Key: 'new', Body: 'x' }))).rejects.toMatchObject({
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'bkt0', Key: 'kept' }))).rejects.toMatchObject({ name: 'SlowDown' });
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'bkt0', Key: 'new' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('leaves no foreign object or unfinished upload when the client goes away mid-PUT', async () => {
    const server = await startTestServer({ objectStore: 'moto' });
    cleanups.push(() => server.cleanup());
    const { moto, settings } = server.foreign!;
    const s3 = new S3Client({ ...sdkClientConfig(server.url), forcePathStyle: true });
    cleanups.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt2' }));
    const req = request(`${server.url}/bkt2/cut`, { method: 'PUT', headers: { 'content-length': 24 * MiB } });
    req.on('error', () => undefined);
    req.write(randomBytes(12 * MiB));
    const uploads = async () => (await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket }))).Uploads ?? [];
    await until('a multipart upload in moto', async () => (await uploads()).length > 0, { timeoutMs: 20_000, everyMs: 50 });
    req.destroy();
    await until('the foreign upload to be aborted', async () => (await uploads()).length === 0, { timeoutMs: 20_000 });
    expect(await moto.list(settings.bucket)).toEqual([]);
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'bkt2', Key: 'cut' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('cuts a GET whose store dies mid-stream and keeps serving', async () => {
    const server = await startTestServer({ objectStore: 'moto' });
    cleanups.push(() => server.cleanup());
    const s3 = new S3Client({ ...sdkClientConfig(server.url), forcePathStyle: true, maxAttempts: 1 });
    cleanups.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt3' }));
    const size = 48 * MiB;
    await s3.send(new PutObjectCommand({ Bucket: 'bkt3', Key: 'big', Body: randomBytes(size) }));
    const received = await new Promise<number>((resolve) => {
      request(`${server.url}/bkt3/big`, (res) => {
        let n = 0;
        res.once('data', (d: Buffer) => {
          n += d.length;
          res.pause();
          void server.foreign!.moto.kill().then(() => res.resume());
        });
        res.on('data', (d: Buffer) => (n += d.length));
        res.on('error', () => resolve(n));
        res.on('aborted', () => resolve(n));
        res.on('end', () => resolve(n));
      }).end();
    });
    expect(received).toBeLessThan(size);
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'bkt3', Key: 'big' }))).ContentLength).toBe(size);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'bkt3', Key: 'big' }))).rejects.toMatchObject({ name: 'ServiceUnavailable' });
  });
});

describe('startup and leftovers', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  const home = () => {
    const h = mkdtempSync(join(tmpdir(), 'slipway-foreign-'));
    cleanups.push(async () => rmSync(h, { recursive: true, force: true }));
    return h;
  };

  it('refuses to start, saying why, when the store cannot be reached or its bucket is missing', async () => {
    const settings = await moto.store();
    const h = home();
    await expect(startSlipway({ home: h, port: 0, objectStore: { ...settings, endpoint: 'http://127.0.0.1:9' } })).rejects.toThrow(
      /SLIPWAY_OBJECT_STORE_URL s3:\/\/foreign-\w+\/slipway\/objects at http:\/\/127\.0\.0\.1:9: the store cannot be reached/,
    );
    await expect(startSlipway({ home: h, port: 0, objectStore: { ...settings, bucket: 'no-such-bucket-here' } })).rejects.toThrow(
      /the bucket no-such-bucket-here does not exist/,
    );
    expect(() => loadConfig({ home: h }, { SLIPWAY_OBJECT_STORE_URL: 'http://bucket/x' })).toThrow(/must look like s3:\/\/bucket/);
    expect(() => loadConfig({ home: h }, { SLIPWAY_OBJECT_STORE_URL: 's3://bkt/p', AWS_ACCESS_KEY_ID: 'only-half' })).toThrow(/set both AWS_ACCESS_KEY_ID/);
    // The documented variables, read once: endpoint, path style, prefix, region, credentials.
    const cfg = loadConfig(
      { home: h },
      { SLIPWAY_OBJECT_STORE_URL: 's3://bkt/a/b/', AWS_ENDPOINT_URL_S3: moto.url, AWS_ENDPOINT_URL: 'http://ignored:1', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' },
    );
    expect(cfg.objectStore).toMatchObject({ kind: 's3', bucket: 'bkt', prefix: 'a/b/', endpoint: moto.url, region: 'eu-west-1', forcePathStyle: true, credentials: { accessKeyId: 'k' } });
    expect(loadConfig({ home: h }, {}).objectStore).toEqual({ kind: 'directory' });
    expect(existsSync(join(h, 'objects', 'blobs'))).toBe(false);
  });

  it('sweeps blobs no row names and unfinished uploads at startup, keeping the objects it serves', async () => {
    const settings = { ...(await moto.store()), sweepGraceMs: 0 };
    const h = home();
    let srv = await startSlipway({ home: h, port: 0, objectStore: settings });
    const s3 = new S3Client({ ...sdkClientConfig(srv.url), forcePathStyle: true });
    cleanups.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
    await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'k', Body: 'served' }));
    await srv.close();
    // What a crash leaves: a blob written but never committed, and an upload cut short.
    const orphan = `${settings.prefix}${randomBytes(16).toString('hex')}`;
    await moto.s3.send(new PutObjectCommand({ Bucket: settings.bucket, Key: orphan, Body: 'orphan' }));
    await moto.s3.send(new CreateMultipartUploadCommand({ Bucket: settings.bucket, Key: `${settings.prefix}${randomBytes(16).toString('hex')}` }));
    await moto.s3.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}not-a-blob.txt`, Body: 'foreign' }));
    expect(await moto.list(settings.bucket)).toHaveLength(3);

    srv = await startSlipway({ home: h, port: 0, objectStore: settings });
    cleanups.push(() => srv.close());
    await until('the startup sweep', async () => (await moto.list(settings.bucket)).length === 2, { timeoutMs: 20_000 });
    const left = (await moto.list(settings.bucket)).map((o) => o.Key!);
    expect(left).not.toContain(orphan);
    expect(left).toContain(`${settings.prefix}not-a-blob.txt`);
    await until('the aborted upload', async () => ((await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket }))).Uploads ?? []).length === 0, {
      timeoutMs: 20_000,
    });
    const s3b = new S3Client({ ...sdkClientConfig(srv.url), forcePathStyle: true });
    cleanups.push(async () => s3b.destroy());
    expect((await bytesOf((await s3b.send(new GetObjectCommand({ Bucket: 'kept', Key: 'k' }))).Body)).toString()).toBe('served');
    expect(existsSync(join(h, 'objects', 'blobs'))).toBe(false);
  });

  it('after kill -9 mid-upload, the restarted server shows the old object and the next sweep clears the foreign upload', async () => {
    const settings = await moto.store();
    const h = home();
    const env = {
      SLIPWAY_OBJECT_STORE_URL: settings.url,
      AWS_ENDPOINT_URL_S3: moto.url,
      AWS_ACCESS_KEY_ID: MOTO_KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_KEYS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      SLIPWAY_OBJECT_STORE_SWEEP_GRACE_SECONDS: '0',
    };
    let proc: ServerProcess = await startServerProcess(h, undefined, env);
    cleanups.push(() => proc.stop());
    const s3 = new S3Client({ ...sdkClientConfig(proc.url), forcePathStyle: true });
    cleanups.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'big', Body: 'old version' }));
    const req = request(`${proc.url}/crash/big`, { method: 'PUT', headers: { 'content-length': 64 * MiB } });
    req.on('error', () => undefined);
    req.write(randomBytes(40 * MiB));
    const uploads = async () => (await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket }))).Uploads ?? [];
    await until('a foreign multipart upload', async () => (await uploads()).length > 0, { timeoutMs: 30_000, everyMs: 50 });
    await proc.kill9();
    req.destroy();
    expect(await uploads()).toHaveLength(1); // what the crash left in the store

    proc = await startServerProcess(h, undefined, env);
    cleanups.push(() => proc.stop());
    const s3b = new S3Client({ ...sdkClientConfig(proc.url), forcePathStyle: true });
    cleanups.push(async () => s3b.destroy());
    expect((await bytesOf((await s3b.send(new GetObjectCommand({ Bucket: 'crash', Key: 'big' }))).Body)).toString()).toBe('old version');
    await until('the sweep to abort the upload', async () => (await uploads()).length === 0, { timeoutMs: 20_000 });
    expect(await moto.list(settings.bucket)).toHaveLength(1);
  });
});

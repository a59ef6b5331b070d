/**
 * Object store safety: hostile keys never touch the file system outside the blob directory,
 * a restart keeps everything, and kill -9 during a large upload leaves a consistent store.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';

async function text(body: unknown): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const client = (url: string) => new S3Client({ ...sdkClientConfig(url), forcePathStyle: true });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('object store safety', () => {
  it('stores hostile and unusual keys exactly and writes nothing outside the home directory', async () => {
    const outer = mkdtempSync(join(tmpdir(), 's3-outer-'));
    cleanups.push(() => rmSync(outer, { recursive: true, force: true }));
    const sentinel = join(outer, 'sentinel.txt');
    writeFileSync(sentinel, 'untouched');
    const home = join(outer, 'home');
    const server = await startTestServer({ home });
    cleanups.push(() => server.cleanup());
    const s3 = client(server.url);
    cleanups.push(() => s3.destroy());
    const b = `keys-${randomBytes(4).toString('hex')}`;
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const keys = [
      '../../etc/passwd',
      '../sentinel.txt',
      'a/../../b',
      '/etc/x',
      '//double//slash',
      './dot',
      'k'.repeat(1024),
      'ünï/cødé/日本語 🚀',
      'q?x=1#frag&y=%2F',
      'tab\tand\nnewline',
      '~',
    ];
    for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: b, Key: k, Body: `body of ${k}` }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: b }));
    const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(sorted);
    for (const k of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: k }));
      expect(await text(got.Body)).toBe(`body of ${k}`);
    }
    await expect(s3.send(new PutObjectCommand({ Bucket: b, Key: 'k'.repeat(1025), Body: 'x' }))).rejects.toMatchObject({
      name: 'KeyTooLongError',
    });

    // Only the database and random-named blobs exist; nothing beside the home directory changed.
    const files = filesUnder(home);
    for (const f of files) expect(f).toMatch(/^(slipway\.db(-wal|-shm)?|objects\/blobs\/[0-9a-f]{2}\/[0-9a-f]{32}|[^/]+\.(json|log|pid))$/);
    expect(files.filter((f) => f.startsWith('objects/blobs/'))).toHaveLength(keys.length);
    expect(readdirSync(outer).sort()).toEqual(['home', 'sentinel.txt']);
    expect(statSync(sentinel).size).toBe('untouched'.length);
    expect(existsSync('/etc/x')).toBe(false);
    expect(existsSync(join(dirname(home), 'b'))).toBe(false);
  });

  it('keeps buckets and objects across a restart', async () => {
    let server = await startTestServer();
    cleanups.push(() => server.cleanup());
    let s3 = client(server.url);
    const b = `restart-${randomBytes(4).toString('hex')}`;
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const big = randomBytes(2 * 1024 * 1024).toString('base64');
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'dir/a.txt', Body: 'alpha', Metadata: { m: '1' } }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'big', Body: big }));
    s3.destroy();
    server = await server.restart();
    s3 = client(server.url);
    cleanups.push(() => s3.destroy());
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: b }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['big', 'dir/a.txt']);
    const a = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'dir/a.txt' }));
    expect(a.Metadata).toEqual({ m: '1' });
    expect(await text(a.Body)).toBe('alpha');
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: b, Key: 'big' }))).Body)).toBe(big);
  });
});

describe('crash safety', () => {
  it('leaves no partial object after kill -9 during a 200 MB upload', async () => {
    const home = mkdtempSync(join(tmpdir(), 's3-crash-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    let proc: ServerProcess = await startServerProcess(home);
    cleanups.push(() => proc.stop());
    const s3 = client(proc.url);
    cleanups.push(() => s3.destroy());
    const b = `crash-${randomBytes(4).toString('hex')}`;
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'keep', Body: 'kept' }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'big', Body: 'old version' }));

    // Stream 200 MB without buffering it, and kill the server once ~60 MB reached its temp dir.
    const total = 200 * 1024 * 1024;
    const chunk = randomBytes(1024 * 1024);
    const req = request(`${proc.url}/${b}/big`, { method: 'PUT', headers: { 'content-length': total } });
    const settled = new Promise<void>((resolve) => {
      req.on('error', () => resolve());
      req.on('response', (r) => {
        r.resume();
        r.on('end', () => resolve());
      });
    });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
    const tmp = join(home, 'objects', 'tmp');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const size = existsSync(tmp) ? readdirSync(tmp).reduce((n, f) => n + statSync(join(tmp, f)).size, 0) : 0;
      if (size > 60 * 1024 * 1024) break;
      if (Date.now() > deadline) throw new Error(`upload did not progress (${size} bytes)`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await proc.kill9();
    req.destroy();
    await settled;
    expect(readdirSync(tmp).length).toBeGreaterThan(0); // the partial upload is really there

    proc = await startServerProcess(home);
    cleanups.push(() => proc.stop());
    const s3b = client(proc.url);
    cleanups.push(() => s3b.destroy());
    const listed = await s3b.send(new ListObjectsV2Command({ Bucket: b }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([
      ['big', 'old version'.length],
      ['keep', 4],
    ]);
    expect(await text((await s3b.send(new GetObjectCommand({ Bucket: b, Key: 'big' }))).Body)).toBe('old version');
    expect(readdirSync(tmp)).toEqual([]);
    const blobs = filesUnder(join(home, 'objects', 'blobs'));
    expect(blobs).toHaveLength(2);
  });
});

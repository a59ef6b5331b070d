/**
 * With authentication on, SigV4 streaming uploads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`,
 * what the Java, Go and MinIO clients send over HTTP) must carry a valid chunk signature chain and,
 * with a trailer, a valid trailer signature (issue #12 item 6). The seed request is signed by the
 * JS SDK's SignatureV4; chunks are signed here as AWS documents (pinned by the unit test against
 * AWS's worked example, src/protocol/rest-xml/aws-chunked-signed.test.ts).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const KEY = { accessKeyId: 'AKIDSTREAMING', secretAccessKey: 'streaming-secret/42' };
const EMPTY = createHash('sha256').digest('hex');

let srv: TestServer;
let s3: S3Client;
const bucket = `stream-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  srv = await startTestServer({ credentials: { [KEY.accessKeyId]: KEY.secretAccessKey } });
  s3 = new S3Client({ endpoint: srv.url, region: 'us-east-1', credentials: KEY, forcePathStyle: true });
  const signer = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
  const u = new URL(srv.url);
  const signed = await signer.sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: `/${bucket}`,
    headers: { host: u.host, 'x-amz-content-sha256': EMPTY },
  });
  const { host: _h, ...headers } = signed.headers;
  expect((await fetch(`${srv.url}/${bucket}`, { method: 'PUT', headers })).status).toBe(200);
});
afterAll(async () => {
  s3?.destroy();
  await srv?.cleanup();
});

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

interface Seed {
  headers: Record<string, string>;
  signature: string;
  amzDate: string;
}

/** Headers of a streaming PUT signed by the SDK's signer; the seed signature starts the chain. */
async function seed(key: string, mode: string, decodedLength: number, contentLength: number, extra: Record<string, string> = {}): Promise<Seed> {
  const u = new URL(srv.url);
  const signer = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
  const signed = await signer.sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: `/${bucket}/${key}`,
    headers: {
      host: u.host,
      'x-amz-content-sha256': mode,
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(decodedLength),
      'content-length': String(contentLength),
      ...extra,
    },
  });
  const headers = signed.headers as Record<string, string>;
  return { headers, signature: /Signature=([0-9a-f]{64})/.exec(headers['authorization']!)![1]!, amzDate: headers['x-amz-date']! };
}

function chunkSig(amzDate: string, previous: string, data: Buffer): string {
  const date = amzDate.slice(0, 8);
  const k = hmac(hmac(hmac(hmac(`AWS4${KEY.secretAccessKey}`, date), 'us-east-1'), 's3'), 'aws4_request');
  const sts = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, `${date}/us-east-1/s3/aws4_request`, previous, EMPTY, createHash('sha256').update(data).digest('hex')].join('\n');
  return createHmac('sha256', k).update(sts).digest('hex');
}

function trailerSig(amzDate: string, previous: string, trailer: string): string {
  const date = amzDate.slice(0, 8);
  const k = hmac(hmac(hmac(hmac(`AWS4${KEY.secretAccessKey}`, date), 'us-east-1'), 's3'), 'aws4_request');
  const sts = ['AWS4-HMAC-SHA256-TRAILER', amzDate, `${date}/us-east-1/s3/aws4_request`, previous, createHash('sha256').update(trailer).digest('hex')].join('\n');
  return createHmac('sha256', k).update(sts).digest('hex');
}

/** The framed body: each chunk with its signature line (signatures given, so tests can replay them). */
function frame(chunks: Buffer[], sigs: string[], trailer = ''): Buffer {
  const parts: Buffer[] = [];
  [...chunks, Buffer.alloc(0)].forEach((c, i) => {
    parts.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${sigs[i]}\r\n`), c, Buffer.from(c.length ? '\r\n' : ''));
  });
  parts.push(Buffer.from(trailer === '' ? '\r\n' : trailer));
  return Buffer.concat(parts);
}

function chain(s: Seed, chunks: Buffer[]): string[] {
  const sigs: string[] = [];
  let prev = s.signature;
  for (const c of [...chunks, Buffer.alloc(0)]) {
    prev = chunkSig(s.amzDate, prev, c);
    sigs.push(prev);
  }
  return sigs;
}

function send(key: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const { host: _h, ...rest } = headers;
    const req = request(`${srv.url}/${bucket}/${key}`, { method: 'PUT', headers: rest }, (res) => {
      const out: Buffer[] = [];
      res.on('data', (c: Buffer) => out.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(out).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function read(key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

const sizes = (chunks: Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD with authentication on', () => {
  it('stores a correctly chained upload', async () => {
    const chunks = [randomBytes(64 * 1024), randomBytes(100)];
    const probe = frame(chunks, chain({ headers: {}, signature: '0'.repeat(64), amzDate: '20000101T000000Z' }, chunks));
    const s = await seed('ok', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', sizes(chunks), probe.length);
    const res = await send('ok', s.headers, frame(chunks, chain(s, chunks)));
    expect(res.status, res.text).toBe(200);
    expect((await read('ok')).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('refuses other bytes under a replayed header and chunk signatures, and keeps the stored object', async () => {
    const original = [randomBytes(64 * 1024), randomBytes(100)];
    const probe = frame(original, chain({ headers: {}, signature: '0'.repeat(64), amzDate: '20000101T000000Z' }, original));
    const s = await seed('replayed', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', sizes(original), probe.length);
    const sigs = chain(s, original);
    expect((await send('replayed', s.headers, frame(original, sigs))).status).toBe(200);

    const forged = [randomBytes(64 * 1024), randomBytes(100)];
    const res = await send('replayed', s.headers, frame(forged, sigs));
    expect(res.status).toBe(403);
    expect(res.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect((await read('replayed')).equals(Buffer.concat(original))).toBe(true);

    // Chunks without signatures under a signed-streaming header are refused too.
    const bare = Buffer.from(`${(64 * 1024).toString(16)}\r\n${'a'.repeat(64 * 1024)}\r\n64\r\n${'b'.repeat(100)}\r\n0\r\n\r\n`);
    const s2 = await seed('replayed', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 64 * 1024 + 100, bare.length);
    expect((await send('replayed', s2.headers, bare)).status).toBe(403);
    expect((await read('replayed')).equals(Buffer.concat(original))).toBe(true);
  });

  it('checks the trailer signature of STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', async () => {
    const chunks = [randomBytes(5000)];
    const crc = (b: Buffer) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(b));
      return out.toString('base64');
    };
    const trailerFor = (s: Seed, sigs: string[], value: string, signWith = value) =>
      `x-amz-checksum-crc32:${value}\r\nx-amz-trailer-signature:${trailerSig(s.amzDate, sigs[sigs.length - 1]!, `x-amz-checksum-crc32:${signWith}\n`)}\r\n\r\n`;
    const dummy = { headers: {}, signature: '0'.repeat(64), amzDate: '20000101T000000Z' };
    const length = frame(chunks, chain(dummy, chunks), trailerFor(dummy, chain(dummy, chunks), crc(chunks[0]!))).length;
    const extra = { 'x-amz-trailer': 'x-amz-checksum-crc32' };

    const s = await seed('trailer', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 5000, length, extra);
    const sigs = chain(s, chunks);
    const ok = await send('trailer', s.headers, frame(chunks, sigs, trailerFor(s, sigs, crc(chunks[0]!))));
    expect(ok.status, ok.text).toBe(200);
    expect((await read('trailer')).equals(chunks[0]!)).toBe(true);

    // A trailer changed after signing (same length) is refused before its checksum is even compared.
    const s2 = await seed('trailer', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 5000, length, extra);
    const sigs2 = chain(s2, chunks);
    const other = crc(Buffer.from('something else'));
    const bad = await send('trailer', s2.headers, frame(chunks, sigs2, trailerFor(s2, sigs2, other, crc(chunks[0]!))));
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect((await read('trailer')).equals(chunks[0]!)).toBe(true);
  });
});

describe('Expect: 100-continue with authentication on', () => {
  /** The first status line the server answers to a PUT with Expect: 100-continue whose body is held back. */
  function firstStatus(headers: Record<string, string>): Promise<string> {
    const u = new URL(srv.url);
    return new Promise((resolve, reject) => {
      const sock = connect(Number(u.port), u.hostname, () => {
        const lines = Object.entries({ host: u.host, 'content-length': '1024', expect: '100-continue', ...headers }).map(([k, v]) => `${k}: ${v}`);
        sock.write(`PUT /${bucket}/held HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      });
      sock.once('data', (d: Buffer) => {
        resolve(d.toString('latin1').split('\r\n')[0]!);
        sock.destroy();
      });
      sock.on('error', reject);
      setTimeout(() => reject(new Error('no answer')), 10_000).unref();
    });
  }

  it('refuses an unsigned upload before asking for its body, and asks a signed one for it', async () => {
    expect(await firstStatus({})).toBe('HTTP/1.1 403 Forbidden');
    const u = new URL(srv.url);
    const signer = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
    const signed = await signer.sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: `/${bucket}/held`,
      headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '1024', expect: '100-continue' },
    });
    const { host: _h, 'content-length': _l, expect: _e, ...rest } = signed.headers as Record<string, string>;
    expect(await firstStatus(rest)).toBe('HTTP/1.1 100 Continue');
  });
});

/**
 * Issue #12 items 4, 9, 11 (garbage Content-Length) and 14, with real sockets against a server
 * process (so that /_slipway/health latency is measured from outside it): half-sent headers and
 * bodies are cut after their timeouts while slow but progressing uploads finish, connections beyond
 * the per-address cap are refused while other clients are served, early errors close the connection
 * instead of stalling clients that send the whole body first, JSON operations refuse what Coral
 * refuses, HTTP-level errors come in each surface's format, and health says only "ok" with auth on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorHealth, type HealthMonitor } from '../../helpers/health-monitor.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { awsEnv } from '../../helpers/server.js';

const execFileAsync = promisify(execFile);

const HEADERS_TIMEOUT_MS = 1_500;
const BODY_TIMEOUT_MS = 2_000;
const PER_CLIENT = 20;

let home: string;
let srv: ServerProcess;
let health: HealthMonitor;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'slipway-conn-'));
  srv = await startServerProcess(home, undefined, {
    SLIPWAY_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    SLIPWAY_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
    SLIPWAY_MAX_CONNECTIONS_PER_CLIENT: String(PER_CLIENT),
  });
  health = monitorHealth(srv.url, { pid: srv.child.pid! });
  const created = await fetch(`${srv.url}/conn-bucket`, { method: 'PUT' });
  expect(created.status).toBe(200);
});

afterAll(async () => {
  await health?.stop();
  await srv?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Raw {
  socket: Socket;
  data(): string;
  /** Resolves with the time (ms since open) the server closed the connection. */
  closed: Promise<number>;
}

function open(localAddress = '127.0.0.1'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let buf = '';
    const socket = connect({ host: '127.0.0.1', port: srv.port, localAddress }, () => resolve({ socket, data: () => buf, closed }));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (buf += d));
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - started)));
    socket.once('error', (err) => {
      if (!socket.remoteAddress) reject(err);
    });
  });
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('incomplete requests', () => {
  it('closes a connection whose headers trickle in (slowloris) after the headers timeout, with 408', async () => {
    const c = await open();
    c.socket.write('GET /_slipway/health HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => c.socket.writable && c.socket.write('X-Slow: 1\r\n'), 300);
    try {
      const at = await within(c.closed, HEADERS_TIMEOUT_MS + 3_000, 'closing the slowloris connection');
      expect(at).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(c.data()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
      c.socket.destroy();
    }
  });

  it('closes a connection whose body trickles in below the minimum rate, with 408', async () => {
    const c = await open();
    c.socket.write('PUT /conn-bucket/slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n');
    const trickle = setInterval(() => c.socket.writable && c.socket.write('0123456789'), 500);
    try {
      const at = await within(c.closed, BODY_TIMEOUT_MS + 4_000, 'closing the slow-body connection');
      expect(at).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 100);
      expect(c.data()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
      c.socket.destroy();
    }
    // Nothing half-written was stored.
    expect((await fetch(`${srv.url}/conn-bucket/slow-body`, { method: 'HEAD' })).status).toBe(404);
  });

  it('lets a slow but progressing upload finish, pauses shorter than the body timeout included', async () => {
    // 16 KiB/s (16 times the minimum rate) for 6 s: three body-timeout windows.
    const c = await open();
    const total = 96 * 1024;
    c.socket.write(`PUT /conn-bucket/slow-but-steady HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
    for (let sent = 0; sent < total; sent += 8 * 1024) {
      c.socket.write(Buffer.alloc(8 * 1024, 'a'));
      await sleep(500);
    }
    await within(
      (async () => {
        while (!c.data().includes('\r\n\r\n')) await sleep(20);
      })(),
      5_000,
      'the answer to the slow upload',
    );
    expect(c.data()).toMatch(/^HTTP\/1\.1 200/);
    c.socket.destroy();
    const head = await fetch(`${srv.url}/conn-bucket/slow-but-steady`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(total));

    // 64 MiB in 8 MiB bursts with a 1.2 s pause after each: never idle for a whole body timeout.
    const big = await open();
    const size = 64 * 1024 * 1024;
    big.socket.write(`PUT /conn-bucket/bursty HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    const burst = Buffer.alloc(8 * 1024 * 1024, 'b');
    for (let sent = 0; sent < size; sent += burst.length) {
      if (!big.socket.write(burst)) await new Promise((r) => big.socket.once('drain', r));
      await sleep(1_200);
    }
    await within(
      (async () => {
        while (!big.data().includes('\r\n\r\n')) await sleep(20);
      })(),
      10_000,
      'the answer to the bursty upload',
    );
    expect(big.data()).toMatch(/^HTTP\/1\.1 200/);
    big.socket.destroy();
  });
});

describe('connection caps', () => {
  it(`refuses connections from one address beyond ${PER_CLIENT} with 503 while another client is served`, async () => {
    const idle: Raw[] = [];
    try {
      // An address no other traffic of this file uses, so the count is exactly ours.
      for (let i = 0; i < PER_CLIENT; i++) idle.push(await open('127.0.0.5'));
      await sleep(100);
      const extra = await open('127.0.0.5');
      await within(extra.closed, 3_000, 'refusing the connection over the cap');
      expect(extra.data()).toMatch(/^HTTP\/1\.1 503/);
      // The idle ones are still open (the cap refuses new ones, it does not drop old ones).
      expect(idle.every((c) => !c.socket.destroyed)).toBe(true);

      const other = await open('127.0.0.6');
      other.socket.write('GET /_slipway/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await within(other.closed, 3_000, 'the other client being served');
      expect(other.data()).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const c of idle) c.socket.destroy();
    }
    // Once they are gone, the address is served again.
    await sleep(200);
    const again = await open('127.0.0.5');
    again.socket.write('GET /_slipway/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await within(again.closed, 3_000, 'serving the address again');
    expect(again.data()).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe('global connection cap', () => {
  it('refuses connections beyond SLIPWAY_MAX_CONNECTIONS from any address', async () => {
    const capHome = mkdtempSync(join(tmpdir(), 'slipway-conn-cap-'));
    const capped = await startServerProcess(capHome, undefined, { SLIPWAY_MAX_CONNECTIONS: '10' });
    const held: Socket[] = [];
    const openTo = (localAddress: string) =>
      new Promise<{ socket: Socket; data: () => string; closed: Promise<void> }>((resolve) => {
        let buf = '';
        const socket = connect({ host: '127.0.0.1', port: capped.port, localAddress }, () => resolve({ socket, data: () => buf, closed }));
        socket.setEncoding('latin1');
        socket.on('data', (d: string) => (buf += d));
        socket.on('error', () => undefined);
        const closed = new Promise<void>((r) => socket.once('close', () => r()));
      });
    try {
      // Each from its own address, so no per-client cap is involved. The readiness polls of
      // startServerProcess may still hold a keep-alive connection or two: count what is accepted.
      const opened = [];
      for (let i = 0; i < 13; i++) opened.push(await openTo(`127.0.1.${i + 1}`));
      await sleep(300);
      held.push(...opened.map((o) => o.socket));
      const accepted = opened.filter((o) => !o.socket.destroyed);
      const refused = opened.filter((o) => o.socket.destroyed);
      expect(accepted.length).toBeGreaterThanOrEqual(8);
      expect(accepted.length).toBeLessThanOrEqual(10);
      // Every connection past the cap was refused with 503, and only those.
      expect(opened.slice(accepted.length).every((o) => o.socket.destroyed && /^HTTP\/1\.1 503/.test(o.data()))).toBe(true);
      expect(refused.length).toBe(13 - accepted.length);
    } finally {
      for (const c of held) c.destroy();
      await capped.stop();
      rmSync(capHome, { recursive: true, force: true });
    }
  });
});

describe('early errors', () => {
  /** Python's http.client sends the whole body before it reads the answer (as botocore does). */
  async function bodyFirst(method: string, path: string, mib: number, headers: Record<string, string>): Promise<{ status: number; connection: string; seconds: number; body: string }> {
    const script = `
import http.client, json, sys, time
c = http.client.HTTPConnection('127.0.0.1', ${srv.port}, timeout=15)
t = time.time()
c.request(${JSON.stringify(method)}, ${JSON.stringify(path)}, body=b'x' * (${mib} * 1024 * 1024), headers=${JSON.stringify(headers)})
r = c.getresponse()
body = r.read().decode('utf-8', 'replace')
print(json.dumps({'status': r.status, 'connection': r.getheader('connection'), 'seconds': time.time() - t, 'body': body}))
`;
    const { stdout } = await execFileAsync('python3', ['-c', script], { env: awsEnv(srv.url), timeout: 30_000 });
    return JSON.parse(stdout) as { status: number; connection: string; seconds: number; body: string };
  }

  it('answers a too-large JSON body at once and closes the connection, without stalling a client that sends it all first', async () => {
    const r = await bodyFirst('POST', '/', 64, { 'X-Amz-Target': 'SageMaker.ListModels', 'Content-Type': 'application/x-amz-json-1.1' });
    expect(r.status).toBe(413);
    expect(r.connection).toBe('close');
    expect(r.seconds).toBeLessThan(10);
    expect(JSON.parse(r.body).__type).toBe('RequestEntityTooLarge');
  });

  it('does the same for S3 and runtime errors answered before the body is read', async () => {
    const s3 = await bodyFirst('PUT', '/no-such-bucket-here/key', 64, {});
    expect(s3.status).toBe(404);
    expect(s3.connection).toBe('close');
    expect(s3.body).toContain('<Code>NoSuchBucket</Code>');
    const rt = await bodyFirst('POST', '/endpoints/no-such-endpoint/invocations', 7, { 'Content-Type': 'text/csv' });
    expect(rt.status).toBe(400);
    expect(rt.connection).toBe('close');
    expect(rt.seconds).toBeLessThan(10);
  });
});

describe('protocol edges', () => {
  it('refuses a JSON 1.1 body whose Content-Type is not JSON, as Coral does (404 UnknownOperationException)', async () => {
    const call = (contentType: string) =>
      fetch(srv.url, { method: 'POST', headers: { 'X-Amz-Target': 'SageMaker.ListModels', 'Content-Type': contentType }, body: '{}' });
    const bad = await call('text/plain');
    expect(bad.status).toBe(404);
    expect(await bad.text()).toBe('<UnknownOperationException/>\n');
    expect(bad.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect((await call('application/x-amz-json-1.0')).status).toBe(404);
    expect((await call('application/x-amz-json-1.1')).status).toBe(200);
    expect((await call('application/x-amz-json-1.1; charset=utf-8')).status).toBe(200);
    expect((await call('application/json')).status).toBe(200);
  });

  async function rawRequest(head: string): Promise<string> {
    const c = await open('127.0.0.4');
    c.socket.write(head);
    await within(c.closed, 3_000, 'the answer to a malformed request');
    return c.data();
  }

  it('answers a garbage Content-Length in the surface format of the request', async () => {
    const runtime = await rawRequest('POST /endpoints/e/invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: abc\r\n\r\n');
    expect(runtime).toMatch(/^HTTP\/1\.1 400/);
    expect(runtime).toMatch(/X-Amzn-ErrorType: ValidationError/i);
    expect(JSON.parse(runtime.slice(runtime.indexOf('\r\n\r\n') + 4)).message).toMatch(/Content-Length/);

    const sagemaker = await rawRequest('POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SageMaker.ListModels\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 1x\r\n\r\n');
    expect(sagemaker).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(sagemaker.slice(sagemaker.indexOf('\r\n\r\n') + 4)).__type).toBe('ValidationException');

    const s3 = await rawRequest('PUT /conn-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n');
    expect(s3).toMatch(/^HTTP\/1\.1 400/);
    expect(s3).toContain('<Code>InvalidArgument</Code>');
  });
});

describe('/_slipway/health', () => {
  it('shows only the status when authentication is on, and details without it', async () => {
    const open = (await (await fetch(`${srv.url}/_slipway/health`)).json()) as Record<string, unknown>;
    expect(open.status).toBe('ok');
    expect(open.docker).toBeDefined();

    const authHome = mkdtempSync(join(tmpdir(), 'slipway-conn-auth-'));
    const authed = await startServerProcess(authHome, undefined, { SLIPWAY_ACCESS_KEY_ID: 'AKIDHEALTH', SLIPWAY_SECRET_ACCESS_KEY: 'secret-health' });
    try {
      const r = await fetch(`${authed.url}/_slipway/health`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ status: 'ok' });
    } finally {
      await authed.stop();
      rmSync(authHome, { recursive: true, force: true });
    }
  });

  it('answered within 200 ms throughout the tests above', async () => {
    const report = await health.stop();
    expect(report.polls).toBeGreaterThan(50);
    expect(report.failures).toBe(0);
    // A slow poll while the server's thread was busy is a stall; others are the machine's load (helper).
    expect(report.maxStallMs, JSON.stringify(report.slow)).toBeLessThan(200);
  });
});

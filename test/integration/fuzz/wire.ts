/**
 * @module test/integration/fuzz/wire — sends one request as raw bytes with node:http (so malformed
 * bodies, wrong lengths and odd headers go out exactly as built) and reads the whole answer, with a
 * deadline: no answer in time is reported as a hang, never waited out.
 */
import { request, Agent } from 'node:http';
import { connect } from 'node:net';

export interface WireRequest {
  readonly method: string;
  /** Path and query exactly as sent (not normalised). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface WireResponse {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly ms: number;
}

export class Hang extends Error {
  constructor(readonly ms: number) {
    super(`no complete answer within ${ms} ms`);
  }
}

/** Keep-alive connections for ordinary cases; cases that break framing pass `fresh`. */
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export interface SendOptions {
  timeoutMs?: number;
  /** Use a new connection (cases that may leave a connection unusable). */
  fresh?: boolean;
  /** Write the request as given, byte for byte, on a raw socket (framing cases node:http would refuse to send). */
  raw?: boolean;
}

export function send(base: string, req: WireRequest, opts: SendOptions = {}): Promise<WireResponse> {
  if (opts.raw) return sendRaw(base, req, opts.timeoutMs ?? 10_000);
  const url = new URL(base);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
      headers['content-length'] = String(req.body.length);
    }
    const r = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers,
        agent: opts.fresh ? false : agent,
        // Huge-header cases must reach the server, which decides what is too big.
        maxHeaderSize: 1 << 20,
        insecureHTTPParser: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks), ms: performance.now() - t0 });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(() => {
      r.destroy();
      reject(new Hang(timeoutMs));
    }, timeoutMs);
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

/** Closes the keep-alive sockets (after a test file). */
export function closeConnections(): void {
  agent.destroy();
}

/**
 * The request head and body exactly as given (no Content-Length added, no validation) on a new
 * socket; the answer is read by Content-Length, chunked framing or the server closing.
 */
function sendRaw(base: string, req: WireRequest, timeoutMs: number): Promise<WireResponse> {
  const url = new URL(base);
  const t0 = performance.now();
  const head = [`${req.method} ${req.path} HTTP/1.1`, `host: ${url.host}`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`), 'connection: close', '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) return reject(err);
      const parsed = parseResponse(data);
      if (!parsed) return reject(new Error(`no HTTP response (${data.length} bytes)`));
      resolve({ ...parsed, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish(new Hang(timeoutMs)), timeoutMs);
    socket.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      const parsed = parseResponse(data);
      if (parsed?.complete) finish();
    });
    socket.on('end', () => finish());
    socket.on('error', (err) => (data.length > 0 ? finish() : finish(err)));
    socket.write(head);
    if (req.body) socket.write(req.body);
  });
}

function parseResponse(data: Buffer): (Omit<WireResponse, 'ms'> & { complete: boolean }) | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = data.subarray(end + 4);
  let complete = false;
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    complete = body.length >= n;
    body = body.subarray(0, n);
  } else if (headers['transfer-encoding']?.includes('chunked')) {
    complete = body.includes('0\r\n\r\n');
    body = dechunk(body);
  }
  // 1xx interim answers (100 Continue) are skipped: the final answer follows.
  if (status >= 100 && status < 200) {
    const rest = parseResponse(data.subarray(end + 4));
    return rest;
  }
  return { status, headers, body, complete };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const n = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(n) || n === 0) break;
    out.push(b.subarray(eol + 2, eol + 2 + n));
    i = eol + 2 + n + 2;
  }
  return Buffer.concat(out);
}

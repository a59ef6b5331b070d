/**
 * @module test/integration/fuzz/wire — sends one request as raw bytes with node:http (so malformed
 * bodies, wrong lengths and odd headers go out exactly as built) and reads the whole answer, with a
 * deadline: no answer in time is reported as a hang, never waited out.
 */
import { request, Agent } from 'node:http';

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
}

export function send(base: string, req: WireRequest, opts: SendOptions = {}): Promise<WireResponse> {
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

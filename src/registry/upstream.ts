/**
 * @module registry/upstream — one request to the managed registry over its Unix socket, bodies
 * streamed both ways (layers are gigabytes: nothing is buffered but manifests). Hop-by-hop headers
 * and the client's credentials stay on Slipway's side.
 */
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { ociError } from '../protocol/oci/oci-errors.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'expect', 'host', 'authorization']);

/** Request headers to pass on (Content-Length and Transfer-Encoding are set by the body we send). */
export function forwardedHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** Response headers to pass back to the client. */
export function returnedHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'date') out[k] = v;
  return out;
}

export class Upstream {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly socketPath: string) {}

  /**
   * Sends the request; resolves with the registry's response (its body unread), rejects with
   * UNAVAILABLE when the registry cannot be reached. `body` is a buffer or the client's request
   * stream, piped as it arrives; Content-Length comes from `headers`.
   */
  send(method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer | Readable | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      if (Buffer.isBuffer(body)) h['content-length'] = body.length;
      else if (body !== undefined && h['content-length'] === undefined) h['transfer-encoding'] = 'chunked';
      const req = request({ socketPath: this.socketPath, agent: this.agent, method, path, headers: h }, resolve);
      // Before a response: the registry is down or went away (its supervisor restarts it).
      req.on('error', (err) => reject(ociError('UNAVAILABLE', `Slipway's registry did not answer: ${err.message}`)));
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  /** Streams a response back; a client that goes away stops the transfer. */
  static relay(up: IncomingMessage, res: ServerResponse, extra: OutgoingHttpHeaders = {}): void {
    res.writeHead(up.statusCode ?? 502, { ...returnedHeaders(up.headers), ...extra });
    res.on('close', () => {
      if (!up.complete) up.destroy();
    });
    up.on('error', () => res.destroy());
    up.pipe(res);
  }

  static async readAll(up: IncomingMessage, max = 1024 * 1024): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of up as AsyncIterable<Buffer>) {
      size += c.length;
      if (size <= max) chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * @module server/connection-guard — keeps client connections from tying up the server (issue #12
 * item 4): timeouts for half-sent requests, and caps on connections so that sockets can never use
 * up the file descriptors the server needs for Docker, containers and its database.
 *
 *   connect ─▶ over the global or the per-address cap? ─▶ 503, closed
 *   headers ─▶ complete within headersTimeoutMs (Node's headersTimeout, checked every second)
 *   body    ─▶ while the server waits for it, ≥ MIN_BODY_BYTES_PER_SECOND over any bodyTimeoutMs
 *              window (a slowloris body is cut; a slow but progressing upload is not)
 *   idle    ─▶ no byte either way for idleTimeoutMs: closed
 *   keep-alive between requests ─▶ keepAliveTimeoutMs
 *
 * A request that breaks HTTP itself (a garbage Content-Length, oversized headers) is answered in its
 * surface's error format by ./client-error.ts; an early answer closes its connection with
 * ./lingering-close.ts.
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { MIN_BODY_BYTES_PER_SECOND, type ConnectionLimits } from '../platform/connection-limits.js';
import { LingeringResponse } from './lingering-close.js';
import { answerClientError } from './client-error.js';
import { logger } from '../platform/logger.js';

const TICK_MS = 1_000;

const REFUSED_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: 52\r\n\r\nToo many connections from this client; try again.\r\n';

/** Options for `http.createServer` that carry the timeouts. */
export function guardedServerOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // A whole-request deadline would cut slow but progressing uploads: bodies are watched by rate.
    requestTimeout: 0,
    // How often Node checks headersTimeout (default 30 s would let a slowloris live 50 s).
    connectionsCheckingInterval: TICK_MS,
    ServerResponse: LingeringResponse as unknown as typeof ServerResponse,
  };
}

/** The key connections are counted under: the address, or an IPv6 client's /64. */
export function clientKey(address: string | undefined): string {
  if (!address) return '?';
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!address.includes(':')) return address;
  const groups = expandIpv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIpv6(address: string): string[] | undefined {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

interface WatchedBody {
  req: IncomingMessage;
  res: ServerResponse;
  socket: Socket;
  /** Bytes read on the socket when the current window opened. */
  windowBytes: number;
  /** Time in the current window during which the server was waiting for body bytes. */
  waitedMs: number;
}

export interface ConnectionGuard {
  /** Connections open now per client key (tests, diagnostics). */
  readonly perClient: ReadonlyMap<string, number>;
  stop(): void;
}

/**
 * Applies the caps and the body watchdog to `server` (built with guardedServerOptions) and serves
 * `handler` on it.
 */
export function guardConnections(server: Server, limits: ConnectionLimits, handler: (req: IncomingMessage, res: ServerResponse) => void): ConnectionGuard {
  server.timeout = limits.idleTimeoutMs;
  const perClient = new Map<string, number>();
  const refused = new WeakSet<Socket>();
  let open = 0;
  let refusedCount = 0;
  let lastRefusalLog = 0;

  server.on('connection', (socket: Socket) => {
    const key = clientKey(socket.remoteAddress);
    const mine = (perClient.get(key) ?? 0) + 1;
    if (open + 1 > limits.maxConnections || mine > limits.maxConnectionsPerClient) {
      refused.add(socket);
      refusedCount++;
      const now = Date.now();
      if (now - lastRefusalLog > 10_000) {
        lastRefusalLog = now;
        logger.warn({ client: key, open, fromClient: mine - 1, refused: refusedCount, limits: { total: limits.maxConnections, perClient: limits.maxConnectionsPerClient } }, 'connection refused: too many connections');
      }
      socket.on('error', () => undefined);
      socket.end(REFUSED_RESPONSE, () => socket.destroy());
      return;
    }
    open++;
    perClient.set(key, mine);
    socket.once('close', () => {
      open--;
      const n = (perClient.get(key) ?? 1) - 1;
      if (n <= 0) perClient.delete(key);
      else perClient.set(key, n);
    });
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // A refused socket is closing: its request is never served.
    if (refused.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    if (hasBody(req) && !req.complete) watch(req, res);
    handler(req, res);
  });

  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => answerClientError(err, socket));

  const watched = new Set<WatchedBody>();
  // No listeners per request (the hot path): the tick drops entries whose body is complete.
  const watch = (req: IncomingMessage, res: ServerResponse) => {
    watched.add({ req, res, socket: req.socket, windowBytes: req.socket.bytesRead, waitedMs: 0 });
  };
  const minBytesPerWindow = Math.ceil((MIN_BODY_BYTES_PER_SECOND * limits.bodyTimeoutMs) / 1000);
  const timer = setInterval(() => {
    for (const w of watched) {
      if (w.req.complete || w.socket.destroyed) {
        watched.delete(w);
        continue;
      }
      // Bytes waiting in the request's buffer mean the server is the slow side (backpressure).
      if (w.req.readableLength > 0) continue;
      w.waitedMs += TICK_MS;
      if (w.waitedMs < limits.bodyTimeoutMs) continue;
      const got = w.socket.bytesRead - w.windowBytes;
      if (got < minBytesPerWindow) {
        watched.delete(w);
        logger.warn({ client: w.socket.remoteAddress, url: w.req.url, bytes: got, windowMs: limits.bodyTimeoutMs }, 'request body stalled; connection closed');
        closeStalled(w);
        continue;
      }
      w.windowBytes = w.socket.bytesRead;
      w.waitedMs = 0;
    }
  }, TICK_MS);
  timer.unref();

  return {
    perClient,
    stop: () => clearInterval(timer),
  };
}

/** HTTP/1.1: a request has a body only with Content-Length > 0 or Transfer-Encoding (RFC 9112 §6.3). */
function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te !== '') return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/** Node's own answer to a timed-out request (408), then the connection goes. */
function closeStalled(w: WatchedBody): void {
  if (!w.res.headersSent && w.socket.writable) {
    w.socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => w.socket.destroy());
    setTimeout(() => w.socket.destroy(), 1_000).unref();
  } else {
    w.socket.destroy();
  }
}

/**
 * @module server/registry-tls-listener — HTTPS for the ECR host names of the opt-in (host-opt-in.ts):
 * while `$SLIPWAY_HOME/registry-host/state.json` exists, Slipway listens on
 * SLIPWAY_REGISTRY_TLS_PORT (443) with that folder's certificate and serves the registry API
 * there, and nothing else (a real ECR host serves only `/v2/`). The state file is polled once a
 * second, so `slipway registry-host enable|disable` takes effect without a restart.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { guardConnections, guardedServerOptions, type ConnectionGuard } from './connection-guard.js';
import type { ConnectionLimits } from '../platform/connection-limits.js';
import { ociError, renderOciError } from '../protocol/oci/oci-errors.js';
import { optInDir, readOptIn, statePath } from '../registry/host-opt-in.js';
import { isRegistryPath } from '../registry/registry-path.js';

export interface TlsListenerOptions {
  home: string;
  host: string;
  port: number;
  limits: ConnectionLimits;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Poll interval of the state file. */
  intervalMs?: number;
}

export interface TlsListener {
  /** The port it listens on, while it does. */
  readonly port: number | undefined;
  /** Why it is not listening although the opt-in is on (port taken, no permission, bad certificate). */
  readonly problem: string | undefined;
  close(): Promise<void>;
}

export function startTlsListener(o: TlsListenerOptions): TlsListener {
  let server: Server | undefined;
  let guard: ConnectionGuard | undefined;
  let port: number | undefined;
  let problem: string | undefined;
  let closed = false;
  let busy: Promise<void> = Promise.resolve();
  const file = statePath(o.home);

  const onlyRegistry = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (isRegistryPath(path)) return o.handler(req, res);
    req.resume();
    renderOciError(res, ociError('UNSUPPORTED', 'This host name serves the registry API (/v2/) only'), randomUUID());
  };

  const stop = async () => {
    const s = server;
    server = undefined;
    port = undefined;
    guard?.stop();
    guard = undefined;
    if (s) {
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
  };

  const apply = async () => {
    const state = readOptIn(o.home);
    if (!state || closed) {
      await stop();
      problem = undefined;
      return;
    }
    let key: Buffer;
    let cert: Buffer;
    try {
      key = readFileSync(join(optInDir(o.home), 'server.key'));
      cert = readFileSync(join(optInDir(o.home), 'server.crt'));
    } catch (err) {
      problem = `the host-name certificate cannot be read: ${(err as Error).message}`;
      return;
    }
    if (server) {
      server.setSecureContext({ key, cert });
      return;
    }
    const s = createServer({ ...guardedServerOptions(o.limits), key, cert });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(o.port, o.host, () => resolve());
      });
    } catch (err) {
      problem = `cannot listen on ${o.host}:${o.port} for ${state.names.join(', ')}: ${(err as Error).message}`;
      o.log.warn({ err }, problem);
      // The port may free up (another server stopping): try again while the opt-in stays on.
      if (!closed) setTimeout(refresh, 5_000).unref();
      return;
    }
    s.on('error', (err) => o.log.warn({ err }, 'registry TLS listener error'));
    // https.Server emits the same request and connection events as http.Server.
    guard = guardConnections(s as unknown as HttpServer, o.limits, onlyRegistry);
    server = s;
    port = (s.address() as { port: number }).port;
    problem = undefined;
    o.log.info({ port, names: state.names }, 'serving the registry for ECR host names');
  };

  const refresh = () => {
    busy = busy.then(apply, apply);
  };
  watchFile(file, { interval: o.intervalMs ?? 1_000, persistent: false }, refresh);
  refresh();

  return {
    get port() {
      return port;
    },
    get problem() {
      return problem;
    },
    async close() {
      closed = true;
      unwatchFile(file, refresh);
      await busy.catch(() => undefined);
      await stop();
    },
  };
}

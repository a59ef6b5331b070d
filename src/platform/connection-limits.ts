/**
 * @module platform/connection-limits — the settings that keep client connections from exhausting the
 * server: timeouts for incomplete requests, and caps on connections in total and per client
 * address (server/connection-guard.ts applies them). Read from the environment with defaults
 * derived from the process's open-file limit.
 */
import { readFileSync } from 'node:fs';

export interface ConnectionLimits {
  /** A client must send complete request headers within this time of connecting (or of the previous request). */
  headersTimeoutMs: number;
  /**
   * A request body stalls when, over this long a window of the server waiting for it, fewer than
   * MIN_BODY_BYTES_PER_SECOND arrive on average: the connection is then closed. A slow but
   * progressing upload (a 1 GiB S3 PUT at any realistic speed) is never cut.
   */
  bodyTimeoutMs: number;
  /** A connection with no bytes in either direction for this long is closed (0: never). */
  idleTimeoutMs: number;
  /** Idle keep-alive connections are closed after this long. */
  keepAliveTimeoutMs: number;
  /** Connections open at once, all clients together; kept well below the open-file limit. */
  maxConnections: number;
  /** Connections open at once from one client address (an IPv6 client: its /64). */
  maxConnectionsPerClient: number;
}

/** The body rate a request must keep up while the server waits for it (see bodyTimeoutMs). */
export const MIN_BODY_BYTES_PER_SECOND = 1024;

/**
 * The soft limit on open files (Linux: /proc/self/limits), or undefined where it cannot be read.
 * Node has no getrlimit; this is the same number `ulimit -n` prints.
 */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every proxied invocation holds two descriptors (the client's socket and the container's), and
 * Docker, SQLite, log followers, pools and files need room of their own: client connections get
 * half of what is left after a reserve of a tenth (at least 512) of the limit.
 */
export function defaultMaxConnections(fdLimit: number | undefined): number {
  const limit = fdLimit ?? 4096;
  const reserve = Math.max(512, Math.floor(limit / 10));
  return Math.max(32, Math.floor((limit - reserve) / 2));
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, allowZero = false): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && !allowZero)) throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function connectionLimits(env: NodeJS.ProcessEnv = process.env, fdLimit = openFileLimit()): ConnectionLimits {
  const maxConnections = positive(env, 'SLIPWAY_MAX_CONNECTIONS', defaultMaxConnections(fdLimit));
  return {
    headersTimeoutMs: positive(env, 'SLIPWAY_HEADERS_TIMEOUT_MS', 20_000),
    bodyTimeoutMs: positive(env, 'SLIPWAY_BODY_TIMEOUT_MS', 20_000),
    idleTimeoutMs: positive(env, 'SLIPWAY_IDLE_TIMEOUT_MS', 300_000, true),
    keepAliveTimeoutMs: 65_000,
    maxConnections,
    maxConnectionsPerClient: positive(env, 'SLIPWAY_MAX_CONNECTIONS_PER_CLIENT', Math.min(1024, maxConnections)),
  };
}

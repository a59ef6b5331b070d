/**
 * @module controllers/serving/health — the hosting contract's `GET /ping` check (200 = healthy,
 * 2 s limit, §4.2), telling a container that failed the check from a platform that could not make it.
 *
 * A check the platform itself could not run (no file descriptor left, no ephemeral port, no memory
 * for a socket) says nothing about the container: it is `unknown`, and the endpoint controller
 * never counts it against an instance (issue #12 item 4: with the server's descriptors exhausted by
 * client connections, every ping failed with EMFILE and healthy instances were replaced).
 */
import { Agent, request } from 'undici';
import { isPlatformError } from '../../platform/platform-errors.js';

export const PING_TIMEOUT_MS = 2_000;

export type HealthVerdict = 'healthy' | 'unhealthy' | 'unknown';

// Health checks get their own short-lived connections so a wedged keep-alive socket of the
// data plane's pool can never make a healthy container look dead (or the other way round).
const agent = new Agent({ keepAliveTimeout: 1_000, connections: 4 });

/** `GET <origin>/ping`: healthy on 200 within the timeout; never throws. */
export async function checkHealth(origin: string, timeoutMs = PING_TIMEOUT_MS): Promise<HealthVerdict> {
  try {
    const res = await request(`${origin}/ping`, {
      method: 'GET',
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump().catch(() => undefined);
    return res.statusCode === 200 ? 'healthy' : 'unhealthy';
  } catch (err) {
    return isPlatformError(err) ? 'unknown' : 'unhealthy';
  }
}

/** True when `GET <origin>/ping` answers 200 within the timeout; never throws. */
export async function ping(origin: string, timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  return (await checkHealth(origin, timeoutMs)) === 'healthy';
}

/** @module controllers/endpoint/health — the hosting contract's `GET /ping` check (200 = healthy, 2 s limit, §4.2). */
import { Agent, request } from 'undici';

export const PING_TIMEOUT_MS = 2_000;

// Health checks get their own short-lived connections so a wedged keep-alive socket of the
// data plane's pool can never make a healthy container look dead (or the other way round).
const agent = new Agent({ keepAliveTimeout: 1_000, connections: 4 });

/** True when `GET <origin>/ping` answers 200 within the timeout; never throws. */
export async function ping(origin: string, timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await request(`${origin}/ping`, {
      method: 'GET',
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump().catch(() => undefined);
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

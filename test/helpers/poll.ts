/** @module test/helpers/poll — the one polling loop of the tests: ask until an answer comes or time is up. */

export interface PollOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Pause between asks; default 250 ms. */
  everyMs?: number;
  /** Ask again after `probe` threw (default: the error ends the wait at once). */
  retryErrors?: boolean;
  /** What the timeout message adds about the last answer. */
  lastSeen?: () => string;
}

/**
 * Calls `probe` until it returns a truthy value, and resolves with that value. Throws
 * `timed out after <ms> ms waiting for <what>` (with the last error or what `lastSeen` tells).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, o: PollOptions = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      if (!o.retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = o.lastSeen ? `; last: ${o.lastSeen()}` : lastError ? `: ${String(lastError)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 250));
  }
}

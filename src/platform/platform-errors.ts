/**
 * @module platform/platform-errors — errors of this side's own resources (no file descriptor
 * left, no ephemeral port, no memory for a socket), told apart from failures of a container or its
 * network: a health check or an invocation that hit one says nothing about the container (issue #12
 * item 4: with the server's descriptors exhausted, every ping failed with EMFILE and healthy
 * instances were replaced).
 */

const PLATFORM_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL', 'EAGAIN']);

/** True when `err` or one of its first causes carries one of the codes above. */
export function isPlatformError(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && PLATFORM_ERRORS.has(e.code)) return true;
  }
  return false;
}

/**
 * @module protocol/slipway-paths — Slipway's own routes under `/_slipway/`, as one list: the data
 * routes (metrics, the live log tail, the API) need a signature when authentication is on; health
 * stays open; every other path is the console's.
 */

/** Routes that expose data: signed when authentication is on. */
export function isSlipwayDataPath(pathname: string): boolean {
  return (
    pathname === '/_slipway/metrics' ||
    pathname === '/_slipway/registry' ||
    // `/_slipway/logs` itself is the console's Logs page; the live tail lives below it.
    pathname.startsWith('/_slipway/logs/') ||
    pathname === '/_slipway/api' ||
    pathname.startsWith('/_slipway/api/')
  );
}

/** Paths under /_slipway/ that other handlers own; the console never answers them. */
export function isReservedPath(pathname: string): boolean {
  return pathname === '/_slipway/health' || isSlipwayDataPath(pathname);
}

/** @module server/slipway-routes — Slipway's own routes under `/_slipway/`: health (answers within 100 ms), console, and the extra routes given. */
import type { ServerResponse } from 'node:http';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { renderError } from '../protocol/json11/json11-surface.js';
import type { Surface, SurfaceHandler } from '../protocol/surface.js';
import { VERSION } from './version.js';
import { createConsoleHandler, defaultConsoleDist } from '../console/static-handler.js';
import { isReservedPath } from '../protocol/slipway-paths.js';
import { createDiskUsage, type DiskUsage } from './disk-usage.js';

/** Longest /_slipway/health waits for Docker's ping or the disk figures. */
const HEALTH_WAIT_MS = 100;

/** `work`'s value if it settles within HEALTH_WAIT_MS, else `fallback()` (work goes on and updates it). */
function within<T>(work: Promise<T>, fallback: () => T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback()), HEALTH_WAIT_MS);
    void work.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

export interface SlipwayRoutesDeps {
  runtime: ContainerRuntime;
  startedAt: number;
  home: string;
  /**
   * Authentication is on: /_slipway/health stays open (load balancers, `npm start`) but says only
   * `{"status":"ok"}`; the data directory, disk figures, version and Docker state are for signed callers.
   */
  minimalHealth?: boolean;
  /** Where the built console lives (default dist/console/web). */
  consoleDir?: string;
  /** Extra routes registered by later features: exact path → handler. */
  extra?: Record<string, SurfaceHandler>;
  /** Routes by path prefix (e.g. `/_slipway/staging/`, controllers/staging), after the exact ones. */
  prefixed?: Record<string, SurfaceHandler>;
}

export function createSlipwayRoutes(deps: SlipwayRoutesDeps): Surface {
  const consoleHandler = createConsoleHandler(deps.consoleDir ?? defaultConsoleDist());
  const diskUsage = createDiskUsage(deps.home);
  // Health answers within HEALTH_WAIT_MS whatever Docker or the disk walk do: a check that takes
  // longer reports the last known value, and its result is kept for the next call.
  let dockerKnown = false;
  let dockerPing: Promise<boolean> | undefined;
  let diskKnown: DiskUsage | undefined;
  const dockerState = () => {
    // One ping at a time, however many health calls come in.
    dockerPing ??= deps.runtime
      .ping()
      .then((ok) => (dockerKnown = ok), () => (dockerKnown = false))
      .finally(() => (dockerPing = undefined));
    return within(dockerPing, () => dockerKnown);
  };
  const diskState = () =>
    within(
      diskUsage().then((d) => (diskKnown = d), () => diskKnown),
      () => diskKnown,
    );
  const handle: SurfaceHandler = async (req, res, ctx, url) => {
    res.setHeader('x-amzn-RequestId', ctx.requestId);
    if (url.pathname === '/') {
      res.writeHead(302, { Location: '/_slipway/' }).end();
      return;
    }
    if (url.pathname === '/_slipway/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      if (deps.minimalHealth) return json(res, 200, { status: 'ok' });
      const [dockerReachable, disk] = await Promise.all([dockerState(), diskState()]);
      json(res, 200, {
        status: 'ok',
        version: VERSION,
        uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
        docker: { reachable: dockerReachable },
        ...(disk ? { disk } : {}),
      });
      return;
    }
    const extra = deps.extra?.[url.pathname];
    if (extra) return extra(req, res, ctx, url);
    for (const [prefix, handler] of Object.entries(deps.prefixed ?? {})) if (url.pathname.startsWith(prefix)) return handler(req, res, ctx, url);
    if ((req.method === 'GET' || req.method === 'HEAD') && !isReservedPath(url.pathname)) return consoleHandler(req, res, ctx, url);
    json(res, 404, { message: `No Slipway route ${url.pathname}` });
  };
  // Slipway's own routes answer errors as JSON 1.1 services do, with a plain JSON content type.
  return { handle, renderError: (res, ctx, err) => renderError(res, ctx, err, 'application/json') };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

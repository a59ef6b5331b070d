/** @module server/slipway-routes — Slipway's own routes under `/_slipway/` (health now; console, metrics, live tail join later). */
import type { ServerResponse } from 'node:http';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { SurfaceHandler } from './surface.js';
import { VERSION } from './version.js';
import { createConsoleHandler, defaultConsoleDist, isReservedPath } from '../console/static-handler.js';
import { createDiskUsage } from './disk-usage.js';

export interface SlipwayRoutesDeps {
  runtime: ContainerRuntime;
  startedAt: number;
  home: string;
  /** Where the built console lives (default dist/console/web). */
  consoleDir?: string;
  /** Extra routes registered by later features: exact path → handler. */
  extra?: Record<string, SurfaceHandler>;
}

export function createSlipwayRoutes(deps: SlipwayRoutesDeps): SurfaceHandler {
  const consoleHandler = createConsoleHandler(deps.consoleDir ?? defaultConsoleDist());
  const diskUsage = createDiskUsage(deps.home);
  return async (req, res, ctx, url) => {
    res.setHeader('x-amzn-RequestId', ctx.requestId);
    if (url.pathname === '/') {
      res.writeHead(302, { Location: '/_slipway/' }).end();
      return;
    }
    if (url.pathname === '/_slipway/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      const [dockerReachable, disk] = await Promise.all([deps.runtime.ping().catch(() => false), diskUsage().catch(() => undefined)]);
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
    if ((req.method === 'GET' || req.method === 'HEAD') && !isReservedPath(url.pathname)) return consoleHandler(req, res, ctx, url);
    json(res, 404, { message: `No Slipway route ${url.pathname}` });
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

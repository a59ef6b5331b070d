/** @module server/slipway-routes — Slipway's own routes under `/_slipway/` (health now; console, metrics, live tail join later). */
import type { ServerResponse } from 'node:http';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { SurfaceHandler } from './surface.js';
import { VERSION } from './version.js';

export interface SlipwayRoutesDeps {
  runtime: ContainerRuntime;
  startedAt: number;
  /** Extra routes registered by later features: exact path → handler. */
  extra?: Record<string, SurfaceHandler>;
}

export function createSlipwayRoutes(deps: SlipwayRoutesDeps): SurfaceHandler {
  return async (req, res, ctx, url) => {
    res.setHeader('x-amzn-RequestId', ctx.requestId);
    if (url.pathname === '/') {
      res.writeHead(302, { Location: '/_slipway/' }).end();
      return;
    }
    if (url.pathname === '/_slipway/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      const dockerReachable = await deps.runtime.ping().catch(() => false);
      json(res, 200, {
        status: 'ok',
        version: VERSION,
        uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
        docker: { reachable: dockerReachable },
      });
      return;
    }
    const extra = deps.extra?.[url.pathname];
    if (extra) return extra(req, res, ctx, url);
    json(res, 404, { message: `No Slipway route ${url.pathname}` });
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

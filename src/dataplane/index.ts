/** @module dataplane — SageMaker Runtime (InvokeEndpoint*) surface; the hosting issue fills it in. */
import { ServiceError } from '../protocol/errors.js';
import type { SurfaceHandler } from '../server/surface.js';

export interface RuntimeSurface {
  handler: SurfaceHandler;
  slipwayRoutes?: Record<string, SurfaceHandler>;
  stop(): Promise<void>;
}

export function createRuntimeSurface(_deps: unknown): RuntimeSurface {
  return {
    handler: async (req, res, ctx, url) => {
      req.resume();
      const name = decodeURIComponent(url.pathname.split('/')[2] ?? '');
      const err = new ServiceError('ValidationError', `Endpoint ${name} of account ${ctx.accountId} not found.`, 400);
      const body = JSON.stringify({ message: err.message });
      res.writeHead(err.statusCode, {
        'Content-Type': 'application/json',
        'x-amzn-RequestId': ctx.requestId,
        'X-Amzn-ErrorType': err.code,
      });
      res.end(body);
    },
    stop: async () => undefined,
  };
}

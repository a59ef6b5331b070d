/**
 * @module protocol/surface — what every wire surface (SageMaker, Logs, CloudWatch, STS, Runtime,
 * S3, /_slipway) gives the router: a request handler, and the error renderer of its protocol.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from './context.js';
import type { ServiceError } from './errors.js';

/**
 * Handles one request completely (writes status, headers, body). May throw only for bugs; the
 * router answers those with InternalFailure through the surface's `renderError`. `url` is the
 * parsed request URL (path-style, without a virtual-host bucket). A handler that finishes its
 * work through callbacks (the invocation hot path) may return nothing instead of a promise.
 */
export type SurfaceHandler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL) => Promise<void> | void;

/**
 * Writes `err` as the surface's protocol does (status, error headers, body, request id). Callers
 * use it for answers the handler never gives itself: an authentication failure, a handler that
 * threw. When headers are already out it cuts the connection instead.
 */
export type ErrorRenderer = (res: ServerResponse, ctx: RequestContext, err: ServiceError, req: IncomingMessage, url: URL) => void;

export interface Surface {
  readonly handle: SurfaceHandler;
  readonly renderError: ErrorRenderer;
}

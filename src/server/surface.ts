/** @module server/surface — the shape every wire surface (SageMaker, Logs, Runtime, S3, /_slipway) exposes to the router. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../protocol/context.js';

/**
 * Handles one request completely (writes status, headers, body). May throw only for bugs; the
 * router turns those into InternalFailure in the surface's own error format when headers are not
 * yet sent. `url` is the parsed request URL (path-style, without a virtual-host bucket).
 * A handler that finishes its work through callbacks (the invocation hot path) may return nothing
 * instead of a promise.
 */
export type SurfaceHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  url: URL,
) => Promise<void> | void;

/**
 * @module dataplane/cors — CORS for the invocation paths, so a static page can call an endpoint
 * (SageMaker users put API Gateway in front for this). Allowed origins: `config.corsOrigins`
 * (`SLIPWAY_CORS_ORIGINS`, comma-separated, `*` for any) or, when that is empty, any
 * http(s) origin on localhost (or a name under it, such as a website address), 127.0.0.1 or [::1].
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const LOCAL_ORIGIN = /^https?:\/\/((?:[a-z0-9-]+\.)*localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** Response headers the SDKs read; browsers hide all others from scripts. */
const EXPOSE = [
  'x-Amzn-Invoked-Production-Variant',
  'X-Amzn-SageMaker-Custom-Attributes',
  'X-Amzn-SageMaker-Content-Type',
  'X-Amzn-SageMaker-New-Session-Id',
  'X-Amzn-SageMaker-Closed-Session-Id',
  'x-amzn-RequestId',
  'X-Amzn-ErrorType',
  'Content-Type',
].join(', ');

export function isAllowedOrigin(origin: string, configured: readonly string[]): boolean {
  if (configured.length === 0) return LOCAL_ORIGIN.test(origin);
  return configured.includes('*') || configured.includes(origin);
}

/** Sets the CORS headers of an actual (non-preflight) request when its origin is allowed. */
export function applyCors(req: IncomingMessage, res: ServerResponse, configured: readonly string[]): void {
  const origin = req.headers.origin;
  if (!origin || !isAllowedOrigin(origin, configured)) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', EXPOSE);
  res.setHeader('Vary', 'Origin');
}

/** Answers an OPTIONS preflight: 204 with the grants for an allowed origin, 403 otherwise. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, configured: readonly string[], requestId: string): void {
  req.resume();
  const origin = req.headers.origin;
  if (!origin || !isAllowedOrigin(origin, configured)) {
    res.writeHead(403, { 'x-amzn-RequestId': requestId, 'Content-Length': 0, Vary: 'Origin' }).end();
    return;
  }
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    // Echo what the page asks for: SigV4 adds authorization, x-amz-date, x-amz-user-agent, ...
    'Access-Control-Allow-Headers': requested ?? 'authorization, content-type, accept, x-amz-date, x-amz-security-token, x-amz-user-agent, x-amzn-sagemaker-custom-attributes, x-amzn-sagemaker-target-variant',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
    'x-amzn-RequestId': requestId,
    'Content-Length': 0,
  });
  res.end();
}

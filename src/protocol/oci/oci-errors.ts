/**
 * @module protocol/oci/oci-errors — the registry API's errors (OCI distribution spec, "Error
 * Codes"): a ServiceError whose code is the spec's (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, ...),
 * rendered as `{"errors":[{"code","message","detail"}]}` with the registry's version header.
 * Messages are ECR's where it has its own (e.g. "The repository with name 'x' does not exist in the
 * registry with id '…'", which `docker push` prints after "name unknown:").
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRenderer } from '../surface.js';
import { ServiceError } from '../errors.js';

export type OciCode =
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NAME_UNKNOWN'
  | 'NAME_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'TAG_INVALID'
  | 'UNSUPPORTED'
  | 'UNAVAILABLE';

const STATUS: Record<OciCode, number> = {
  UNAUTHORIZED: 401,
  DENIED: 403,
  NAME_UNKNOWN: 404,
  NAME_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  MANIFEST_INVALID: 400,
  TAG_INVALID: 400,
  UNSUPPORTED: 405,
  UNAVAILABLE: 503,
};

export const REGISTRY_VERSION_HEADER = { 'Docker-Distribution-Api-Version': 'registry/2.0' } as const;

export function ociError(code: OciCode, message: string, headers: Record<string, string> = {}): ServiceError {
  return new ServiceError(code, message, STATUS[code], { headers });
}

/** Writes `err` in the registry's format; any other ServiceError keeps its code and status. */
export function renderOciError(res: ServerResponse, err: ServiceError, requestId: string, head = false): void {
  const body = Buffer.from(JSON.stringify({ errors: [{ code: err.code, message: err.message, detail: null }] }));
  res.writeHead(err.statusCode, {
    ...REGISTRY_VERSION_HEADER,
    ...err.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
    'x-amzn-RequestId': requestId,
  });
  res.end(head ? undefined : body);
}

/** The registry surface's renderer (protocol/surface.ts): OCI's JSON, no body for HEAD; cut when headers are out. */
export const renderError: ErrorRenderer = (res, ctx, err, req) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  renderOciError(res, err, ctx.requestId, req.method === 'HEAD');
};

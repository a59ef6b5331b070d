/** @module protocol/context — per-request facts every handler may rely on. */
import { randomUUID } from 'node:crypto';
import type { StreamingSigner } from './sigv4/chunk-signature.js';

/** The account every local resource belongs to (ARNs need 12 digits). */
export const DEFAULT_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

export interface RequestContext {
  requestId: string;
  accountId: string;
  region: string;
  /** SigV4 service name from the credential scope, when the request was signed. */
  signingService?: string;
  accessKeyId?: string;
  /** Operation name once the protocol layer resolved it (e.g. `CreateTrainingJob`). */
  operation?: string;
  /** Set for a verified SigV4 streaming upload (auth on): its chunks' signatures must chain from it. */
  streamingSigner?: StreamingSigner;
}

export function newRequestContext(partial: Partial<RequestContext> = {}): RequestContext {
  // Built field by field, not by spreading `partial`: this runs on every request (the invocation hot path).
  const ctx: RequestContext = {
    requestId: partial.requestId ?? randomUUID(),
    accountId: partial.accountId ?? DEFAULT_ACCOUNT_ID,
    region: partial.region ?? DEFAULT_REGION,
  };
  if (partial.signingService !== undefined) ctx.signingService = partial.signingService;
  if (partial.accessKeyId !== undefined) ctx.accessKeyId = partial.accessKeyId;
  if (partial.operation !== undefined) ctx.operation = partial.operation;
  return ctx;
}

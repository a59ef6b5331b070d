/**
 * @module protocol/read-body — the one bounded reader of whole request bodies: control-plane JSON,
 * CBOR and query bodies, the body authentication must hash, and InvokeEndpoint bodies that are
 * coalesced or sent without Content-Length.
 *
 *   req ─data─▶ kept (first chunk alone, an array only from the second) ─end─▶ Buffer
 *        over maxBytes (a declared Content-Length is judged before a byte is read) ─▶ 'tooLarge'
 *        over the shared BodyBudget ─▶ 'busy'      error / close before end ─▶ 'aborted'
 *
 * On 'tooLarge' and 'busy' it stops collecting at once; the request is not destroyed, so an error
 * answer still reaches the client and server/lingering-close.ts discards the rest of the body.
 * The callback form makes no promise per request (the invocation hot path uses it).
 */
import type { IncomingMessage } from 'node:http';
import { ServiceError } from './errors.js';

export type BodyResult = Buffer | 'tooLarge' | 'busy' | 'aborted';

/** Memory that every reader given the same budget may hold at once (bytes). */
export interface BodyBudget {
  held: number;
  readonly limit: number;
}

const EMPTY = Buffer.alloc(0);

/** HTTP/1.1: a request has a body only with Content-Length > 0 or Transfer-Encoding (RFC 9112 §6.3). */
export function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te !== '') return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/** Reads `req` whole unless it passes `maxBytes` (or `budget`); `done` is called exactly once. */
export function readWhole(req: IncomingMessage, maxBytes: number, done: (result: BodyResult) => void, budget?: BodyBudget): void {
  const declared = Number(req.headers?.['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return done('tooLarge');
  if (req.readableEnded) return done(EMPTY);
  let first: Buffer | undefined;
  let rest: Buffer[] | undefined;
  let size = 0;
  let settled = false;
  const settle = (result: BodyResult) => {
    if (settled) return;
    settled = true;
    if (budget) budget.held -= size;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onAbort);
    req.off('close', onAbort);
    first = undefined;
    rest = undefined;
    done(result);
  };
  const onData = (chunk: Buffer) => {
    if (size + chunk.length > maxBytes) return settle('tooLarge');
    if (budget && budget.held + chunk.length > budget.limit) return settle('busy');
    size += chunk.length;
    if (budget) budget.held += chunk.length;
    if (first === undefined) first = chunk;
    else (rest ??= [first]).push(chunk);
  };
  const onEnd = () => settle(rest ? Buffer.concat(rest, size) : (first ?? EMPTY));
  // 'close' before 'end': the client went away mid-body.
  const onAbort = () => settle('aborted');
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onAbort);
  req.on('close', onAbort);
}

/** readWhole as a promise (never rejects). */
export function readBounded(req: IncomingMessage, maxBytes: number): Promise<Exclude<BodyResult, 'busy'>> {
  return new Promise((resolve) => readWhole(req, maxBytes, (r) => resolve(r as Exclude<BodyResult, 'busy'>)));
}

export const tooLarge = (maxBytes: number): ServiceError => new ServiceError('RequestEntityTooLarge', `Request body exceeds ${maxBytes} bytes.`, 413);

/** The whole body; rejects with RequestEntityTooLarge (413) past `maxBytes`, or an ECONNRESET error when the client went away. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const body = await readBounded(req, maxBytes);
  if (body === 'tooLarge') throw tooLarge(maxBytes);
  if (body === 'aborted') throw Object.assign(new Error('request aborted'), { code: 'ECONNRESET' });
  return body;
}

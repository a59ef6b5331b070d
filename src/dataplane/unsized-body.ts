/**
 * @module dataplane/unsized-body — reads an InvokeEndpoint body sent without Content-Length
 * (chunked) whole before the container sees any of it, up to the 6 MiB payload limit.
 *
 * Streamed through instead, an oversize body was found out only after part of it had reached the
 * model: a model that answers before reading its input had its answer relayed for a request AWS
 * refuses, and a worker that reads to the end was left waiting on a request that never finished
 * (issue #12 item 5). SageMaker itself refuses such a request before invoking the model.
 *
 * Bodies held at once share one budget (UNSIZED_BUDGET_BYTES), so many slow chunked uploads cannot
 * hold memory without bound; past it the request is refused as busy (503, retried by SDKs).
 */
import type { IncomingMessage } from 'node:http';

/** Memory all unsized bodies being read may hold together. */
export const UNSIZED_BUDGET_BYTES = 256 * 1024 * 1024;

export type UnsizedResult = Buffer | 'oversize' | 'busy' | 'aborted';

let held = 0;

/** Bytes held by unsized bodies now (tests). */
export function unsizedBytesHeld(): number {
  return held;
}

/** Reads `req` whole; `done` gets the body, or why not. Stops reading at once on 'oversize' and 'busy'. */
export function readUnsized(req: IncomingMessage, limit: number, done: (result: UnsizedResult) => void, budget = UNSIZED_BUDGET_BYTES): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (result: UnsizedResult) => {
    if (settled) return;
    settled = true;
    held -= size;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onAbort);
    req.off('close', onAbort);
    if (!Buffer.isBuffer(result)) chunks.length = 0;
    done(result);
  };
  const onData = (chunk: Buffer) => {
    if (size + chunk.length > limit) return settle('oversize');
    if (held + chunk.length > budget) return settle('busy');
    size += chunk.length;
    held += chunk.length;
    chunks.push(chunk);
  };
  const onEnd = () => settle(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  const onAbort = () => settle('aborted');
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onAbort);
  req.on('close', onAbort);
}

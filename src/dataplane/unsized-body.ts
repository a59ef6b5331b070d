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
import { readWhole, type BodyResult } from '../protocol/read-body.js';

/** Memory all unsized bodies being read may hold together. */
export const UNSIZED_BUDGET_BYTES = 256 * 1024 * 1024;

export type UnsizedResult = BodyResult;

let held = 0;

/** Bytes held by unsized bodies now (tests). */
export function unsizedBytesHeld(): number {
  return held;
}

/** Reads `req` whole (protocol/read-body); `done` gets the body, or why not ('tooLarge' past `limit`, 'busy' past the shared budget). */
export function readUnsized(req: IncomingMessage, limit: number, done: (result: UnsizedResult) => void, budget = UNSIZED_BUDGET_BYTES): void {
  const shared = {
    get held() {
      return held;
    },
    set held(v: number) {
      held = v;
    },
    limit: budget,
  };
  readWhole(req, limit, done, shared);
}

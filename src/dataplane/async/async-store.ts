/**
 * @module dataplane/async/async-store — the durable queue of InvokeEndpointAsync requests
 * (table `async_invocations`, migration 003). Rows are Queued or InProgress; a finished request
 * is deleted, so after a crash every remaining row is work to redo.
 */
import type { Db } from '../../storage/sqlite/database.js';

export const AsyncStatus = {
  Queued: 'Queued',
  InProgress: 'InProgress',
} as const;
export type AsyncStatus = (typeof AsyncStatus)[keyof typeof AsyncStatus];

export interface AsyncRequest {
  id: number;
  endpoint: string;
  inferenceId: string;
  inputLocation: string;
  outputLocation: string;
  failureLocation: string;
  contentType?: string;
  accept?: string;
  customAttributes?: string;
  invocationTimeoutS: number;
  maxConcurrency: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms: a request still queued then goes to its failure location (RequestTTLSeconds). */
  expiresAt: number;
  status: AsyncStatus;
  attempts: number;
}

export type NewAsyncRequest = Omit<AsyncRequest, 'id' | 'status' | 'attempts'>;

interface Row {
  id: number;
  endpoint: string;
  inference_id: string;
  input_location: string;
  output_location: string;
  failure_location: string;
  content_type: string | null;
  accept: string | null;
  custom_attributes: string | null;
  invocation_timeout_s: number;
  max_concurrency: number;
  created_at: number;
  expires_at: number;
  status: AsyncStatus;
  attempts: number;
}

const fromRow = (r: Row): AsyncRequest => ({
  id: r.id,
  endpoint: r.endpoint,
  inferenceId: r.inference_id,
  inputLocation: r.input_location,
  outputLocation: r.output_location,
  failureLocation: r.failure_location,
  ...(r.content_type !== null ? { contentType: r.content_type } : {}),
  ...(r.accept !== null ? { accept: r.accept } : {}),
  ...(r.custom_attributes !== null ? { customAttributes: r.custom_attributes } : {}),
  invocationTimeoutS: r.invocation_timeout_s,
  maxConcurrency: r.max_concurrency,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  status: r.status,
  attempts: r.attempts,
});

/** Synchronous (better-sqlite3): `add` has committed when it returns, before the 202 is sent. */
export class SqliteAsyncStore {
  constructor(private readonly db: Db) {}

  add(r: NewAsyncRequest): AsyncRequest {
    const info = this.db
      .prepare(
        `INSERT INTO async_invocations (endpoint, inference_id, input_location, output_location, failure_location, content_type, accept,
           custom_attributes, invocation_timeout_s, max_concurrency, created_at, expires_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.endpoint,
        r.inferenceId,
        r.inputLocation,
        r.outputLocation,
        r.failureLocation,
        r.contentType ?? null,
        r.accept ?? null,
        r.customAttributes ?? null,
        r.invocationTimeoutS,
        r.maxConcurrency,
        r.createdAt,
        r.expiresAt,
        AsyncStatus.Queued,
      );
    return { ...r, id: Number(info.lastInsertRowid), status: AsyncStatus.Queued, attempts: 0 };
  }

  /** Oldest first. */
  queued(limit: number): AsyncRequest[] {
    return (this.db.prepare('SELECT * FROM async_invocations WHERE status = ? ORDER BY id LIMIT ?').all(AsyncStatus.Queued, limit) as Row[]).map(fromRow);
  }

  markInProgress(id: number): void {
    this.db.prepare('UPDATE async_invocations SET status = ?, attempts = attempts + 1 WHERE id = ?').run(AsyncStatus.InProgress, id);
  }

  /** Back to the queue (no instance reachable, or the server stopped mid-request). */
  requeue(id: number): void {
    this.db.prepare('UPDATE async_invocations SET status = ? WHERE id = ?').run(AsyncStatus.Queued, id);
  }

  /** At start-up: what was in flight when the previous process died is redone from the input. */
  requeueInProgress(): number {
    return this.db.prepare('UPDATE async_invocations SET status = ? WHERE status = ?').run(AsyncStatus.Queued, AsyncStatus.InProgress).changes;
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM async_invocations WHERE id = ?').run(id);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM async_invocations').get() as { n: number }).n;
  }
}

/**
 * @module dataplane/async/async-store — the durable queue of InvokeEndpointAsync requests
 * (table `async_invocations`, migration 003). Rows are Queued or InProgress; a finished request
 * is deleted, so after a crash every remaining row is work to redo.
 */
import type { SqlDb } from '../../storage/sql/sql-db.js';

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

/** `add` has committed when its promise resolves, before the 202 is sent. */
export class SqlAsyncStore {
  constructor(private readonly sql: SqlDb) {}

  async add(r: NewAsyncRequest): Promise<AsyncRequest> {
    const info = (await this.sql.get<{ id: number }>(`INSERT INTO async_invocations (endpoint, inference_id, input_location, output_location, failure_location, content_type, accept,
           custom_attributes, invocation_timeout_s, max_concurrency, created_at, expires_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, [r.endpoint,
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
        AsyncStatus.Queued]));
    return { ...r, id: info!.id, status: AsyncStatus.Queued, attempts: 0 };
  }

  /** Oldest first. */
  async queued(limit: number): Promise<AsyncRequest[]> {
    return ((await this.sql.all('SELECT * FROM async_invocations WHERE status = ? ORDER BY id LIMIT ?', [AsyncStatus.Queued, limit])) as Row[]).map(fromRow);
  }

  async markInProgress(id: number): Promise<void> {
    await this.sql.run('UPDATE async_invocations SET status = ?, attempts = attempts + 1 WHERE id = ?', [AsyncStatus.InProgress, id]);
  }

  /** Back to the queue (no instance reachable, or the server stopped mid-request). */
  async requeue(id: number): Promise<void> {
    await this.sql.run('UPDATE async_invocations SET status = ? WHERE id = ?', [AsyncStatus.Queued, id]);
  }

  /** At start-up: what was in flight when the previous process died is redone from the input. */
  async requeueInProgress(): Promise<number> {
    return (await this.sql.run('UPDATE async_invocations SET status = ? WHERE status = ?', [AsyncStatus.Queued, AsyncStatus.InProgress])).changes;
  }

  async remove(id: number): Promise<void> {
    await this.sql.run('DELETE FROM async_invocations WHERE id = ?', [id]);
  }

  async count(): Promise<number> {
    return ((await this.sql.get('SELECT count(*) AS n FROM async_invocations')) as { n: number }).n;
  }
}

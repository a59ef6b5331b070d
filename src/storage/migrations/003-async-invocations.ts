import type { Migration } from './index.js';

/**
 * Queued InvokeEndpointAsync requests (owned by dataplane/async/async-store.ts). A row is written
 * before the caller gets 202 and deleted once its output or failure object is written, so what
 * is left after a crash is exactly the work still to do.
 */
export const asyncInvocationsMigration: Migration = {
  id: '003-async-invocations',
  sql: `
    CREATE TABLE async_invocations (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      endpoint TEXT NOT NULL,
      inference_id TEXT NOT NULL,
      input_location TEXT NOT NULL,
      output_location TEXT NOT NULL,
      failure_location TEXT NOT NULL,
      content_type TEXT,
      accept TEXT,
      custom_attributes TEXT,
      invocation_timeout_s INTEGER NOT NULL,
      max_concurrency INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX async_invocations_status ON async_invocations (status, id);
  `,
};

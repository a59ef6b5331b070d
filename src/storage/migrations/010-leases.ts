import type { Migration } from './index.js';

/**
 * Replicas on one database (issue #15, docs/cluster.md "Replicas: leases and fencing"): `leases`
 * says which replica reconciles a work-queue key, with a fencing token bumped on every change of
 * holder; `endpoint_routes` holds what the data plane of every replica needs to route an endpoint
 * whose instances another replica runs. `wake` counts requests from other replicas to reconcile the
 * key now (their API handlers changed the resource); the holder compares it with what it saw. Epoch milliseconds, from the database's clock.
 */
export const leasesMigration: Migration = {
  id: '010-leases',
  sql: `
    CREATE TABLE leases (
      resource_key TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      token INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      wake INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX leases_by_expiry ON leases (expires_at);
    CREATE INDEX leases_by_holder ON leases (holder);
    CREATE TABLE endpoint_routes (
      name_lower TEXT PRIMARY KEY,
      spec TEXT NOT NULL,
      holder TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
};

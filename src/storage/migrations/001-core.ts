import type { Migration } from './index.js';

/** SageMaker resources as documents, their tags, and the log store. */
export const coreMigration: Migration = {
  id: '001-core',
  sql: `
    CREATE TABLE resources (
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      name_lower TEXT NOT NULL,
      arn TEXT NOT NULL,
      status TEXT NOT NULL,
      creation_time INTEGER NOT NULL,
      last_modified_time INTEGER NOT NULL,
      doc TEXT NOT NULL,
      internal TEXT NOT NULL DEFAULT '{}',
      PRIMARY KEY (kind, name_lower)
    );
    CREATE INDEX resources_kind_time ON resources (kind, creation_time);
    CREATE INDEX resources_kind_status ON resources (kind, status);
    CREATE UNIQUE INDEX resources_arn ON resources (arn);

    CREATE TABLE tags (
      arn TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (arn, key)
    );

    CREATE TABLE log_groups (
      name TEXT PRIMARY KEY,
      creation_time INTEGER NOT NULL,
      retention_days INTEGER
    );
    CREATE TABLE log_streams (
      id INTEGER PRIMARY KEY,
      group_name TEXT NOT NULL REFERENCES log_groups(name) ON DELETE CASCADE,
      name TEXT NOT NULL,
      creation_time INTEGER NOT NULL,
      first_event_time INTEGER,
      last_event_time INTEGER,
      last_ingestion_time INTEGER,
      stored_bytes INTEGER NOT NULL DEFAULT 0,
      UNIQUE (group_name, name)
    );
    CREATE TABLE log_events (
      id INTEGER PRIMARY KEY,
      stream_id INTEGER NOT NULL REFERENCES log_streams(id) ON DELETE CASCADE,
      timestamp INTEGER NOT NULL,
      ingestion_time INTEGER NOT NULL,
      message TEXT NOT NULL
    );
    CREATE INDEX log_events_stream_time ON log_events (stream_id, timestamp, id);
    CREATE INDEX log_events_time ON log_events (timestamp, id);

    -- One row per metric, dimension set and minute: CloudWatch statistics at 1-minute resolution.
    CREATE TABLE metric_buckets (
      namespace TEXT NOT NULL,
      metric TEXT NOT NULL,
      dimensions TEXT NOT NULL,
      minute INTEGER NOT NULL,
      sample_count REAL NOT NULL,
      sum REAL NOT NULL,
      minimum REAL NOT NULL,
      maximum REAL NOT NULL,
      unit TEXT NOT NULL DEFAULT 'None',
      PRIMARY KEY (namespace, metric, dimensions, minute)
    );
    CREATE INDEX metric_buckets_minute ON metric_buckets (minute);
  `,
};

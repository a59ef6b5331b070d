import type { Migration } from './index.js';

/**
 * Application Auto Scaling (issue #16 item 3): scalable targets (SageMaker endpoint variants only,
 * keyed by resource id), their target-tracking policies and the activities the driver recorded.
 * Numbered 009: 008 is taken by another branch (IAM).
 */
export const autoscalingMigration: Migration = {
  id: '009-autoscaling',
  sql: `
    CREATE TABLE autoscaling_targets (
      resource_id TEXT PRIMARY KEY,
      min_capacity INTEGER NOT NULL,
      max_capacity INTEGER NOT NULL,
      role_arn TEXT NOT NULL,
      suspended TEXT NOT NULL,
      arn TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_scale_out_at INTEGER,
      last_scale_in_at INTEGER,
      tags TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE autoscaling_policies (
      resource_id TEXT NOT NULL REFERENCES autoscaling_targets(resource_id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      arn TEXT NOT NULL,
      config TEXT NOT NULL,
      alarms TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (resource_id, name)
    );
    CREATE TABLE autoscaling_activities (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      resource_id TEXT NOT NULL,
      description TEXT NOT NULL,
      cause TEXT NOT NULL,
      start_time INTEGER NOT NULL,
      end_time INTEGER,
      status TEXT NOT NULL,
      status_message TEXT,
      desired INTEGER NOT NULL
    );
    CREATE INDEX autoscaling_activities_by_target ON autoscaling_activities (resource_id, seq);
  `,
};

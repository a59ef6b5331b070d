import type { Migration } from './index.js';

/**
 * IAM roles (services/iam): one row per role, its inline policies and the managed policies
 * attached to it. Role names are unique regardless of case, as in IAM; tags are a JSON list.
 */
export const iamMigration: Migration = {
  id: '008-iam',
  sql: `
    CREATE TABLE iam_roles (
      name_lower TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      path TEXT NOT NULL,
      role_id TEXT NOT NULL UNIQUE,
      assume_role_policy TEXT NOT NULL,
      description TEXT,
      max_session_duration INTEGER NOT NULL,
      permissions_boundary TEXT,
      create_date INTEGER NOT NULL,
      tags TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE iam_role_policies (
      role_lower TEXT NOT NULL REFERENCES iam_roles(name_lower) ON DELETE CASCADE,
      name TEXT NOT NULL,
      document TEXT NOT NULL,
      PRIMARY KEY (role_lower, name)
    );
    CREATE TABLE iam_attached_role_policies (
      role_lower TEXT NOT NULL REFERENCES iam_roles(name_lower) ON DELETE CASCADE,
      policy_arn TEXT NOT NULL,
      PRIMARY KEY (role_lower, policy_arn)
    );
  `,
};

/** @module storage/migrations — the ordered list of schema migrations; never edit an applied one. */
import { coreMigration } from './001-core.js';
import { objectsMigration } from './002-objects.js';
import { asyncInvocationsMigration } from './003-async-invocations.js';
import { metricHistogramsMigration } from './004-metric-histograms.js';
import { s3ConformanceMigration } from './005-s3-conformance.js';
import { ecrMigration } from './006-ecr.js';
import { bucketWebsitePolicyMigration } from './007-bucket-website-policy.js';
import { iamMigration } from './008-iam.js';
import { autoscalingMigration } from './009-autoscaling.js';
import { leasesMigration } from './010-leases.js';

export interface Migration {
  id: string;
  /** SQLite, in the subset storage/sql/postgres-ddl translates for PostgreSQL. */
  sql: string;
  /** PostgreSQL's own text, when the translation cannot say it. */
  postgres?: string;
}

export const MIGRATIONS: readonly Migration[] = [
  coreMigration,
  objectsMigration,
  asyncInvocationsMigration,
  metricHistogramsMigration,
  s3ConformanceMigration,
  ecrMigration,
  bucketWebsitePolicyMigration,
  iamMigration,
  autoscalingMigration,
  leasesMigration,
];

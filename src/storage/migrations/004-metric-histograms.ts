import type { Migration } from './index.js';

/**
 * Each 1-minute metric bucket keeps its value distribution (metrics/histogram.ts, JSON of bin →
 * count) for percentile statistics. NULL for buckets written before this migration or from
 * PutMetricData StatisticValues, which carry no distribution.
 */
export const metricHistogramsMigration: Migration = {
  id: '004-metric-histograms',
  sql: `ALTER TABLE metric_buckets ADD COLUMN histogram TEXT;`,
};

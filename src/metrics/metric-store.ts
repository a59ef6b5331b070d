/**
 * @module metrics/metric-store — CloudWatch-style metric time series at 1-minute resolution in
 * SQLite. Samples are aggregated in memory per (metric, dimensions, minute) and flushed every few
 * seconds, so the invocation hot path never waits on a write; a crash loses at most that window.
 */
import { forUpdate, greatest, least, type SqlDb, type SqlParam } from '../storage/sql/sql-db.js';
import { addTo, binOf, fromJson, mergeInto, percentile, toJson, type Histogram } from './histogram.js';
import { logger } from '../platform/logger.js';

export type Dimensions = Record<string, string>;

export interface MetricKey {
  namespace: string;
  metric: string;
  dimensions: Dimensions;
}

export interface Bucket {
  minute: number;
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
  unit: string;
  /** The values' distribution (percentiles); absent when samples came only as statistic sets. */
  histogram?: Histogram;
}

export interface Pending extends Bucket {
  namespace: string;
  metric: string;
  dims: string;
}

/**
 * A metric and dimension set resolved once (see MetricStore.series), so a hot path records a
 * sample without re-serialising its dimensions: the invocation path records six per request.
 */
export interface MetricSeries {
  readonly namespace: string;
  readonly metric: string;
  readonly dims: string;
  readonly unit: string;
  /** `namespace\0metric\0dims\0` — the pending map's key without the minute. */
  readonly prefix: string;
  /** The bucket this series last wrote, valid while `minute` and the store's generation match. */
  pending?: Pending;
  minute: number;
  generation: number;
  /** The histogram bin of the last value recorded (see recordSeries). */
  lastValue?: number;
  lastBin?: string;
}

/** `namespace\0metric\0dims\0`: a series' key in the pending map, the minute appended. */
function seriesPrefix(namespace: string, metric: string, dims: string): string {
  return `${namespace}\u0000${metric}\u0000${dims}\u0000`;
}

function minuteOf(timestampMs: number): number {
  return Math.floor(timestampMs / 60_000) * 60_000;
}

/** Adds a statistic set to a bucket. */
function absorb(p: Pending, count: number, sum: number, minimum: number, maximum: number): void {
  p.sampleCount += count;
  p.sum += sum;
  if (minimum < p.minimum) p.minimum = minimum;
  if (maximum > p.maximum) p.maximum = maximum;
}

/** Dimension sets are stored as canonical JSON (sorted by name) so equal sets compare equal. */
export function canonicalDimensions(d: Dimensions): string {
  return JSON.stringify(Object.fromEntries(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

export class MetricStore {
  private pending = new Map<string, Pending>();
  /** Bumped by every flush: cached buckets in MetricSeries from before it are gone. */
  private generation = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly sql: SqlDb,
    private readonly opts: { flushIntervalMs?: number; retentionDays?: number } = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.flush()
        .then(() => this.prune())
        .catch((err: unknown) => logger.warn({ err }, 'metric flush failed'));
    }, this.opts.flushIntervalMs ?? 2_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  record(key: MetricKey, value: number, unit = 'None', timestampMs = Date.now(), count = 1): void {
    const dims = canonicalDimensions(key.dimensions);
    this.add(seriesPrefix(key.namespace, key.metric, dims), key.namespace, key.metric, dims, unit, minuteOf(timestampMs), value, count);
  }

  /** A statistic set (PutMetricData StatisticValues): counts, sum and extremes, but no distribution. */
  recordStatistics(key: MetricKey, s: { sampleCount: number; sum: number; minimum: number; maximum: number }, unit = 'None', timestampMs = Date.now()): void {
    const dims = canonicalDimensions(key.dimensions);
    const p = this.bucket(seriesPrefix(key.namespace, key.metric, dims), key.namespace, key.metric, dims, unit, minuteOf(timestampMs));
    absorb(p, s.sampleCount, s.sum, s.minimum, s.maximum);
  }

  /** Resolves a metric and dimension set once for `recordSeries` (same buckets as `record`). */
  series(key: MetricKey, unit = 'None'): MetricSeries {
    const dims = canonicalDimensions(key.dimensions);
    return { namespace: key.namespace, metric: key.metric, dims, unit, prefix: seriesPrefix(key.namespace, key.metric, dims), minute: -1, generation: -1 };
  }

  /** `record` for a pre-resolved series: within one minute and flush window, no map lookup. */
  recordSeries(s: MetricSeries, value: number, timestampMs = Date.now()): void {
    const minute = minuteOf(timestampMs);
    const p = s.pending;
    if (p !== undefined && s.minute === minute && s.generation === this.generation) {
      absorb(p, 1, value, value, value);
      // Counters repeat their value (1 per invocation, 0 or 1 per error class): reuse the last bin.
      if (value !== s.lastValue || s.lastBin === undefined) {
        s.lastValue = value;
        s.lastBin = binOf(value);
      }
      const h = (p.histogram ??= new Map());
      h.set(s.lastBin, (h.get(s.lastBin) ?? 0) + 1);
      return;
    }
    s.pending = this.add(s.prefix, s.namespace, s.metric, s.dims, s.unit, minute, value);
    s.minute = minute;
    s.generation = this.generation;
  }

  private add(prefix: string, namespace: string, metric: string, dims: string, unit: string, minute: number, value: number, count = 1): Pending {
    const p = this.bucket(prefix, namespace, metric, dims, unit, minute);
    absorb(p, count, value * count, value, value);
    addTo((p.histogram ??= new Map()), value, count);
    return p;
  }

  /** The pending bucket of a series and minute, created empty when new. */
  private bucket(prefix: string, namespace: string, metric: string, dims: string, unit: string, minute: number): Pending {
    const id = prefix + minute;
    let p = this.pending.get(id);
    if (!p) {
      p = { namespace, metric, dims, minute, sampleCount: 0, sum: 0, minimum: Infinity, maximum: -Infinity, unit };
      this.pending.set(id, p);
    }
    return p;
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.generation++;
    // A bucket already stored (earlier flush of the same minute, or another replica's) has its
    // distribution merged here: SQL cannot add two JSON maps, so it is read, locked and written
    // back in the same transaction. The insert goes first: a row lock cannot cover a row that
    // does not exist yet, and two replicas that both found none would each write only their own
    // distribution (PostgreSQL makes the second insert wait for the first, then do nothing).
    await this.sql.transaction(async () => {
      for (const b of batch) {
        const where = [b.namespace, b.metric, b.dims, b.minute];
        const inserted = await this.sql.run(
          `INSERT INTO metric_buckets (namespace, metric, dimensions, minute, sample_count, sum, minimum, maximum, unit, histogram)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (namespace, metric, dimensions, minute) DO NOTHING`,
          [...where, b.sampleCount, b.sum, b.minimum, b.maximum, b.unit, b.histogram ? toJson(b.histogram) : null],
        );
        if (inserted.changes > 0) continue;
        const row = await this.sql.get<{ histogram: string | null }>(
          `SELECT histogram FROM metric_buckets WHERE namespace = ? AND metric = ? AND dimensions = ? AND minute = ?${forUpdate(this.sql)}`,
          where,
        );
        let h = fromJson(row?.histogram);
        if (h && b.histogram) mergeInto(h, b.histogram);
        else h ??= b.histogram;
        await this.sql.run(
          `UPDATE metric_buckets SET sample_count = sample_count + ?, sum = sum + ?,
             minimum = ${least(this.sql, 'minimum', '?')}, maximum = ${greatest(this.sql, 'maximum', '?')}, histogram = ?
           WHERE namespace = ? AND metric = ? AND dimensions = ? AND minute = ?`,
          [b.sampleCount, b.sum, b.minimum, b.maximum, h ? toJson(h) : null, ...where],
        );
      }
    });
  }

  async prune(now = Date.now()): Promise<void> {
    const days = this.opts.retentionDays ?? 15;
    await this.sql.run('DELETE FROM metric_buckets WHERE minute < ?', [now - days * 86_400_000]);
  }

  /** Buckets of one exact metric and dimension set with `start <= minute < end`. */
  async buckets(key: MetricKey, startMs: number, endMs: number): Promise<Bucket[]> {
    await this.flush();
    const rows = (await this.sql.all(`SELECT minute, sample_count, sum, minimum, maximum, unit, histogram FROM metric_buckets
         WHERE namespace = ? AND metric = ? AND dimensions = ? AND minute >= ? AND minute < ? ORDER BY minute`, [key.namespace, key.metric, canonicalDimensions(key.dimensions), Math.floor(startMs / 60_000) * 60_000, endMs])) as {
      minute: number;
      sample_count: number;
      sum: number;
      minimum: number;
      maximum: number;
      unit: string;
      histogram: string | null;
    }[];
    return rows.map((r) => ({
      minute: r.minute,
      sampleCount: r.sample_count,
      sum: r.sum,
      minimum: r.minimum,
      maximum: r.maximum,
      unit: r.unit,
      histogram: fromJson(r.histogram),
    }));
  }

  /** Distinct metrics, optionally narrowed by namespace, name and dimension filters. */
  async list(filter: { namespace?: string; metric?: string; dimensions?: { name: string; value?: string }[] }): Promise<MetricKey[]> {
    await this.flush();
    // Only the filters given: PostgreSQL cannot type a bare `? IS NULL` parameter.
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (filter.namespace !== undefined) {
      where.push('namespace = ?');
      params.push(filter.namespace);
    }
    if (filter.metric !== undefined) {
      where.push('metric = ?');
      params.push(filter.metric);
    }
    const rows = (await this.sql.all(
      `SELECT DISTINCT namespace, metric, dimensions FROM metric_buckets${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY namespace, metric, dimensions`,
      params,
    )) as {
      namespace: string;
      metric: string;
      dimensions: string;
    }[];
    return rows
      .map((r) => ({ namespace: r.namespace, metric: r.metric, dimensions: JSON.parse(r.dimensions) as Dimensions }))
      .filter((k) => (filter.dimensions ?? []).every((f) => f.name in k.dimensions && (f.value === undefined || k.dimensions[f.name] === f.value)));
  }
}

export interface Datapoint {
  timestamp: number;
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
  average: number;
  unit: string;
  /** Merged distribution of the period's buckets that had one. */
  histogram?: Histogram;
}

/** CloudWatch's five statistics of a datapoint (GetMetricStatistics' Statistics, MetricStat's Stat). */
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

export function statValue(d: Datapoint, s: Statistic): number {
  switch (s) {
    case 'SampleCount':
      return d.sampleCount;
    case 'Average':
      return d.average;
    case 'Sum':
      return d.sum;
    case 'Minimum':
      return d.minimum;
    case 'Maximum':
      return d.maximum;
  }
}

/** A percentile of a datapoint; undefined when none of its samples came with a distribution. */
export function datapointPercentile(d: Datapoint, p: number): number | undefined {
  return d.histogram ? percentile(d.histogram, p, d.minimum, d.maximum) : undefined;
}

/** Rolls 1-minute buckets up into `periodSeconds` periods aligned to `startMs`, as CloudWatch does. */
export function rollUp(buckets: Bucket[], startMs: number, periodSeconds: number): Datapoint[] {
  const periodMs = periodSeconds * 1000;
  const out = new Map<number, Datapoint>();
  for (const b of buckets) {
    const t = startMs + Math.floor((b.minute - startMs) / periodMs) * periodMs;
    const d = out.get(t);
    if (!d) {
      const histogram = b.histogram ? new Map(b.histogram) : undefined;
      out.set(t, { timestamp: t, sampleCount: b.sampleCount, sum: b.sum, minimum: b.minimum, maximum: b.maximum, average: 0, unit: b.unit, histogram });
    } else {
      d.sampleCount += b.sampleCount;
      d.sum += b.sum;
      d.minimum = Math.min(d.minimum, b.minimum);
      d.maximum = Math.max(d.maximum, b.maximum);
      if (b.histogram) mergeInto((d.histogram ??= new Map()), b.histogram);
    }
  }
  for (const d of out.values()) d.average = d.sampleCount > 0 ? d.sum / d.sampleCount : 0;
  return [...out.values()].sort((a, b) => a.timestamp - b.timestamp);
}

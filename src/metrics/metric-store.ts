/**
 * @module metrics/metric-store — CloudWatch-style metric time series at 1-minute resolution in
 * SQLite. Samples are aggregated in memory per (metric, dimensions, minute) and flushed every few
 * seconds, so the invocation hot path never waits on a write; a crash loses at most that window.
 */
import type { Db } from '../storage/sqlite/database.js';

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
    private readonly db: Db,
    private readonly opts: { flushIntervalMs?: number; retentionDays?: number } = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.flush();
      this.prune();
    }, this.opts.flushIntervalMs ?? 2_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }

  record(key: MetricKey, value: number, unit = 'None', timestampMs = Date.now()): void {
    const minute = Math.floor(timestampMs / 60_000) * 60_000;
    const dims = canonicalDimensions(key.dimensions);
    this.add(`${key.namespace}\u0000${key.metric}\u0000${dims}\u0000`, key.namespace, key.metric, dims, unit, minute, value);
  }

  /** Resolves a metric and dimension set once for `recordSeries` (same buckets as `record`). */
  series(key: MetricKey, unit = 'None'): MetricSeries {
    const dims = canonicalDimensions(key.dimensions);
    return { namespace: key.namespace, metric: key.metric, dims, unit, prefix: `${key.namespace}\u0000${key.metric}\u0000${dims}\u0000`, minute: -1, generation: -1 };
  }

  /** `record` for a pre-resolved series: within one minute and flush window, no map lookup. */
  recordSeries(s: MetricSeries, value: number, timestampMs = Date.now()): void {
    const minute = Math.floor(timestampMs / 60_000) * 60_000;
    const p = s.pending;
    if (p !== undefined && s.minute === minute && s.generation === this.generation) {
      p.sampleCount++;
      p.sum += value;
      if (value < p.minimum) p.minimum = value;
      if (value > p.maximum) p.maximum = value;
      return;
    }
    s.pending = this.add(s.prefix, s.namespace, s.metric, s.dims, s.unit, minute, value);
    s.minute = minute;
    s.generation = this.generation;
  }

  private add(prefix: string, namespace: string, metric: string, dims: string, unit: string, minute: number, value: number): Pending {
    const id = prefix + minute;
    const p = this.pending.get(id);
    if (p) {
      p.sampleCount++;
      p.sum += value;
      p.minimum = Math.min(p.minimum, value);
      p.maximum = Math.max(p.maximum, value);
      return p;
    }
    const created: Pending = { namespace, metric, dims, minute, sampleCount: 1, sum: value, minimum: value, maximum: value, unit };
    this.pending.set(id, created);
    return created;
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.generation++;
    const upsert = this.db.prepare(
      `INSERT INTO metric_buckets (namespace, metric, dimensions, minute, sample_count, sum, minimum, maximum, unit)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, metric, dimensions, minute) DO UPDATE SET
         sample_count = sample_count + excluded.sample_count, sum = sum + excluded.sum,
         minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum)`,
    );
    this.db.transaction(() => {
      for (const b of batch) upsert.run(b.namespace, b.metric, b.dims, b.minute, b.sampleCount, b.sum, b.minimum, b.maximum, b.unit);
    })();
  }

  prune(now = Date.now()): void {
    const days = this.opts.retentionDays ?? 15;
    this.db.prepare('DELETE FROM metric_buckets WHERE minute < ?').run(now - days * 86_400_000);
  }

  /** Buckets of one exact metric and dimension set with `start <= minute < end`. */
  buckets(key: MetricKey, startMs: number, endMs: number): Bucket[] {
    this.flush();
    const rows = this.db
      .prepare(
        `SELECT minute, sample_count, sum, minimum, maximum, unit FROM metric_buckets
         WHERE namespace = ? AND metric = ? AND dimensions = ? AND minute >= ? AND minute < ? ORDER BY minute`,
      )
      .all(key.namespace, key.metric, canonicalDimensions(key.dimensions), Math.floor(startMs / 60_000) * 60_000, endMs) as {
      minute: number;
      sample_count: number;
      sum: number;
      minimum: number;
      maximum: number;
      unit: string;
    }[];
    return rows.map((r) => ({ minute: r.minute, sampleCount: r.sample_count, sum: r.sum, minimum: r.minimum, maximum: r.maximum, unit: r.unit }));
  }

  /** Distinct metrics, optionally narrowed by namespace, name and dimension filters. */
  list(filter: { namespace?: string; metric?: string; dimensions?: { name: string; value?: string }[] }): MetricKey[] {
    this.flush();
    const rows = this.db
      .prepare(
        `SELECT DISTINCT namespace, metric, dimensions FROM metric_buckets
         WHERE (? IS NULL OR namespace = ?) AND (? IS NULL OR metric = ?) ORDER BY namespace, metric, dimensions`,
      )
      .all(filter.namespace ?? null, filter.namespace ?? null, filter.metric ?? null, filter.metric ?? null) as {
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
}

/** Rolls 1-minute buckets up into `periodSeconds` periods aligned to `startMs`, as CloudWatch does. */
export function rollUp(buckets: Bucket[], startMs: number, periodSeconds: number): Datapoint[] {
  const periodMs = periodSeconds * 1000;
  const out = new Map<number, Datapoint>();
  for (const b of buckets) {
    const t = startMs + Math.floor((b.minute - startMs) / periodMs) * periodMs;
    const d = out.get(t);
    if (!d) {
      out.set(t, { timestamp: t, sampleCount: b.sampleCount, sum: b.sum, minimum: b.minimum, maximum: b.maximum, average: 0, unit: b.unit });
    } else {
      d.sampleCount += b.sampleCount;
      d.sum += b.sum;
      d.minimum = Math.min(d.minimum, b.minimum);
      d.maximum = Math.max(d.maximum, b.maximum);
    }
  }
  for (const d of out.values()) d.average = d.sampleCount > 0 ? d.sum / d.sampleCount : 0;
  return [...out.values()].sort((a, b) => a.timestamp - b.timestamp);
}

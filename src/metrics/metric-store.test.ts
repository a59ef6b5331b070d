import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../storage/sqlite/database.js';
import { SqliteSql } from '../storage/sql/sqlite-sql.js';
import { MetricStore, canonicalDimensions, datapointPercentile, rollUp } from './metric-store.js';

describe('metric store helpers', () => {
  it('canonicalises dimension sets by name', () => {
    expect(canonicalDimensions({ VariantName: 'v', EndpointName: 'e' })).toBe(canonicalDimensions({ EndpointName: 'e', VariantName: 'v' }));
  });

  it('rolls minutes up into periods aligned to the start time', () => {
    const t0 = Date.UTC(2026, 0, 1, 0, 0);
    const b = (m: number, n: number, sum: number, min: number, max: number) => ({ minute: t0 + m * 60_000, sampleCount: n, sum, minimum: min, maximum: max, unit: 'Count' });
    const points = rollUp([b(0, 2, 10, 4, 6), b(1, 1, 1, 1, 1), b(5, 4, 8, 1, 3)], t0, 300);
    expect(points).toEqual([
      { timestamp: t0, sampleCount: 3, sum: 11, minimum: 1, maximum: 6, average: 11 / 3, unit: 'Count', histogram: undefined },
      { timestamp: t0 + 300_000, sampleCount: 4, sum: 8, minimum: 1, maximum: 3, average: 2, unit: 'Count', histogram: undefined },
    ]);
  });
});

describe('metric series', () => {
  /** A Db stand-in that keeps what flush() upserts (pure aggregation logic, no SQLite needed). */
  function capture() {
    const rows: unknown[][] = [];
    const db = {
      dialect: 'sqlite',
      get: async () => undefined,
      run: async (_sql: string, params: unknown[]) => (rows.push(params), { changes: 1 }),
      transaction: async (f: () => Promise<unknown>) => f(),
    };
    return { rows, store: new MetricStore(db as unknown as ConstructorParameters<typeof MetricStore>[0]) };
  }
  const key = { namespace: 'AWS/SageMaker', metric: 'ModelLatency', dimensions: { VariantName: 'v', EndpointName: 'e' } };
  const t0 = Date.UTC(2026, 0, 1, 0, 0, 10);

  it('aggregates pre-resolved series into the same buckets as record()', async () => {
    const { rows, store } = capture();
    const s = store.series(key, 'Microseconds');
    store.recordSeries(s, 5, t0);
    store.record(key, 1, 'Microseconds', t0 + 1000);
    store.recordSeries(s, 9, t0 + 2000);
    store.recordSeries(s, 2, t0 + 60_000);
    await store.flush();
    expect(rows).toEqual([
      ['AWS/SageMaker', 'ModelLatency', canonicalDimensions(key.dimensions), t0 - 10_000, 3, 15, 1, 9, 'Microseconds', expect.any(String)],
      ['AWS/SageMaker', 'ModelLatency', canonicalDimensions(key.dimensions), t0 + 50_000, 1, 2, 2, 2, 'Microseconds', expect.any(String)],
    ]);
    // The distribution holds the same three samples.
    expect(Object.values(JSON.parse(rows[0]![9] as string) as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('starts a new bucket after a flush instead of updating the flushed one', async () => {
    const { rows, store } = capture();
    const s = store.series(key, 'Microseconds');
    store.recordSeries(s, 4, t0);
    await store.flush();
    store.recordSeries(s, 6, t0 + 1000);
    await store.flush();
    expect(rows.map((r) => [r[4], r[5]])).toEqual([
      [1, 4],
      [1, 6],
    ]);
  });
});

describe('percentiles in SQLite', () => {
  const key = { namespace: 'Custom/P', metric: 'Latency', dimensions: { Service: 'a' } };
  const t0 = Date.UTC(2026, 0, 1, 0, 0, 0);

  it('merges distributions across flushes and minutes, and keeps them across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-metrics-'));
    try {
      const file = join(dir, 'db.sqlite');
      let db = new SqliteSql(openDatabase(file));
      let store = new MetricStore(db);
      // 1..1000 over two minutes and three flushes: p50 ≈ 500, p99 ≈ 990.
      for (let v = 1; v <= 400; v++) store.record(key, v, 'Milliseconds', t0 + 1000);
      await store.flush();
      for (let v = 401; v <= 600; v++) store.record(key, v, 'Milliseconds', t0 + 2000);
      await store.flush();
      for (let v = 601; v <= 1000; v++) store.record(key, v, 'Milliseconds', t0 + 61_000);
      await store.stop();
      await db.close();
      db = new SqliteSql(openDatabase(file));
      store = new MetricStore(db);
      const [point] = rollUp(await store.buckets(key, t0, t0 + 120_000), t0, 120);
      expect(point!.sampleCount).toBe(1000);
      const near = (v: number | undefined, want: number) => expect(Math.abs(v! - want) / want).toBeLessThan(0.02);
      near(datapointPercentile(point!, 50), 500);
      near(datapointPercentile(point!, 99), 990);
      near(datapointPercentile(point!, 90), 900);
      expect(datapointPercentile(point!, 100)).toBe(1000);
      // Only the first minute: 1..600.
      const [first] = rollUp(await store.buckets(key, t0, t0 + 60_000), t0, 60);
      near(datapointPercentile(first!, 50), 300);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no percentile for statistic sets, which carry no distribution', async () => {
    const db = new SqliteSql(openDatabase(':memory:'));
    const store = new MetricStore(db);
    store.recordStatistics(key, { sampleCount: 10, sum: 100, minimum: 1, maximum: 20 }, 'None', t0);
    const [point] = rollUp(await store.buckets(key, t0, t0 + 60_000), t0, 60);
    expect(point).toMatchObject({ sampleCount: 10, sum: 100, minimum: 1, maximum: 20 });
    expect(datapointPercentile(point!, 50)).toBeUndefined();
    await db.close();
  });
});

import { describe, expect, it } from 'vitest';
import { MetricStore, canonicalDimensions, rollUp } from './metric-store.js';

// The store on a real database (SQLite and PostgreSQL): test/integration/metrics/metric-store.int.test.ts.
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

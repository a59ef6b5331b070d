/** The metric store on a real database, SQLite and PostgreSQL: percentiles, reopen, listing, pruning. */
import { expect, it } from 'vitest';
import { MetricStore, datapointPercentile, rollUp } from '../../../src/metrics/metric-store.js';
import { forEachBackend } from '../../helpers/backends.js';

const key = { namespace: 'Custom/P', metric: 'Latency', dimensions: { Service: 'a' } };
const t0 = Date.UTC(2026, 0, 1, 0, 0, 0);

forEachBackend((backend) => {
  it('percentiles merge distributions across flushes and minutes, and are kept across a reopen', async () => {
    const fresh = await backend.fresh();
    let store = new MetricStore(fresh.db);
    // 1..1000 over two minutes and three flushes: p50 ≈ 500, p99 ≈ 990.
    for (let v = 1; v <= 400; v++) store.record(key, v, 'Milliseconds', t0 + 1000);
    await store.flush();
    for (let v = 401; v <= 600; v++) store.record(key, v, 'Milliseconds', t0 + 2000);
    await store.flush();
    for (let v = 601; v <= 1000; v++) store.record(key, v, 'Milliseconds', t0 + 61_000);
    await store.stop();
    await fresh.db.close();
    store = new MetricStore(await fresh.open());
    const [point] = rollUp(await store.buckets(key, t0, t0 + 120_000), t0, 120);
    expect(point!.sampleCount).toBe(1000);
    expect(point!.sum).toBe(500_500);
    const near = (v: number | undefined, want: number) => expect(Math.abs(v! - want) / want).toBeLessThan(0.02);
    near(datapointPercentile(point!, 50), 500);
    near(datapointPercentile(point!, 99), 990);
    near(datapointPercentile(point!, 90), 900);
    expect(datapointPercentile(point!, 100)).toBe(1000);
    expect(datapointPercentile(point!, 0.0001)).toBeGreaterThanOrEqual(1);
    // Only the first minute: 1..600.
    const [first] = rollUp(await store.buckets(key, t0, t0 + 60_000), t0, 60);
    near(datapointPercentile(first!, 50), 300);
    expect([first!.minimum, first!.maximum]).toEqual([1, 600]);
  });

  it('statistic sets have no percentile, which they carry no distribution for', async () => {
    const store = new MetricStore((await backend.fresh()).db);
    store.recordStatistics(key, { sampleCount: 10, sum: 100.5, minimum: 1, maximum: 20 }, 'None', t0);
    const [point] = rollUp(await store.buckets(key, t0, t0 + 60_000), t0, 60);
    expect(point).toMatchObject({ sampleCount: 10, sum: 100.5, minimum: 1, maximum: 20 });
    expect(datapointPercentile(point!, 50)).toBeUndefined();
  });

  it('lists metrics by namespace, name and dimension, and prunes old minutes', async () => {
    const store = new MetricStore((await backend.fresh()).db, { retentionDays: 1 });
    store.record({ namespace: 'A', metric: 'm1', dimensions: { E: 'x' } }, 1, 'Count', t0);
    store.record({ namespace: 'A', metric: 'm2', dimensions: { E: 'y' } }, 1, 'Count', t0 + 2 * 86_400_000);
    store.record({ namespace: 'B', metric: 'm1', dimensions: {} }, 1, 'Count', t0);
    const names = (keys: { namespace: string; metric: string }[]) => keys.map((k) => `${k.namespace}/${k.metric}`);
    expect(names(await store.list({}))).toEqual(['A/m1', 'A/m2', 'B/m1']);
    expect(names(await store.list({ namespace: 'A' }))).toEqual(['A/m1', 'A/m2']);
    expect(names(await store.list({ metric: 'm1' }))).toEqual(['A/m1', 'B/m1']);
    expect(names(await store.list({ namespace: 'A', dimensions: [{ name: 'E', value: 'y' }] }))).toEqual(['A/m2']);
    await store.prune(t0 + 2 * 86_400_000 + 60_000);
    expect(names(await store.list({}))).toEqual(['A/m2']);
  });

  // Two connections writing at once only exist with a server database.
  if (backend.name === 'PostgreSQL') {
    it('two replicas flushing the same new minute merge both distributions, whichever inserts the bucket first', async () => {
      const fresh = await backend.fresh();
      const a = new MetricStore(fresh.db);
      const b = new MetricStore(await fresh.open());
      // Each round a new minute neither replica has stored: both find no row and race to insert it.
      for (let round = 0; round < 20; round++) {
        const at = t0 + round * 60_000;
        for (let v = 1; v <= 50; v++) {
          a.record(key, v, 'Milliseconds', at);
          b.record(key, 1000 + v, 'Milliseconds', at);
        }
        await Promise.all([a.flush(), b.flush()]);
      }
      const buckets = await a.buckets(key, t0, t0 + 20 * 60_000);
      expect(buckets).toHaveLength(20);
      for (const bucket of buckets) {
        const inHistogram = [...(bucket.histogram ?? new Map<string, number>()).values()].reduce((n, c) => n + c, 0);
        expect({ minute: bucket.minute, sampleCount: bucket.sampleCount, inHistogram, min: bucket.minimum, max: bucket.maximum }).toEqual({
          minute: bucket.minute,
          sampleCount: 100,
          inHistogram: 100,
          min: 1,
          max: 1050,
        });
      }
    });
  }
});

import { describe, expect, it } from 'vitest';
import { addTo, fromJson, mergeInto, parsePercentile, percentile, toJson, type Histogram } from './histogram.js';

describe('metric histograms', () => {
  it('answers percentiles within 1% of the exact sample on skewed data', () => {
    // Latency-like: mostly fast, a long tail (deterministic pseudo-random).
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 20_000 }, () => 200 + Math.exp(rnd() * 10) * 3);
    const h: Histogram = new Map();
    for (const v of values) addTo(h, v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [10, 50, 90, 99, 99.9]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
      const got = percentile(h, p, sorted[0]!, sorted[sorted.length - 1]!)!;
      expect(Math.abs(got - exact) / exact, `p${p}`).toBeLessThan(0.011);
    }
    expect(h.size).toBeLessThan(600);
  });

  it('merges by adding counts and survives JSON', () => {
    const a: Histogram = new Map();
    const b: Histogram = new Map();
    for (let v = 1; v <= 50; v++) addTo(a, v);
    for (let v = 51; v <= 100; v++) addTo(b, v);
    mergeInto(a, b);
    const back = fromJson(toJson(a))!;
    expect(Math.abs(percentile(back, 50, 1, 100)! - 50) / 50).toBeLessThan(0.02);
    expect(percentile(back, 100, 1, 100)).toBe(100);
  });

  it('keeps zero and negative values apart and in order', () => {
    const h: Histogram = new Map();
    for (const v of [-10, -10, 0, 0, 0, 5]) addTo(h, v);
    expect(percentile(h, 20, -10, 5)).toBeCloseTo(-10, 0);
    expect(percentile(h, 60, -10, 5)).toBe(0);
    expect(percentile(h, 100, -10, 5)).toBe(5);
  });

  it('parses CloudWatch percentile statistics', () => {
    expect(parsePercentile('p99')).toBe(99);
    expect(parsePercentile('p99.9')).toBe(99.9);
    expect(parsePercentile('p100')).toBe(100);
    for (const bad of ['p0', 'p101', 'P99', 'tm99', 'p99.999', 'Average']) expect(parsePercentile(bad), bad).toBeUndefined();
  });
});

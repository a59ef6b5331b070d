import { describe, expect, it } from 'vitest';
import { canonicalDimensions, rollUp } from './metric-store.js';

describe('metric store helpers', () => {
  it('canonicalises dimension sets by name', () => {
    expect(canonicalDimensions({ VariantName: 'v', EndpointName: 'e' })).toBe(canonicalDimensions({ EndpointName: 'e', VariantName: 'v' }));
  });

  it('rolls minutes up into periods aligned to the start time', () => {
    const t0 = Date.UTC(2026, 0, 1, 0, 0);
    const b = (m: number, n: number, sum: number, min: number, max: number) => ({ minute: t0 + m * 60_000, sampleCount: n, sum, minimum: min, maximum: max, unit: 'Count' });
    const points = rollUp([b(0, 2, 10, 4, 6), b(1, 1, 1, 1, 1), b(5, 4, 8, 1, 3)], t0, 300);
    expect(points).toEqual([
      { timestamp: t0, sampleCount: 3, sum: 11, minimum: 1, maximum: 6, average: 11 / 3, unit: 'Count' },
      { timestamp: t0 + 300_000, sampleCount: 4, sum: 8, minimum: 1, maximum: 3, average: 2, unit: 'Count' },
    ]);
  });
});

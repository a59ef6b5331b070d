import { describe, expect, it } from 'vitest';
import { xRange } from './chart-range.js';

describe('chart x range', () => {
  it('gives a single time point a minute either side, whatever uPlot proposed', () => {
    const t = 1_780_000_000;
    // uPlot's own proposal for one time point: 86400 / 1e-3 seconds after it.
    expect(xRange([t], t, t + 86_400_000, true)).toEqual([t - 60, t + 60]);
    expect(xRange([t, t], t, t, true)).toEqual([t - 60, t + 60]);
  });

  it('pads a single numeric point by a tenth of its value, or 1 at zero', () => {
    expect(xRange([50], 40, 60, false)).toEqual([45, 55]);
    expect(xRange([0], 0, 0, false)).toEqual([-1, 1]);
  });

  it('keeps uPlot\'s range for several points and for an empty chart', () => {
    expect(xRange([10, 20], 10, 20, true)).toEqual([10, 20]);
    expect(xRange([], null, null, true)).toEqual([null, null]);
  });
});

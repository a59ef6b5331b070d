import { describe, expect, it } from 'vitest';
import { parseNumbers, plotSeries } from './playground.js';

describe('playground series', () => {
  it('reads the last numeric column of a CSV and skips a header', () => {
    expect(parseNumbers('t,value\n0,1.5\n1,2\n', 'text/csv')).toEqual([1.5, 2]);
    expect(parseNumbers('1,2,3', 'text/csv')).toEqual([1, 2, 3]);
    expect(parseNumbers('a\nb', 'text/csv')).toBeNull();
  });

  it('finds the first numeric array in JSON', () => {
    expect(parseNumbers('{"anomalies":[0,1,0]}', 'application/json')).toEqual([0, 1, 0]);
    expect(parseNumbers('{"predictions":[{"score":0.5},{"score":2}]}', 'application/json')).toEqual([0.5, 2]);
  });

  it('marks points for 0/1 flags or indices, and overlays same-length outputs', () => {
    const flags = plotSeries([1, 5, 2], [0, 1, 0])!;
    expect(flags.series[1]).toMatchObject({ points: true, values: [null, 5, null] });
    const idx = plotSeries([1, 5, 2, 7], [1, 3])!;
    expect(idx.series[1]!.values).toEqual([null, 5, null, 7]);
    expect(plotSeries([1, 2], [3, 4])!.series[1]).toMatchObject({ label: 'output', values: [3, 4] });
    expect(plotSeries([1, 2], null)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { decodePoint, decodeValue, encodePoint, encodeValue, gridPoint, gridSize, searchSpace, snapPoint } from './search-space.js';

describe('search space', () => {
  it('decodes linear, logarithmic and reverse-logarithmic ranges at the ends and the middle', () => {
    const { dims, problems } = searchSpace({
      IntegerParameterRanges: [{ Name: 'depth', MinValue: '1', MaxValue: '9' }],
      ContinuousParameterRanges: [
        { Name: 'lr', MinValue: '0.0001', MaxValue: '0.1', ScalingType: 'Logarithmic' },
        { Name: 'momentum', MinValue: '0.9', MaxValue: '0.999', ScalingType: 'ReverseLogarithmic' },
        { Name: 'dropout', MinValue: '0', MaxValue: '0.5', ScalingType: 'Auto' },
      ],
      CategoricalParameterRanges: [{ Name: 'opt', Values: ['sgd', 'adam', 'rmsprop'] }],
    });
    expect(problems).toEqual([]);
    expect(dims.map((d) => d.name)).toEqual(['depth', 'lr', 'momentum', 'dropout', 'opt']);
    expect(decodePoint(dims, [0, 0, 0, 0, 0])).toEqual({ depth: '1', lr: '0.0001', momentum: '0.9', dropout: '0', opt: 'sgd' });
    expect(decodePoint(dims, [1, 1, 1, 1, 1])).toEqual({ depth: '9', lr: '0.1', momentum: '0.999', dropout: '0.5', opt: 'rmsprop' });
    const mid = decodePoint(dims, [0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(mid.depth).toBe('5');
    expect(Number(mid.lr)).toBeCloseTo(Math.sqrt(0.0001 * 0.1), 10); // geometric middle
    expect(Number(mid.momentum)).toBeCloseTo(1 - Math.sqrt(0.1 * 0.001), 10); // 1 - geometric middle of 1 - v
    expect(mid.dropout).toBe('0.25');
    expect(mid.opt).toBe('adam');
  });

  it('refuses ranges SageMaker refuses, each with its reason', () => {
    const { problems } = searchSpace({
      IntegerParameterRanges: [
        { Name: 'a', MinValue: '1.5', MaxValue: '3' },
        { Name: 'b', MinValue: '1', MaxValue: '10', ScalingType: 'ReverseLogarithmic' },
      ],
      ContinuousParameterRanges: [
        { Name: 'c', MinValue: '0', MaxValue: '1', ScalingType: 'Logarithmic' },
        { Name: 'd', MinValue: '2', MaxValue: '1' },
        { Name: 'a', MinValue: '0', MaxValue: '1' },
      ],
      CategoricalParameterRanges: [{ Name: 'e', Values: [] }],
    });
    expect(problems.join('\n')).toMatch(/a: MinValue 1.5 and MaxValue 3 must be integers/);
    expect(problems.join('\n')).toMatch(/b: ReverseLogarithmic scaling applies only to continuous ranges/);
    expect(problems.join('\n')).toMatch(/c: Logarithmic scaling needs MinValue greater than 0/);
    expect(problems.join('\n')).toMatch(/d: MinValue 2 is greater than MaxValue 1/);
    expect(problems.join('\n')).toMatch(/Hyperparameter a appears in more than one range/);
    expect(problems.join('\n')).toMatch(/e: Values must not be empty/);
  });

  it('snaps integers and categories to the point of the value they send', () => {
    const { dims } = searchSpace({ IntegerParameterRanges: [{ Name: 'n', MinValue: '0', MaxValue: '4' }], CategoricalParameterRanges: [{ Name: 'c', Values: ['x', 'y'] }] });
    expect(snapPoint(dims, [0.37, 0.9])).toEqual([0.25, 0.75]); // 0.37·4 rounds to 1; 'y' is the upper half
    expect(decodePoint(dims, snapPoint(dims, [0.37, 0.9]))).toEqual(decodePoint(dims, [0.37, 0.9]));
  });

  it('enumerates the categorical grid, every combination once', () => {
    const { dims } = searchSpace({ CategoricalParameterRanges: [{ Name: 'a', Values: ['1', '2'] }, { Name: 'b', Values: ['x', 'y', 'z'] }] });
    expect(gridSize(dims)).toBe(6);
    const combos = Array.from({ length: 6 }, (_v, i) => decodePoint(dims, gridPoint(dims, i)));
    expect(combos.map((c) => `${c.a}${c.b}`)).toEqual(['1x', '1y', '1z', '2x', '2y', '2z']);
  });

  it('keeps a decoded value inside its range for any coordinate', () => {
    const { dims } = searchSpace({ ContinuousParameterRanges: [{ Name: 'v', MinValue: '0.001', MaxValue: '1', ScalingType: 'Logarithmic' }] });
    for (const u of [-1, 0, 0.3, 1, 2]) {
      const v = Number(decodeValue(dims[0]!, u));
      expect(v).toBeGreaterThanOrEqual(0.001);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('encodes a value back to its coordinate (warm start parents), and refuses values outside the range', () => {
    const { dims } = searchSpace({
      IntegerParameterRanges: [{ Name: 'n', MinValue: '1', MaxValue: '100', ScalingType: 'Logarithmic' }],
      ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0.001', MaxValue: '0.1', ScalingType: 'Logarithmic' }, { Name: 'm', MinValue: '0.5', MaxValue: '0.99', ScalingType: 'ReverseLogarithmic' }],
      CategoricalParameterRanges: [{ Name: 'k', Values: ['a', 'b', 'c'] }],
    });
    for (const u of [0, 0.25, 0.5, 0.9, 1]) {
      for (const d of dims) {
        const v = decodeValue(d, u);
        expect(decodeValue(d, encodeValue(d, v)!)).toBe(v);
      }
    }
    expect(encodeValue(dims[1]!, '0.5')).toBeUndefined();
    expect(encodeValue(dims[3]!, 'z')).toBeUndefined();
    expect(encodePoint(dims, { n: '10', lr: '0.01', m: '0.9' })).toBeUndefined();
    expect(encodePoint(dims, { n: '10', lr: '0.01', m: '0.9', k: 'b' })).toEqual([expect.closeTo(0.5, 6), expect.closeTo(0.5, 6), expect.any(Number), 0.5]);
  });
});

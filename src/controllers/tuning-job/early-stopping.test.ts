import { describe, expect, it } from 'vitest';
import { hyperbandBrackets, hyperbandRule, medianRule } from './early-stopping.js';

describe('median stopping rule', () => {
  const good = [
    [0.5, 0.7, 0.8, 0.85],
    [0.4, 0.6, 0.7, 0.75],
    [0.6, 0.8, 0.9, 0.95],
  ];
  it('stops a job worse than the median of the earlier jobs’ running averages at the same epoch', () => {
    // Running averages at epoch 2: 0.6, 0.5, 0.7 → median 0.6.
    expect(medianRule([0.2, 0.3], good)).toMatchObject({ stop: true, reason: expect.stringMatching(/^epoch 2: .*median 0\.6 of 3/) });
    expect(medianRule([0.2, 0.61], good)).toBeUndefined();
  });
  it('judges nothing before three earlier jobs reached the epoch', () => {
    expect(medianRule([0.0], good.slice(0, 2))).toBeUndefined();
    expect(medianRule([0, 0, 0, 0, 0], good)).toBeUndefined();
    expect(medianRule([], good)).toBeUndefined();
  });
});

describe('Hyperband', () => {
  it('builds brackets of rungs from MinResource by factors of 3, the last one running the full budget', () => {
    expect(hyperbandBrackets(1, 9)).toEqual([[1, 3], [3], []]);
    expect(hyperbandBrackets(1, 10)).toEqual([[1, 3, 9], [3, 9], [9], []]);
    expect(hyperbandBrackets(5, 5)).toEqual([[]]);
  });
  it('keeps the best third of a rung, never stops before MinResource, and stops at MaxResource', () => {
    const rungs = [1, 3];
    expect(hyperbandRule([], [[0.9]], rungs, 9)).toBeUndefined();
    // Alone at its rung: goes on.
    expect(hyperbandRule([0.1], [], rungs, 9)).toBeUndefined();
    // Two at rung 1: the worse stops, the better goes on.
    expect(hyperbandRule([0.1, 0.2], [[0.5]], rungs, 9)).toMatchObject({ stop: true, reason: 'rung 1: not among the best 1 of 2 jobs of its bracket' });
    expect(hyperbandRule([0.5, 0.6], [[0.1]], rungs, 9)).toBeUndefined();
    // Past rung 3 it is judged at rung 3 against the jobs that reached it.
    expect(hyperbandRule([0.5, 0.6, 0.7, 0.8], [[0.1, 0.2, 0.9], [0.4, 0.4, 0.4]], rungs, 9)).toMatchObject({ stop: true, reason: expect.stringMatching(/^rung 3:/) });
    expect(hyperbandRule(Array(9).fill(1), [], rungs, 9)).toEqual({ stop: true, reason: 'reached MaxResource (9 epochs)' });
  });
});

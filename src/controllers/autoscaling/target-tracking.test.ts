import { describe, expect, it } from 'vitest';
import { decide, trackedCapacity, SCALE_IN_DATAPOINTS, SCALE_OUT_DATAPOINTS, type PolicyView, type TargetView } from './target-tracking.js';

const policy = (datapoints: (number | undefined)[], over: Partial<PolicyView> = {}): PolicyView => ({
  name: 'p',
  targetValue: 10,
  scaleOutCooldownSeconds: 0,
  scaleInCooldownSeconds: 0,
  disableScaleIn: false,
  datapoints,
  ...over,
});
const target = (policies: PolicyView[], over: Partial<TargetView> = {}): TargetView => ({
  current: 1,
  min: 1,
  max: 4,
  now: 1_000_000,
  scaleOutSuspended: false,
  scaleInSuspended: false,
  policies,
  ...over,
});
const repeat = (v: number | undefined, n: number) => Array.from({ length: n }, () => v);

describe('trackedCapacity', () => {
  it('is ceil(current × metric / target) clamped to min and max', () => {
    expect(trackedCapacity(2, 25, 10, 1, 10)).toBe(5);
    expect(trackedCapacity(2, 10, 10, 1, 10)).toBe(2);
    expect(trackedCapacity(2, 100, 10, 1, 4)).toBe(4);
    expect(trackedCapacity(3, 0, 10, 1, 4)).toBe(1);
  });
});

describe('decide', () => {
  it('scales out after three datapoints above the target, not after two', () => {
    expect(decide(target([policy(repeat(30, SCALE_OUT_DATAPOINTS - 1))]))).toEqual({ kind: 'none' });
    expect(decide(target([policy(repeat(30, SCALE_OUT_DATAPOINTS))]))).toMatchObject({ kind: 'out', desired: 3, alarm: 'AlarmHigh' });
  });

  it('never goes above max', () => {
    expect(decide(target([policy(repeat(1000, 3))], { current: 2 }))).toMatchObject({ kind: 'out', desired: 4 });
  });

  it('a missing datapoint breaks the run', () => {
    expect(decide(target([policy([30, undefined, 30])]))).toEqual({ kind: 'none' });
  });

  it('scales in only after a sustained low, to min at zero traffic', () => {
    expect(decide(target([policy(repeat(0, SCALE_IN_DATAPOINTS - 1))], { current: 3 }))).toEqual({ kind: 'none' });
    expect(decide(target([policy(repeat(0, SCALE_IN_DATAPOINTS))], { current: 3 }))).toMatchObject({ kind: 'in', desired: 1, alarm: 'AlarmLow' });
  });

  it('does not scale in above 90 % of the target', () => {
    expect(decide(target([policy(repeat(9.5, SCALE_IN_DATAPOINTS))], { current: 3 }))).toEqual({ kind: 'none' });
  });

  it('honours DisableScaleIn and suspended scale-in', () => {
    expect(decide(target([policy(repeat(0, 20), { disableScaleIn: true })], { current: 3 }))).toEqual({ kind: 'none' });
    expect(decide(target([policy(repeat(0, 20))], { current: 3, scaleInSuspended: true }))).toEqual({ kind: 'none' });
  });

  it('honours suspended scale-out', () => {
    expect(decide(target([policy(repeat(30, 3))], { scaleOutSuspended: true }))).toEqual({ kind: 'none' });
  });

  it('waits for the scale-out cooldown after a scale-out', () => {
    const p = policy(repeat(30, 3), { scaleOutCooldownSeconds: 60 });
    expect(decide(target([p], { lastScaleOutAt: 1_000_000 - 30_000 }))).toEqual({ kind: 'none' });
    expect(decide(target([p], { lastScaleOutAt: 1_000_000 - 60_000 }))).toMatchObject({ kind: 'out' });
  });

  it('waits for the scale-in cooldown after a scale-in', () => {
    const p = policy(repeat(0, 15), { scaleInCooldownSeconds: 120 });
    expect(decide(target([p], { current: 3, lastScaleInAt: 1_000_000 - 60_000 }))).toEqual({ kind: 'none' });
    expect(decide(target([p], { current: 3, lastScaleInAt: 1_000_000 - 120_000 }))).toMatchObject({ kind: 'in', desired: 1 });
  });

  it('scales in only when every policy agrees, and out when any one asks', () => {
    const low = policy(repeat(0, 15), { name: 'low' });
    const busy = policy(repeat(9.8, 15), { name: 'busy' });
    expect(decide(target([low, busy], { current: 3 }))).toEqual({ kind: 'none' });
    const hot = policy(repeat(25, 15), { name: 'hot' });
    expect(decide(target([low, hot], { current: 2 }))).toMatchObject({ kind: 'out', policy: 'hot', desired: 4 });
  });

  it('brings a capacity outside [min, max] inside at once', () => {
    expect(decide(target([], { current: 1, min: 2 }))).toEqual({ kind: 'bounds', desired: 2, bound: 'min' });
    expect(decide(target([], { current: 5, max: 4 }))).toEqual({ kind: 'bounds', desired: 4, bound: 'max' });
  });
});

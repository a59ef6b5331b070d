import { describe, expect, it } from 'vitest';
import { RateWindow } from './rate-window.js';

describe('RateWindow', () => {
  it('sums the whole seconds of the window and leaves the current second out', () => {
    const w = new RateWindow(60);
    const t0 = 1_000_000_000;
    w.add(1, t0);
    w.add(2, t0 + 500);
    w.add(4, t0 + 1_000);
    w.add(8, t0 + 2_000);
    expect(w.sum(2, t0 + 2_100)).toBe(7);
    expect(w.sum(10, t0 + 3_000)).toBe(15);
  });

  it('forgets seconds older than its span even when their slot was not reused', () => {
    const w = new RateWindow(10);
    const t0 = 2_000_000_000;
    w.add(5, t0);
    expect(w.sum(9, t0 + 20_000)).toBe(0);
    w.add(1, t0 + 10_000); // same slot, a new second: the old value is gone
    expect(w.sum(5, t0 + 11_000)).toBe(1);
  });
});

/**
 * @module metrics/rate-window — per-second sums over the last few minutes, for autoscaling's
 * sub-minute metric windows (the metric store keeps 1-minute buckets only). Recording is one array
 * write; memory is fixed (one slot per second of `spanSeconds`).
 */
export class RateWindow {
  private readonly sums: Float64Array;
  private readonly seconds: Float64Array;

  constructor(private readonly spanSeconds = 600) {
    this.sums = new Float64Array(spanSeconds);
    this.seconds = new Float64Array(spanSeconds).fill(-1);
  }

  add(value: number, atMs = Date.now()): void {
    const sec = Math.floor(atMs / 1000);
    const i = sec % this.spanSeconds;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.sums[i] = 0;
    }
    this.sums[i]! += value;
  }

  /** Sum of the values recorded in the `windowSeconds` whole seconds before `nowMs` (the current, partial second excluded). */
  sum(windowSeconds: number, nowMs = Date.now()): number {
    const now = Math.floor(nowMs / 1000);
    const n = Math.min(Math.ceil(windowSeconds), this.spanSeconds - 1);
    let total = 0;
    for (let sec = now - n; sec < now; sec++) {
      const i = ((sec % this.spanSeconds) + this.spanSeconds) % this.spanSeconds;
      if (this.seconds[i] === sec) total += this.sums[i]!;
    }
    return total;
  }
}

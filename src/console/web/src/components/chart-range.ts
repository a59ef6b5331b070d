/**
 * @module console/components/chart-range — the x range a chart shows. For a single x value uPlot
 * widens a time axis to `min + 86400 / ms` (with seconds, ms = 1e-3: 1,000 days, uPlot.esm.js
 * autoScaleX), so one point drew a multi-year axis. One point gets a minute either side instead
 * (a tenth of its value, or 1, either side on a numeric axis).
 */

/** Seconds shown on each side of a single time point. */
export const SINGLE_POINT_PAD_SECONDS = 60;

/** The range for x values `xs` (sorted, as uPlot requires); `min`/`max` are uPlot's proposal. */
export function xRange(xs: ArrayLike<number | null | undefined>, min: number | null, max: number | null, time: boolean): [number | null, number | null] {
  const first = xs.length > 0 ? xs[0] : undefined;
  if (first == null || xs[xs.length - 1] !== first) return [min, max];
  const pad = time ? SINGLE_POINT_PAD_SECONDS : Math.abs(first) * 0.1 || 1;
  return [first - pad, first + pad];
}

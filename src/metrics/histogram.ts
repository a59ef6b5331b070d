/**
 * @module metrics/histogram — the value distribution kept with each 1-minute metric bucket, so that
 * percentile statistics (`p50`, `p99`, `p99.9`) can be answered for any period, as CloudWatch does.
 *
 * Log-scale bins with 2% relative width (a DDSketch-style layout): a value's bin is
 * floor(log(|v|) / log(1.02)), so any percentile comes back within about 1% of the true sample,
 * distributions merge by adding counts, and a minute of latencies from 100 µs to 60 s needs at most a
 * few hundred bins (typically a handful). Zero and negative values have their own bins.
 */

const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);

/** bin key → count. Keys: `z` for 0, `<n>` for positive bin n, `-<n>` for negative values of bin n. */
export type Histogram = Map<string, number>;

export function binOf(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return 'z';
  const n = Math.floor(Math.log(Math.abs(v)) / LOG_GAMMA);
  return v > 0 ? String(n) : `-${n}`;
}

/** The value a bin stands for: its geometric middle. */
function valueOf(key: string): number {
  if (key === 'z') return 0;
  const neg = key.startsWith('-');
  const n = Number(neg ? key.slice(1) : key);
  const v = Math.pow(GAMMA, n + 0.5);
  return neg ? -v : v;
}

export function addTo(h: Histogram, v: number, count = 1): void {
  const k = binOf(v);
  h.set(k, (h.get(k) ?? 0) + count);
}

export function mergeInto(target: Histogram, from: Histogram): void {
  for (const [k, c] of from) target.set(k, (target.get(k) ?? 0) + c);
}

export function toJson(h: Histogram): string {
  return JSON.stringify(Object.fromEntries(h));
}

export function fromJson(text: string | null | undefined): Histogram | undefined {
  if (!text) return undefined;
  return new Map(Object.entries(JSON.parse(text) as Record<string, number>));
}

/**
 * The p-th percentile (0 < p ≤ 100): the value of the bin holding the sample of that rank, clamped
 * to the observed minimum and maximum; the first and last ranks are the minimum and maximum.
 */
export function percentile(h: Histogram, p: number, minimum: number, maximum: number): number | undefined {
  let total = 0;
  for (const c of h.values()) total += c;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  // The extremes are known exactly; bins only approximate.
  if (rank >= total) return maximum;
  if (rank === 1) return minimum;
  const bins = [...h.entries()].map(([k, c]) => [valueOf(k), c] as const).sort((a, b) => a[0] - b[0]);
  let seen = 0;
  for (const [v, c] of bins) {
    seen += c;
    if (seen >= rank) return Math.min(maximum, Math.max(minimum, v));
  }
  return maximum;
}

/** `p99`, `p99.9`, `p50` → 99, 99.9, 50; undefined for anything else (CloudWatch's pNN.NN form). */
export function parsePercentile(stat: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d{1,2})?|100)$/.exec(stat);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p > 0 && p <= 100 ? p : undefined;
}

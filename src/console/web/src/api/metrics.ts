/**
 * @module console/api/metrics — endpoint metrics for the live charts, read from the Prometheus
 * text at `/_slipway/metrics`. Charts only see `EndpointSample`s, so the source can move to
 * another API without touching them. Metric names follow SageMaker's (Invocations, ModelLatency,
 * Invocation4XXErrors, Invocation5XXErrors) in whatever Prometheus spelling the server uses;
 * matching is by case-insensitive name fragments and an endpoint label.
 */

import { apiFetch } from './client.js';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, '$1');
    }
    const value = m[4] === '+Inf' ? Infinity : Number(m[4]);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Cumulative counters for one endpoint at one instant. */
export interface EndpointCounters {
  at: number;
  invocations: number;
  errors4xx: number;
  errors5xx: number;
  /** Cumulative latency histogram: upper bound (ms) → count. */
  latencyBuckets: Map<number, number>;
  /** Quantiles published directly (summary), in ms. */
  quantiles: { p50?: number; p99?: number };
  byVariant: Record<string, number>;
}

const endpointOf = (l: Record<string, string>) => l.endpoint ?? l.endpoint_name ?? l.EndpointName ?? l.endpointName;
const variantOf = (l: Record<string, string>) => l.variant ?? l.variant_name ?? l.VariantName ?? l.variantName ?? '';

/** Seconds or ms? Prometheus convention is seconds when the name says so. */
const toMs = (name: string, v: number) => (/micro/i.test(name) ? v / 1000 : /seconds/i.test(name) ? v * 1000 : v);

/** Counters of `endpoint` (only of its variant `variant`, when given). */
export function countersFor(samples: PromSample[], endpoint: string, at = Date.now(), variant?: string): EndpointCounters {
  const c: EndpointCounters = { at, invocations: 0, errors4xx: 0, errors5xx: 0, latencyBuckets: new Map(), quantiles: {}, byVariant: {} };
  for (const s of samples) {
    if (endpointOf(s.labels) !== endpoint) continue;
    if (variant !== undefined && variantOf(s.labels) !== variant) continue;
    const n = s.name.toLowerCase();
    if (n.includes('4xx')) c.errors4xx += s.value;
    else if (n.includes('5xx')) c.errors5xx += s.value;
    else if (n.includes('invocations') && !n.includes('error') && !n.includes('bucket') && !n.endsWith('_sum')) {
      if (n.endsWith('_created')) continue;
      c.invocations += s.value;
      const v = variantOf(s.labels);
      c.byVariant[v] = (c.byVariant[v] ?? 0) + s.value;
    } else if (n.includes('latency') && (n.includes('model') || !n.includes('overhead'))) {
      if (n.endsWith('_bucket') && s.labels.le !== undefined) {
        const le = s.labels.le === '+Inf' ? Infinity : toMs(n, Number(s.labels.le));
        c.latencyBuckets.set(le, (c.latencyBuckets.get(le) ?? 0) + s.value);
      } else if (s.labels.quantile === '0.5') c.quantiles.p50 = toMs(n, s.value);
      else if (s.labels.quantile === '0.99') c.quantiles.p99 = toMs(n, s.value);
    }
  }
  return c;
}

/** Quantile from the difference of two cumulative histograms (the window between polls). */
export function histogramQuantile(prev: Map<number, number>, cur: Map<number, number>, q: number): number | null {
  const bounds = [...cur.keys()].sort((a, b) => a - b);
  const deltas = bounds.map((b) => (cur.get(b) ?? 0) - (prev.get(b) ?? 0));
  const total = deltas[deltas.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (deltas[i]! >= rank) {
      const hi = bounds[i]!;
      const lo = i ? bounds[i - 1]! : 0;
      const below = i ? deltas[i - 1]! : 0;
      if (!Number.isFinite(hi)) return lo;
      const inBucket = deltas[i]! - below;
      return inBucket > 0 ? lo + ((hi - lo) * (rank - below)) / inBucket : hi;
    }
  }
  return null;
}

export interface EndpointSample {
  at: number;
  perSecond: number;
  p50: number | null;
  p99: number | null;
  e4xx: number;
  e5xx: number;
}

export function toSample(prev: EndpointCounters, cur: EndpointCounters): EndpointSample {
  const dt = Math.max(0.001, (cur.at - prev.at) / 1000);
  const hasHist = cur.latencyBuckets.size > 0;
  return {
    at: cur.at,
    perSecond: Math.max(0, (cur.invocations - prev.invocations) / dt),
    p50: hasHist ? histogramQuantile(prev.latencyBuckets, cur.latencyBuckets, 0.5) : (cur.quantiles.p50 ?? null),
    p99: hasHist ? histogramQuantile(prev.latencyBuckets, cur.latencyBuckets, 0.99) : (cur.quantiles.p99 ?? null),
    e4xx: Math.max(0, cur.errors4xx - prev.errors4xx),
    e5xx: Math.max(0, cur.errors5xx - prev.errors5xx),
  };
}

export class MetricsUnavailable extends Error {}

export async function fetchSamples(signal?: AbortSignal): Promise<PromSample[]> {
  const res = await apiFetch('/_slipway/metrics', { signal, headers: { Accept: 'text/plain' } }, 'slipway');
  if (!res.ok) throw new MetricsUnavailable(`The server answered ${res.status} for /_slipway/metrics.`);
  return parsePrometheus(await res.text());
}

/** One variant's totals since the server started, for the shadow comparison. */
export interface VariantTotals {
  invocations: number;
  errors4xx: number;
  errors5xx: number;
  p50: number | null;
  p99: number | null;
}

export function variantTotals(samples: PromSample[], endpoint: string, variant: string): VariantTotals {
  const c = countersFor(samples, endpoint, Date.now(), variant);
  const none = new Map<number, number>();
  return {
    invocations: c.invocations,
    errors4xx: c.errors4xx,
    errors5xx: c.errors5xx,
    p50: histogramQuantile(none, c.latencyBuckets, 0.5),
    p99: histogramQuantile(none, c.latencyBuckets, 0.99),
  };
}

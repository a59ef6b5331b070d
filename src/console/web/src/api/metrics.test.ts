import { describe, expect, it } from 'vitest';
import { countersFor, histogramQuantile, parsePrometheus, toSample } from './metrics.js';

const TEXT = (n: number, slow: number) => `
# HELP sagemaker_invocations_total InvokeEndpoint requests that reached a model (Invocations).
# TYPE sagemaker_invocations_total counter
sagemaker_invocations_total{endpoint="ep",variant="A"} ${n}
sagemaker_invocations_total{endpoint="other",variant="A"} 99
sagemaker_invocation_4xx_errors_total{endpoint="ep",variant="A"} 1
sagemaker_invocation_5xx_errors_total{endpoint="ep",variant="A"} 0
sagemaker_model_latency_microseconds_bucket{le="1000",endpoint="ep",variant="A"} ${n - slow}
sagemaker_model_latency_microseconds_bucket{le="10000",endpoint="ep",variant="A"} ${n}
sagemaker_model_latency_microseconds_bucket{le="+Inf",endpoint="ep",variant="A"} ${n}
sagemaker_model_latency_microseconds_sum{endpoint="ep",variant="A"} 12345
sagemaker_overhead_latency_microseconds_bucket{le="1000",endpoint="ep",variant="A"} 0
`;

describe('endpoint metrics from Prometheus text', () => {
  it('parses samples with labels', () => {
    const s = parsePrometheus('a_total{x="1",y="q\\"uote"} 3\n# c\nb 2.5\n');
    expect(s).toEqual([
      { name: 'a_total', labels: { x: '1', y: 'q"uote' }, value: 3 },
      { name: 'b', labels: {}, value: 2.5 },
    ]);
  });

  it('computes rate, errors and latency quantiles in ms between two polls', () => {
    const a = countersFor(parsePrometheus(TEXT(10, 0)), 'ep', 0);
    const b = countersFor(parsePrometheus(TEXT(30, 2)), 'ep', 2000);
    expect(b.invocations).toBe(30);
    expect(b.byVariant).toEqual({ A: 30 });
    const s = toSample(a, b);
    expect(s.perSecond).toBe(10);
    expect(s.e4xx).toBe(0);
    expect(s.p50).toBeGreaterThan(0);
    expect(s.p50).toBeLessThanOrEqual(1);
    expect(s.p99).toBeGreaterThan(1);
    expect(s.p99).toBeLessThanOrEqual(10);
  });

  it('has no quantile for a window without requests', () => {
    const m = new Map([[1, 5], [Infinity, 5]]);
    expect(histogramQuantile(m, m, 0.5)).toBeNull();
  });
});

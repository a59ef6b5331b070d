/**
 * @module console/components/shadow-comparison — an endpoint with a shadow variant: production and
 * shadow side by side (requests, model errors, latency since the server started), read from
 * `/_slipway/metrics` every few seconds, as SageMaker's shadow test dashboard compares them.
 */
import { useEffect, useState } from 'react';
import { fetchSamples, MetricsUnavailable, variantTotals, type VariantTotals } from '../api/metrics.js';
import { Section } from './ui.js';

const ms = (v: number | null) => (v === null ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`);
const rate = (errors: number, total: number) => (total > 0 ? `${errors} (${((100 * errors) / total).toFixed(1)}%)` : String(errors));

export function ShadowComparison({ endpoint, production, shadow }: { endpoint: string; production: string; shadow: string }) {
  const [totals, setTotals] = useState<{ production: VariantTotals; shadow: VariantTotals } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const samples = await fetchSamples();
        if (!stopped) {
          setTotals({ production: variantTotals(samples, endpoint, production), shadow: variantTotals(samples, endpoint, shadow) });
          setError(null);
        }
      } catch (e) {
        if (!stopped) setError(e instanceof MetricsUnavailable ? e.message : 'Could not read /_slipway/metrics.');
      }
      if (!stopped) timer = setTimeout(tick, 3000);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [endpoint, production, shadow]);
  const rows: [string, (t: VariantTotals) => string][] = [
    ['Requests', (t) => String(t.invocations)],
    ['Model 4xx', (t) => rate(t.errors4xx, t.invocations)],
    ['Model 5xx or no answer', (t) => rate(t.errors5xx, t.invocations)],
    ['Model latency p50', (t) => ms(t.p50)],
    ['Model latency p99', (t) => ms(t.p99)],
  ];
  return (
    <Section title="Shadow test">
      <p className="hint">
        Callers get answers from <strong>{production}</strong> only; <strong>{shadow}</strong> gets a copy of the sampled requests (its weight relative to
        production's is the share copied) and its answers are dropped. Totals since the server started.
      </p>
      {error ? (
        <p className="hint">Metrics are not available: {error}</p>
      ) : !totals ? (
        <p className="muted">Loading…</p>
      ) : (
        <table className="simple" aria-label="Shadow comparison">
          <thead>
            <tr>
              <th />
              <th>{production} (production)</th>
              <th>{shadow} (shadow)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, cell]) => (
              <tr key={label}>
                <td>{label}</td>
                <td>{cell(totals.production)}</td>
                <td>{cell(totals.shadow)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

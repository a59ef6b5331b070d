/**
 * @module controllers/training-job/metrics — MetricDefinitions applied to log lines (contract
 * §3.6): the first capture group of each match is parsed as a number. JS RegExp stands in for
 * the real service's (unconfirmed) dialect.
 */
import type { MetricDatum } from './types.js';

export interface MetricDefinition {
  Name: string;
  Regex: string;
}

export class MetricExtractor {
  private readonly defs: { name: string; re: RegExp }[] = [];
  /** Last value per metric. */
  readonly latest = new Map<string, MetricDatum>();

  constructor(defs: readonly MetricDefinition[] = []) {
    for (const d of defs) {
      try {
        this.defs.push({ name: d.Name, re: new RegExp(d.Regex) });
      } catch {
        // Validated at create; an unparsable pattern simply never matches.
      }
    }
  }

  get empty(): boolean {
    return this.defs.length === 0;
  }

  /** Returns the data points found in one line (also recorded in `latest`). */
  scan(line: string, timestampMs: number): MetricDatum[] {
    const out: MetricDatum[] = [];
    for (const d of this.defs) {
      const m = d.re.exec(line);
      if (!m) continue;
      const raw = m[1] ?? m[0];
      const value = Number.parseFloat(raw.trim());
      if (!Number.isFinite(value)) continue;
      const datum = { MetricName: d.name, Value: value, Timestamp: Math.round(timestampMs) / 1000 };
      this.latest.set(d.name, datum);
      out.push(datum);
    }
    return out;
  }
}

/** Checks each Regex compiles; returns the problems (for CreateTrainingJob's ValidationException). */
export function invalidMetricRegexes(defs: readonly MetricDefinition[] = []): string[] {
  const bad: string[] = [];
  for (const d of defs) {
    try {
      new RegExp(d.Regex);
    } catch {
      bad.push(d.Name);
    }
  }
  return bad;
}

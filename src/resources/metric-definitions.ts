/**
 * @module resources/metric-definitions — a training job's MetricDefinitions: regexes matched with
 * RE2 (the `re2js` port: linear time, no lookahead or backreferences; lookbehind allowed), which
 * CreateTrainingJob checks and the training controller scans log lines with
 * (controllers/training-job/metrics.ts).
 */
import { RE2JS } from 're2js';

export interface MetricDefinition {
  Name: string;
  Regex: string;
}

export function compileMetricRegex(regex: string): RE2JS {
  return RE2JS.compile(regex, RE2JS.LOOKBEHINDS);
}

/**
 * Checks each Regex compiles under RE2; returns one sentence per problem (for CreateTrainingJob's
 * ValidationException).
 */
export function invalidMetricRegexes(defs: readonly MetricDefinition[] = []): string[] {
  const bad: string[] = [];
  for (const d of defs) {
    try {
      compileMetricRegex(d.Regex);
    } catch (err) {
      bad.push(`${d.Name}: Regex ${JSON.stringify(d.Regex)} is not supported (${(err as Error).message})`);
    }
  }
  return bad;
}

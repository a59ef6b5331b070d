/**
 * @module controllers/training-job/metrics — MetricDefinitions applied to log lines (contract
 * §3.6): the first capture group of each match is parsed as a number.
 *
 * The regexes are the caller's and the lines the container's, and both reach the server's only
 * thread: they are matched with RE2 (the `re2js` port, linear time in the line, see
 * services/logs/filter-regex.ts for why not the `re2` addon), over at most the first
 * MAX_SCAN_CHARS of a line, within a CPU budget shared by every running job. Lines that arrive
 * while the budget is spent are not scanned (the job keeps running; the skip is logged once).
 * RE2 stands in for SageMaker's (unconfirmed) dialect: lazy quantifiers, classes, named groups and
 * lookbehind work; lookahead and backreferences are refused at CreateTrainingJob.
 */
import type { RE2JS } from 're2js';
import { compileMetricRegex, type MetricDefinition } from '../../resources/metric-definitions.js';
import type { MetricDatum } from '../../resources/training-job.js';

/** Metric lines are short; a longer line is scanned over its first this many characters. */
export const MAX_SCAN_CHARS = 16 * 1024;
/** Milliseconds of matching per second, across all jobs, before lines are skipped. */
export const SCAN_BUDGET_MS_PER_SECOND = 100;

/** The shared budget (module state: one per server process, which is what it protects). */
const budget = { windowStart: 0, spentMs: 0 };

function budgetLeft(now: number): boolean {
  if (now - budget.windowStart >= 1_000) {
    budget.windowStart = now;
    budget.spentMs = 0;
  }
  return budget.spentMs < SCAN_BUDGET_MS_PER_SECOND;
}

export class MetricExtractor {
  private readonly defs: { name: string; re: RE2JS }[] = [];
  /** Last value per metric. */
  readonly latest = new Map<string, MetricDatum>();
  /** Lines not scanned because the shared budget was spent (see the module header). */
  skippedLines = 0;

  constructor(defs: readonly MetricDefinition[] = []) {
    for (const d of defs) {
      try {
        this.defs.push({ name: d.Name, re: compileMetricRegex(d.Regex) });
      } catch {
        // Validated at create; a pattern that does not compile simply never matches.
      }
    }
  }

  get empty(): boolean {
    return this.defs.length === 0;
  }

  /** Returns the data points found in one line (also recorded in `latest`). */
  scan(line: string, timestampMs: number): MetricDatum[] {
    const out: MetricDatum[] = [];
    const text = line.length > MAX_SCAN_CHARS ? line.slice(0, MAX_SCAN_CHARS) : line;
    let now = performance.now();
    for (const d of this.defs) {
      if (!budgetLeft(now)) {
        this.skippedLines++;
        break;
      }
      // test() takes RE2's DFA path; groups are extracted only from lines that match.
      const m = d.re.test(text) ? d.re.exec(text) : null;
      const after = performance.now();
      budget.spentMs += after - now;
      now = after;
      if (!m) continue;
      const raw = (m[1] ?? m[0]) as string;
      const value = Number.parseFloat(raw.trim());
      if (!Number.isFinite(value)) continue;
      const datum = { MetricName: d.name, Value: value, Timestamp: Math.round(timestampMs) / 1000 };
      this.latest.set(d.name, datum);
      out.push(datum);
    }
    return out;
  }
}

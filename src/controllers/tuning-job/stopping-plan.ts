/**
 * @module controllers/tuning-job/stopping-plan — which stopping rule of ./early-stopping.ts a
 * tuning job runs (TrainingJobEarlyStoppingType Auto: the median rule; Strategy Hyperband: its
 * brackets), and the verdict for one child given every child's objective values so far.
 */
import { hyperbandBounds } from '../../resources/hyperband-config.js';
import type { TuningJobConfigDoc } from '../../resources/tuning-job.js';
import { hyperbandBrackets, hyperbandRule, medianRule, type StopVerdict } from './early-stopping.js';

export type StoppingPlan = { kind: 'median' } | { kind: 'hyperband'; brackets: number[][]; max: number };

export function stoppingPlan(cfg: TuningJobConfigDoc, staticHyperParameters: Record<string, string> | undefined): StoppingPlan | undefined {
  if (cfg.Strategy === 'Hyperband') {
    const b = hyperbandBounds(cfg.StrategyConfig, staticHyperParameters);
    // Checked at create; a record that no longer yields bounds stops nothing.
    return 'problem' in b ? undefined : { kind: 'hyperband', brackets: hyperbandBrackets(b.min, b.max), max: b.max };
  }
  return cfg.TrainingJobEarlyStoppingType === 'Auto' ? { kind: 'median' } : undefined;
}

/** The verdict for child `i`; `values[j]` are child j's objective values so far (larger is better). */
export function verdictFor(plan: StoppingPlan, values: readonly (readonly number[])[], i: number): StopVerdict | undefined {
  if (plan.kind === 'median') return medianRule(values[i] ?? [], values.slice(0, i));
  const n = plan.brackets.length;
  const peers = values.filter((_v, j) => j !== i && j % n === i % n);
  return hyperbandRule(values[i] ?? [], peers, plan.brackets[i % n]!, plan.max);
}

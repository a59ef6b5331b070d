/**
 * @module controllers/tuning-job/strategy — where the next training job of a tuning job goes, per
 * SageMaker strategy (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-how-it-works.html):
 *
 *   Random    independent uniform points, from the job's seed and the child's index
 *   Grid      the categorical grid in order (one job per combination)
 *   Bayesian  random for the first few children, then GP + expected improvement over the results
 *             so far (./gaussian-process.ts), running children counted by the constant liar;
 *             a warm start's parent jobs are results too, and shorten the random start
 *   Hyperband independent uniform points, as Random: the work is in stopping (./early-stopping.ts)
 *
 * A proposal depends only on the seed, the child's index and the results recorded, so a restarted
 * server continues the same search.
 */
import { gridPoint, gridSize, snapPoint, type Dimension } from '../../resources/search-space.js';
import { proposeNext, seededRandom, type Observation } from './gaussian-process.js';

export const STRATEGIES = ['Random', 'Grid', 'Bayesian', 'Hyperband'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface SearchState {
  strategy: Strategy;
  dims: readonly Dimension[];
  seed: number;
  /** Finished children with an objective (larger is better: Minimize objectives are negated). */
  observed: readonly Observation[];
  /** Points of children still running. */
  pending: readonly number[][];
  /** How many of `observed` come from warm start parents. */
  priorCount?: number;
}

/** Random children before the Bayesian model takes over (a GP needs a few points to say anything). */
export function initialRandomCount(dims: number): number {
  return Math.min(5, Math.max(2, dims + 1));
}

function randomPoint(dims: readonly Dimension[], seed: number, index: number): number[] {
  const rand = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  return snapPoint(dims, dims.map(() => rand()));
}

/** The point of child number `index` (0-based). */
export function nextPoint(s: SearchState, index: number): number[] {
  switch (s.strategy) {
    case 'Grid': {
      return gridPoint(s.dims, index % gridSize(s.dims));
    }
    case 'Bayesian': {
      if (s.dims.length === 0 || index + (s.priorCount ?? 0) < initialRandomCount(s.dims.length) || s.observed.length === 0) return randomPoint(s.dims, s.seed, index);
      const rand = seededRandom((s.seed + index * 7919) >>> 0);
      return proposeNext(s.dims.length, s.observed, s.pending, rand, { snap: (x) => snapPoint(s.dims, x) });
    }
    default:
      return randomPoint(s.dims, s.seed, index);
  }
}

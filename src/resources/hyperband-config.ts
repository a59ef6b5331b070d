/**
 * @module resources/hyperband-config — a Hyperband tuning job's resource bounds, as
 * HyperbandStrategyConfig documents them
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_HyperbandStrategyConfig.html):
 * MaxResource given, or inferred from the static hyperparameters epochs, numepochs, n-epochs,
 * n_epochs or num_epochs, at most 20,000; MinResource default 1. Used by the Create check and by
 * the controller, so both read the same numbers.
 */

export const MAX_RESOURCE_LIMIT = 20_000;
const EPOCH_KEYS = ['epochs', 'numepochs', 'n-epochs', 'n_epochs', 'num_epochs'];

export interface HyperbandBounds {
  min: number;
  max: number;
}

/** The bounds, or the problem with them worded for a ValidationException. */
export function hyperbandBounds(strategyConfig: unknown, staticHyperParameters: Record<string, string> | undefined): HyperbandBounds | { problem: string } {
  const cfg = ((strategyConfig as { HyperbandStrategyConfig?: { MinResource?: number; MaxResource?: number } } | undefined)?.HyperbandStrategyConfig ?? {}) as {
    MinResource?: number;
    MaxResource?: number;
  };
  let max = cfg.MaxResource;
  if (max === undefined) {
    const key = EPOCH_KEYS.find((k) => staticHyperParameters?.[k] !== undefined);
    const inferred = key === undefined ? NaN : Number(staticHyperParameters![key]);
    if (!Number.isInteger(inferred) || inferred < 1) {
      return {
        problem:
          key === undefined
            ? `HyperbandStrategyConfig.MaxResource is not given and cannot be inferred: StaticHyperParameters has none of ${EPOCH_KEYS.join(', ')}.`
            : `HyperbandStrategyConfig.MaxResource cannot be inferred: StaticHyperParameters ${key} (${staticHyperParameters![key]}) is not a positive integer.`,
      };
    }
    max = inferred;
  }
  const min = cfg.MinResource ?? 1;
  if (!Number.isInteger(max) || max < 1 || max > MAX_RESOURCE_LIMIT) return { problem: `HyperbandStrategyConfig.MaxResource (${max}) must be an integer from 1 to ${MAX_RESOURCE_LIMIT}.` };
  if (!Number.isInteger(min) || min < 1) return { problem: `HyperbandStrategyConfig.MinResource (${min}) must be a positive integer.` };
  if (min > max) return { problem: `HyperbandStrategyConfig.MinResource (${min}) cannot exceed MaxResource (${max}).` };
  return { min, max };
}

/**
 * @module resources/search-space — a tuning job's ParameterRanges as a search space over the unit
 * cube: each hyperparameter is one coordinate u ∈ [0, 1], decoded to the value sent to the
 * training job with the range's scaling. Strategies (controllers/tuning-job/) only ever see u.
 *
 * Scaling (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-define-ranges.html):
 *   Linear             v = min + u·(max − min)
 *   Logarithmic        log v uniform in [log min, log max]          (min > 0)
 *   ReverseLogarithmic log(1 − v) uniform in [log(1 − max), log(1 − min)]  (continuous, 0 ≤ min < max < 1)
 *   Auto               Linear here (SageMaker picks a scale from the range; Linear is always valid)
 * Integers are rounded after scaling; categorical values split the unit interval evenly.
 */

export type Dimension =
  | { kind: 'Integer' | 'Continuous'; name: string; min: number; max: number; scaling: 'Linear' | 'Logarithmic' | 'ReverseLogarithmic' }
  | { kind: 'Categorical'; name: string; values: string[] };

export interface RangesInput {
  IntegerParameterRanges?: { Name: string; MinValue: string; MaxValue: string; ScalingType?: string }[];
  ContinuousParameterRanges?: { Name: string; MinValue: string; MaxValue: string; ScalingType?: string }[];
  CategoricalParameterRanges?: { Name: string; Values: string[] }[];
  AutoParameters?: unknown[];
}

/** SageMaker's limit on tuned hyperparameters per job (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-limits.html). */
export const MAX_TUNED_PARAMETERS = 30;

/**
 * The search space of `ranges`, or a list of problems worded for a ValidationException. Dimension
 * order is fixed (integer, continuous, categorical, each as given) so a stored point decodes the
 * same way after a restart.
 */
export function searchSpace(ranges: RangesInput | undefined): { dims: Dimension[]; problems: string[] } {
  const dims: Dimension[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const name = (n: string) => {
    if (seen.has(n)) problems.push(`Hyperparameter ${n} appears in more than one range.`);
    seen.add(n);
  };
  if (ranges?.AutoParameters?.length) problems.push('AutoParameters (Autotune) are not supported by Slipway; give explicit ranges.');
  for (const [kind, list] of [
    ['Integer', ranges?.IntegerParameterRanges ?? []],
    ['Continuous', ranges?.ContinuousParameterRanges ?? []],
  ] as const) {
    for (const r of list) {
      name(r.Name);
      const min = Number(r.MinValue);
      const max = Number(r.MaxValue);
      const scaling = r.ScalingType === undefined || r.ScalingType === 'Auto' ? 'Linear' : r.ScalingType;
      if (!Number.isFinite(min) || !Number.isFinite(max) || (kind === 'Integer' && (!Number.isInteger(min) || !Number.isInteger(max)))) {
        problems.push(`${kind}ParameterRange ${r.Name}: MinValue ${r.MinValue} and MaxValue ${r.MaxValue} must be ${kind === 'Integer' ? 'integers' : 'numbers'}.`);
        continue;
      }
      if (min > max) problems.push(`${kind}ParameterRange ${r.Name}: MinValue ${r.MinValue} is greater than MaxValue ${r.MaxValue}.`);
      if (scaling !== 'Linear' && scaling !== 'Logarithmic' && scaling !== 'ReverseLogarithmic') {
        problems.push(`${kind}ParameterRange ${r.Name}: unknown ScalingType ${scaling}.`);
        continue;
      }
      if (scaling === 'Logarithmic' && min <= 0) problems.push(`${kind}ParameterRange ${r.Name}: Logarithmic scaling needs MinValue greater than 0.`);
      if (scaling === 'ReverseLogarithmic' && kind === 'Integer') problems.push(`IntegerParameterRange ${r.Name}: ReverseLogarithmic scaling applies only to continuous ranges.`);
      if (scaling === 'ReverseLogarithmic' && !(min >= 0 && max < 1)) problems.push(`${kind}ParameterRange ${r.Name}: ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1.`);
      dims.push({ kind, name: r.Name, min, max, scaling });
    }
  }
  for (const r of ranges?.CategoricalParameterRanges ?? []) {
    name(r.Name);
    if (r.Values.length === 0) problems.push(`CategoricalParameterRange ${r.Name}: Values must not be empty.`);
    dims.push({ kind: 'Categorical', name: r.Name, values: [...r.Values] });
  }
  if (dims.length > MAX_TUNED_PARAMETERS) problems.push(`At most ${MAX_TUNED_PARAMETERS} hyperparameters can be tuned; ${dims.length} were given.`);
  return { dims, problems };
}

const clamp01 = (u: number) => (u < 0 ? 0 : u > 1 ? 1 : u);

/** The number a continuous or integer dimension takes at u. */
function scaled(d: Extract<Dimension, { min: number }>, u: number): number {
  if (d.min === d.max) return d.min;
  switch (d.scaling) {
    case 'Logarithmic':
      return Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min)));
    case 'ReverseLogarithmic':
      return 1 - Math.exp(Math.log(1 - d.max) + (1 - u) * (Math.log(1 - d.min) - Math.log(1 - d.max)));
    default:
      return d.min + u * (d.max - d.min);
  }
}

/** Decodes one coordinate to the hyperparameter's string value. */
export function decodeValue(d: Dimension, u: number): string {
  const x = clamp01(u);
  if (d.kind === 'Categorical') return d.values[Math.min(d.values.length - 1, Math.floor(x * d.values.length))]!;
  const v = scaled(d, x);
  if (d.kind === 'Integer') return String(Math.min(d.max, Math.max(d.min, Math.round(v))));
  // 12 significant digits: exp/log round trips leave 0.1 as 0.09999999999999999.
  return String(Math.min(d.max, Math.max(d.min, Number(v.toPrecision(12)))));
}

/** A point of the unit cube → the tuned hyperparameters, by name. */
export function decodePoint(dims: readonly Dimension[], point: readonly number[]): Record<string, string> {
  const out: Record<string, string> = {};
  dims.forEach((d, i) => (out[d.name] = decodeValue(d, point[i] ?? 0)));
  return out;
}

/**
 * Snaps a point to the values it decodes to (integers and categories are steps, not a continuum),
 * so that two points sending the same hyperparameters are the same point to a model of the space.
 */
export function snapPoint(dims: readonly Dimension[], point: readonly number[]): number[] {
  return dims.map((d, i) => {
    const u = clamp01(point[i] ?? 0);
    if (d.kind === 'Categorical') return (Math.min(d.values.length - 1, Math.floor(u * d.values.length)) + 0.5) / d.values.length;
    if (d.kind === 'Integer' && d.scaling === 'Linear' && d.max > d.min) return (Number(decodeValue(d, u)) - d.min) / (d.max - d.min);
    return u;
  });
}

/**
 * Grid search: combination number `index` of the categorical values (mixed radix, the first range
 * varying slowest), so no grid is ever enumerated whole.
 */
export function gridPoint(dims: readonly Dimension[], index: number): number[] {
  const point = new Array<number>(dims.length);
  let rest = index;
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i]!;
    if (d.kind !== 'Categorical') throw new Error('grid search takes categorical ranges only');
    const n = d.values.length;
    point[i] = ((rest % n) + 0.5) / n;
    rest = Math.floor(rest / n);
  }
  return point;
}

/** Size of the grid (product of the categorical ranges' sizes). */
export function gridSize(dims: readonly Dimension[]): number {
  return dims.reduce((n, d) => n * (d.kind === 'Categorical' ? d.values.length : 1), 1);
}

/**
 * The coordinate at which `d` takes `value` (decodeValue's inverse), or undefined when the value
 * lies outside the range: a warm start parent's job is placed in the child's space this way.
 */
export function encodeValue(d: Dimension, value: string): number | undefined {
  if (d.kind === 'Categorical') {
    const i = d.values.indexOf(value);
    return i < 0 ? undefined : (i + 0.5) / d.values.length;
  }
  const v = Number(value);
  if (!Number.isFinite(v) || v < d.min || v > d.max) return undefined;
  if (d.max === d.min) return 0.5;
  switch (d.scaling) {
    case 'Logarithmic':
      return (Math.log(v) - Math.log(d.min)) / (Math.log(d.max) - Math.log(d.min));
    case 'ReverseLogarithmic':
      return 1 - (Math.log(1 - v) - Math.log(1 - d.max)) / (Math.log(1 - d.min) - Math.log(1 - d.max));
    default:
      return (v - d.min) / (d.max - d.min);
  }
}

/** A job's hyperparameters as a point of the space `dims`, or undefined when one is missing or out of range. */
export function encodePoint(dims: readonly Dimension[], values: Record<string, string>): number[] | undefined {
  const point: number[] = [];
  for (const d of dims) {
    const v = values[d.name];
    const u = v === undefined ? undefined : encodeValue(d, v);
    if (u === undefined) return undefined;
    point.push(u);
  }
  return snapPoint(dims, point);
}

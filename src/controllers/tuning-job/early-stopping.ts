/**
 * @module controllers/tuning-job/early-stopping — when a running child should be stopped, from the
 * objective values it printed so far (one value per epoch: the n-th match of the objective's
 * MetricDefinitions regex is epoch n). Pure; the controller applies the answer through
 * StopTrainingJob's own path. Values are "larger is better" (Minimize objectives come negated).
 *
 * Median rule (TrainingJobEarlyStoppingType Auto,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-early-stopping.html):
 * at epoch t, stop when the job's value is worse than the median, over the earlier children that
 * reached epoch t, of their running averages up to t.
 *
 * Hyperband (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-how-it-works.html):
 * asynchronous successive halving in brackets. Child i is in bracket i mod B; bracket s has rungs
 * at MinResource·η^(s+k) below MaxResource. At its latest rung a job continues only while it is
 * among the best ⌈k/η⌉ (at least one) of the k bracket members that reached that rung; MinResource
 * not reached, never stopped; MaxResource reached, stopped ("Once a job reaches the MaxResource
 * value, it is stopped", HyperbandStrategyConfig).
 */

/** Earlier children that must have reached an epoch before the median rule judges it (a median of one or two says little). */
export const MEDIAN_MIN_PEERS = 3;
/** Hyperband's reduction factor η: a third of each rung goes on. */
export const ETA = 3;

export interface StopVerdict {
  stop: true;
  reason: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median stopping rule for a job with values `current`, against the earlier children's values. */
export function medianRule(current: readonly number[], earlier: readonly (readonly number[])[]): StopVerdict | undefined {
  const t = current.length;
  if (t === 0) return undefined;
  const peers = earlier.filter((p) => p.length >= t);
  if (peers.length < MEDIAN_MIN_PEERS) return undefined;
  const averages = peers.map((p) => p.slice(0, t).reduce((a, b) => a + b, 0) / t);
  const m = median(averages);
  const v = current[t - 1]!;
  return v < m ? { stop: true, reason: `epoch ${t}: objective worse than the median ${m} of ${peers.length} earlier jobs' running averages` } : undefined;
}

/** Rungs (epochs) of each bracket, bracket 0 the most aggressive; MaxResource itself is the hard stop, not a rung. */
export function hyperbandBrackets(min: number, max: number): number[][] {
  const brackets: number[][] = [];
  // The last bracket starts at MaxResource: its jobs run the full budget (plain random search).
  for (let start = min; start <= max; start *= ETA) {
    const rungs: number[] = [];
    for (let r = start; r < max; r *= ETA) rungs.push(r);
    brackets.push(rungs);
  }
  if (brackets.at(-1)?.length !== 0) brackets.push([]);
  return brackets;
}

/**
 * The Hyperband verdict for a job in `rungs` (its bracket's), with values `current`, against the
 * values of the other members of its bracket.
 */
export function hyperbandRule(current: readonly number[], bracketPeers: readonly (readonly number[])[], rungs: readonly number[], maxResource: number): StopVerdict | undefined {
  const n = current.length;
  if (n >= maxResource) return { stop: true, reason: `reached MaxResource (${maxResource} epochs)` };
  const rung = [...rungs].reverse().find((r) => r <= n);
  if (rung === undefined) return undefined;
  const v = current[rung - 1]!;
  const recorded = [v, ...bracketPeers.filter((p) => p.length >= rung).map((p) => p[rung - 1]!)];
  const keep = Math.max(1, Math.ceil(recorded.length / ETA));
  const better = recorded.filter((x) => x > v).length;
  return better >= keep ? { stop: true, reason: `rung ${rung}: not among the best ${keep} of ${recorded.length} jobs of its bracket` } : undefined;
}

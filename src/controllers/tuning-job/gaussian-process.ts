/**
 * @module controllers/tuning-job/gaussian-process — the Bayesian strategy's optimiser: a Gaussian
 * process (Matérn 5/2 kernel) over the unit cube and the expected-improvement acquisition.
 *
 * Why hand-written: npm has no well-kept Bayesian-optimisation or GP library for Node (the
 * candidates found, e.g. `bayesian-optimizer` and `ml-gaussian-process`-style packages, are
 * unmaintained for years, untyped, or pull in a whole numeric stack). A tuning job sees at most a
 * few hundred observations, so an exact GP with a Cholesky factorisation (O(n³), n ≤ 500) is small,
 * dependency-free and testable on a known function (./gaussian-process.test.ts).
 *
 *   observations (x ∈ [0,1]^d, y) ─▶ standardise y ─▶ pick length scale by marginal likelihood
 *     ─▶ posterior μ(x), σ(x) ─▶ EI over random + local candidates ─▶ best candidate
 *
 * Parallel proposals use the "constant liar" heuristic: points still being evaluated count as
 * observed at the worst value seen, so the next proposal looks elsewhere (Ginsbourger et al. 2010).
 */

export interface Observation {
  x: number[];
  /** Larger is better (the caller negates a Minimize objective). */
  y: number;
}

export type Random = () => number;

/** Seeded PRNG (mulberry32): proposals are reproducible from the job's seed and history. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LENGTH_SCALES = [0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2];
const NOISE = 1e-4;
const XI = 0.01;

function matern52(a: readonly number[], b: readonly number[], ell: number): number {
  let d2 = 0;
  for (let i = 0; i < a.length; i++) d2 += (a[i]! - b[i]!) ** 2;
  const r = (Math.sqrt(5 * d2) / ell);
  return (1 + r + (r * r) / 3) * Math.exp(-r);
}

/** Lower-triangular Cholesky factor of a symmetric positive-definite matrix (row-major), or undefined. */
function cholesky(k: number[][]): number[][] | undefined {
  const n = k.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = k[i]![j]!;
      for (let p = 0; p < j; p++) s -= l[i]![p]! * l[j]![p]!;
      if (i === j) {
        if (s <= 0) return undefined;
        l[i]![i] = Math.sqrt(s);
      } else l[i]![j] = s / l[j]![j]!;
    }
  }
  return l;
}

function forward(l: number[][], b: readonly number[]): number[] {
  const n = b.length;
  const x = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= l[i]![p]! * x[p]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

function backward(l: number[][], b: readonly number[]): number[] {
  const n = b.length;
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let p = i + 1; p < n; p++) s -= l[p]![i]! * x[p]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** A fitted GP: posterior mean and standard deviation of the standardised objective. */
export interface Posterior {
  predict(x: readonly number[]): { mean: number; sd: number };
  /** Best standardised observation. */
  best: number;
  lengthScale: number;
}

/** Fits the GP, choosing the length scale with the highest log marginal likelihood. */
export function fitGaussianProcess(obs: readonly Observation[]): Posterior {
  const n = obs.length;
  const mean = obs.reduce((s, o) => s + o.y, 0) / n;
  const sd = Math.sqrt(obs.reduce((s, o) => s + (o.y - mean) ** 2, 0) / n) || 1;
  const y = obs.map((o) => (o.y - mean) / sd);
  let chosen: { ell: number; l: number[][]; alpha: number[]; lml: number } | undefined;
  for (const ell of LENGTH_SCALES) {
    const k = obs.map((a, i) => obs.map((b, j) => matern52(a.x, b.x, ell) + (i === j ? NOISE : 0)));
    const l = cholesky(k);
    if (!l) continue;
    const alpha = backward(l, forward(l, y));
    let lml = -0.5 * y.reduce((s, v, i) => s + v * alpha[i]!, 0);
    for (let i = 0; i < n; i++) lml -= Math.log(l[i]![i]!);
    if (!chosen || lml > chosen.lml) chosen = { ell, l, alpha, lml };
  }
  if (!chosen) throw new Error('the kernel matrix is not positive definite for any length scale');
  const { ell, l, alpha } = chosen;
  return {
    best: Math.max(...y),
    lengthScale: ell,
    predict: (x) => {
      const ks = obs.map((o) => matern52(o.x, x, ell));
      const m = ks.reduce((s, v, i) => s + v * alpha[i]!, 0);
      const v = forward(l, ks);
      const variance = Math.max(1e-12, 1 + NOISE - v.reduce((s, t) => s + t * t, 0));
      return { mean: m, sd: Math.sqrt(variance) };
    },
  };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function normalPdf(z: number): number {
  return Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
}

export function expectedImprovement(mean: number, sd: number, best: number): number {
  const gain = mean - best - XI;
  const z = gain / sd;
  return gain * normalCdf(z) + sd * normalPdf(z);
}

export interface ProposeOptions {
  /** Maps a candidate to the point it really evaluates (integer and categorical steps). */
  snap?: (x: number[]) => number[];
  /** Random candidates per proposal (default 1000), plus as many local ones around the best points. */
  candidates?: number;
}

const samePoint = (a: readonly number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-9);

/**
 * The next point to evaluate: the candidate with the largest expected improvement given the
 * observations, with `pending` points counted at the worst observed value. Needs at least one
 * observation; candidates equal to a point already tried or pending are skipped (in a discrete
 * space that is exhausted, the best random candidate is returned).
 */
export function proposeNext(dim: number, observed: readonly Observation[], pending: readonly number[][], rand: Random, opts: ProposeOptions = {}): number[] {
  const snap = opts.snap ?? ((x: number[]) => x);
  const worst = Math.min(...observed.map((o) => o.y));
  const all = [...observed, ...pending.map((x) => ({ x, y: worst }))];
  const gp = fitGaussianProcess(modelled(all));
  const tried = all.map((o) => o.x);
  const count = opts.candidates ?? 1000;
  const ranked = [...observed].sort((a, b) => b.y - a.y).slice(0, 5);
  const candidates: number[][] = [];
  for (let i = 0; i < count; i++) candidates.push(snap(Array.from({ length: dim }, () => rand())));
  for (let i = 0; i < count; i++) {
    const base = ranked[i % ranked.length]!.x;
    const width = [0.02, 0.05, 0.1][i % 3]!;
    candidates.push(snap(base.map((v) => Math.min(1, Math.max(0, v + width * gaussian(rand))))));
  }
  let best: { x: number[]; ei: number } | undefined;
  for (const c of candidates) {
    if (tried.some((t) => samePoint(t, c))) continue;
    const { mean, sd } = gp.predict(c);
    const ei = expectedImprovement(mean, sd, gp.best);
    if (!best || ei > best.ei) best = { x: c, ei };
  }
  return best?.x ?? candidates[0]!;
}

/**
 * At most MAX_MODELLED observations go into the GP (the best half and the most recent half), so a
 * proposal stays a few tens of milliseconds on the event loop however long the job runs.
 */
const MAX_MODELLED = 100;

function modelled(all: readonly Observation[]): Observation[] {
  if (all.length <= MAX_MODELLED) return [...all];
  const recent = all.slice(-MAX_MODELLED / 2);
  const rest = all.slice(0, -MAX_MODELLED / 2).sort((a, b) => b.y - a.y).slice(0, MAX_MODELLED / 2);
  return [...rest, ...recent];
}

/** A standard normal draw (Box–Muller). */
function gaussian(rand: Random): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

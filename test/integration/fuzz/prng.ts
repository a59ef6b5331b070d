/**
 * @module test/integration/fuzz/prng — a seeded pseudo-random generator (mulberry32), so every fuzz
 * run with the same seed sends the same cases in the same order and a failure reproduces.
 */

/** The seed of this run: SLIPWAY_FUZZ_SEED (decimal or 0x hex), else a fixed default. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SLIPWAY_FUZZ_SEED;
  if (raw === undefined || raw === '') return 0x5eed12;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`SLIPWAY_FUZZ_SEED must be an integer, got ${raw}`);
  return n >>> 0;
}

export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator for one named stream: the same (seed, label) always gives the same sequence. */
  static forLabel(seed: number, label: string): Prng {
    let h = seed >>> 0;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x9e3779b1) >>> 0;
    return new Prng(h);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/**
 * @module test/integration/fuzz/runner — runs fuzz cases against a live server and keeps score.
 *
 *   FuzzCase ──send (deadline)──► answer ──judge(protocol, expect)──► problems
 *        accepted Create* ──► hooks.accepted (clean up)     refused Create* ──► hooks.refused (nothing left?)
 *
 * One FuzzSession per test file: it owns the seed, the time budget (shared out per operation, so
 * a slow operation cannot starve the ones after it), the outcomes and the known-findings ledger.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, exactAnswerProblems, judge, type ExactAnswer, type Protocol } from './error-format.js';
import { knownFindingFor, KNOWN_FINDINGS, type KnownFinding } from './known-findings.js';
import { fuzzSeed } from './prng.js';
import { Hang, send, type WireRequest, type WireResponse } from './wire.js';

export interface FuzzCase {
  readonly op: string;
  readonly kind: string;
  readonly where: string;
  readonly detail: string;
  /** 'reject': must be a typed 4xx; 'any': may also succeed (then it is cleaned up). */
  readonly expect: 'reject' | 'any';
  /** The one answer the case must get, where the service answers outside its protocol's format. */
  readonly exact?: ExactAnswer;
  readonly request: WireRequest;
  /** HEAD requests carry no error body. */
  readonly head?: boolean;
  /** Send on a new connection (framing-breaking cases). */
  readonly fresh?: boolean;
  /** Send byte for byte on a raw socket (cases node:http would not send as built). */
  readonly raw?: boolean;
  readonly timeoutMs?: number;
  /** The unique name the case's resources carry, for the state checks. */
  readonly token?: string;
}

export interface Outcome {
  readonly case: FuzzCase;
  readonly res?: WireResponse;
  readonly problems: string[];
}

export interface CaseHooks {
  /** After a 2xx: remove what the case created. */
  accepted?: (token: string) => Promise<void>;
  /** After a refusal: problems if anything of the case's resource exists (record, listing, container). */
  refused?: (token: string) => Promise<string[]>;
}

export async function runCase(base: string, protocol: Protocol, c: FuzzCase, hooks: CaseHooks = {}): Promise<Outcome> {
  let res: WireResponse;
  try {
    res = await send(base, c.request, { ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}), ...(c.fresh ? { fresh: true } : {}), ...(c.raw ? { raw: true } : {}) });
  } catch (err) {
    const what = err instanceof Hang ? `hang: ${err.message}` : `no answer: ${(err as Error).message}`;
    return { case: c, problems: [what] };
  }
  const problems = c.exact ? exactAnswerProblems(protocol, c.exact, res) : judge(protocol, c.expect, res, { head: c.head ?? false });
  // The server runs in this process: a request must never reach Object.prototype (query keys
  // like `__proto__.fuzzPolluted=1`).
  if (Object.hasOwn(Object.prototype, 'fuzzPolluted')) {
    delete (Object.prototype as Record<string, unknown>).fuzzPolluted;
    problems.push('Object.prototype was polluted (fuzzPolluted)');
  }
  if (c.token !== undefined) {
    if (res.status >= 200 && res.status < 300) await hooks.accepted?.(c.token);
    else if (hooks.refused) problems.push(...(await hooks.refused(c.token)));
  }
  return { case: c, res, problems };
}

function describe(c: FuzzCase): string {
  return `${c.op} ${c.kind}${c.where ? ` at ${c.where}` : ''} (${c.detail})`;
}

export class FuzzSession {
  readonly seed = fuzzSeed();
  private readonly budgetMs: number;
  /** Set when the first operation starts: set-up (image builds, fixtures) does not count. */
  private deadline: number | undefined;
  private readonly outcomes: Outcome[] = [];
  private readonly knownHits = new Map<KnownFinding, number>();
  /** Cases not sent because the budget ran out, per operation. */
  readonly skipped = new Map<string, number>();

  constructor(
    readonly surface: string,
    readonly protocol: Protocol,
    /** Budget for all the cases of this session; SLIPWAY_FUZZ_BUDGET_SCALE multiplies it (default 1). */
    budgetMs: number,
    private readonly known: readonly KnownFinding[] = KNOWN_FINDINGS,
  ) {
    const scale = Number(process.env.SLIPWAY_FUZZ_BUDGET_SCALE ?? '1');
    this.budgetMs = budgetMs * (Number.isFinite(scale) && scale > 0 ? scale : 1);
  }

  /** The deadline for the next operation when `opsLeft` operations (this one included) remain. */
  opDeadline(opsLeft: number): number {
    this.deadline ??= Date.now() + this.budgetMs;
    const left = Math.max(0, this.deadline - Date.now());
    // Up to three fair shares: most operations finish well inside theirs, Create*s with state
    // checks need more; the session's deadline still bounds the total.
    return Date.now() + Math.min(left, (3 * left) / Math.max(1, opsLeft));
  }

  /**
   * Runs `cases` in order until `deadline`, then records the rest as skipped.
   * Returns the failure lines of this batch (known findings excluded).
   */
  async run(base: string, cases: readonly FuzzCase[], deadline: number, hooks: CaseHooks = {}, protocol: Protocol = this.protocol): Promise<string[]> {
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      if (Date.now() > deadline) {
        this.skipped.set(c.op, (this.skipped.get(c.op) ?? 0) + cases.length - i);
        break;
      }
      const o = await runCase(base, protocol, c, hooks);
      this.outcomes.push(o);
      if (o.problems.length === 0) continue;
      const k = knownFindingFor(this.surface, o, this.known);
      if (k) {
        this.knownHits.set(k, (this.knownHits.get(k) ?? 0) + 1);
        continue;
      }
      failures.push(`${describe(c)}: ${o.problems.join('; ')}`);
    }
    return failures;
  }

  /** The assertion message for failures: what failed and how to replay it. */
  report(failures: readonly string[]): string {
    return `${failures.length} fuzz case(s) failed on ${this.surface} (replay with SLIPWAY_FUZZ_SEED=${this.seed}):\n  ${failures.join('\n  ')}`;
  }

  /** Known findings of this surface that no case reproduced any more (their fix landed: delete them). */
  staleKnownFindings(): string[] {
    // Cases the budget skipped might have reproduced them: only a complete run can call one stale.
    if ([...this.skipped.values()].some((n) => n > 0)) return [];
    return this.known
      .filter((k) => k.surface === this.surface && !this.knownHits.has(k))
      .map((k) => `${k.summary} (${k.owner}) no longer reproduces: delete it from known-findings.ts`);
  }

  /** Every case with its answer, one per line (SLIPWAY_FUZZ_LOG=<file> writes it after the file's run). */
  transcript(): string {
    return this.outcomes
      .map((o) => {
        const c = o.case;
        const answer = o.res ? `${o.res.status} ${errorCode(this.protocol, o.res) ?? ''} ${Math.round(o.res.ms)}ms` : 'no answer';
        return `${c.op}\t${c.kind}\t${c.where}\t${c.detail}\t${c.expect}\t${answer}${o.problems.length ? `\tPROBLEM: ${o.problems.join('; ')}` : ''}`;
      })
      .join('\n');
  }

  /** Writes the transcript where SLIPWAY_FUZZ_LOG points (a directory), if set. */
  saveTranscript(): void {
    const dir = process.env.SLIPWAY_FUZZ_LOG;
    if (dir) writeFileSync(join(dir, `fuzz-${this.surface}.tsv`), `${this.transcript()}\n`);
  }

  /** One line for the log: how many cases ran, how many were known findings, how many were skipped. */
  summary(): string {
    const skipped = [...this.skipped.values()].reduce((a, b) => a + b, 0);
    const known = [...this.knownHits.entries()].map(([k, n]) => `${n}× ${k.summary} [${k.owner}]`);
    return `fuzz ${this.surface}: ${this.outcomes.length} cases, seed ${this.seed}, ${skipped} skipped by the time budget${known.length ? `; known findings: ${known.join(', ')}` : ''}`;
  }

  get cases(): readonly Outcome[] {
    return this.outcomes;
  }
}

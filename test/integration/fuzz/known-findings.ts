/**
 * @module test/integration/fuzz/known-findings — fuzz findings that belong to another branch's
 * area (issue #12 items owned elsewhere, S3 conformance in #18). A case that fails and matches an
 * entry is reported as known instead of failing the suite; an entry that no longer matches any
 * failing case fails the suite instead, so the list cannot go stale: delete the entry once its
 * owner's fix has landed.
 */
import type { Outcome } from './runner.js';

export interface KnownFinding {
  readonly surface: string;
  readonly op?: RegExp;
  readonly kind?: RegExp;
  readonly where?: RegExp;
  /** Matched against the joined problems of the case. */
  readonly problem?: RegExp;
  /** Who fixes it: the issue item and the branch that owns it. */
  readonly owner: string;
  readonly summary: string;
}

/** Empty: every finding of the suite so far is fixed (issue #12, #18) and pinned in regressions.int.test.ts. */
export const KNOWN_FINDINGS: readonly KnownFinding[] = [];

export function knownFindingFor(surface: string, o: Outcome, list: readonly KnownFinding[] = KNOWN_FINDINGS): KnownFinding | undefined {
  const problems = o.problems.join('; ');
  return list.find(
    (k) =>
      k.surface === surface &&
      (!k.op || k.op.test(o.case.op)) &&
      (!k.kind || k.kind.test(o.case.kind)) &&
      (!k.where || k.where.test(o.case.where)) &&
      (!k.problem || k.problem.test(problems)),
  );
}

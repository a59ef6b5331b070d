/**
 * @module test/integration/fuzz/sweep — the shape every surface's fuzz file shares: one test per
 * routed operation that must end with no failure lines, the known-findings check, and the
 * session's summary and transcript once the file is done.
 */
import { expect, it } from 'vitest';
import type { AwsModel } from './aws-model.js';
import type { OpRun } from './op-suite.js';
import type { FuzzSession } from './runner.js';

/** Bytes of the oversized body the edge operation of a surface gets. */
export const HUGE_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Defines, in the current `describe`, a test per operation (`claim` completes its title) running
 * `fuzz(op, i)`, then the test that every known finding the session lists still reproduces.
 */
export function defineOperationSweep(o: {
  session: FuzzSession;
  ops: readonly string[];
  claim: string;
  fuzz: (op: string, i: number) => Promise<string[]>;
}): void {
  o.ops.forEach((op, i) => {
    it(`${op}: ${o.claim}`, async () => {
      const failures = await o.fuzz(op, i);
      expect(failures, o.session.report(failures)).toEqual([]);
    });
  });
  it('reproduces every known finding it lists (a fixed one must be deleted from the list)', () => {
    expect(o.session.staleKnownFindings()).toEqual([]);
  });
}

/** The test that every routed operation has a fixture and is in the official model (at least `minOps` of them). */
export function defineFixtureCoverage(ops: readonly string[], model: Pick<AwsModel, 'operations'>, fixtures: Record<string, unknown>, minOps = 1): void {
  it('has a fixture for every routed operation, and every one is in the official model', () => {
    expect(ops.length).toBeGreaterThanOrEqual(minOps);
    expect(ops.filter((op) => !model.operations[op])).toEqual([]);
    expect(ops.filter((op) => !fixtures[op])).toEqual([]);
  });
}

/**
 * The run arguments a document-protocol operation gets at position `i` of `ops`: malformed bodies
 * always, and the oversized body plus the HTTP-level edges for `edgeOp`, the surface's cheap one.
 */
export function sweepRun(
  o: Pick<OpRun, 'session' | 'base' | 'wire' | 'model' | 'cap'> & { ops: readonly string[]; edgeOp: string; indexBase?: number; hugeBytes?: number },
  op: string,
  i: number,
  fixture: OpRun['fixture'],
): OpRun {
  return {
    session: o.session,
    base: o.base,
    wire: o.wire,
    model: o.model,
    op,
    fixture,
    index: (o.indexBase ?? 0) + i + 1,
    opsLeft: o.ops.length - i,
    cap: o.cap,
    malformed: true,
    ...(op === o.edgeOp ? { huge: { bytes: o.hugeBytes ?? HUGE_BODY_BYTES }, edges: true } : {}),
  };
}

/** Prints the session's summary and keeps its transcript (in an `afterAll`). */
export function closeSession(session: FuzzSession): void {
  console.log(session.summary());
  session.saveTranscript();
}

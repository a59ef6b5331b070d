/**
 * @module controllers/job-common/reconcile-guard — how a job controller's reconcile treats
 * errors: a TerminalFailure fails the job at once with its reason; an engine that cannot be reached is
 * retried for as long as it takes (the job is not at fault, and its containers may well be
 * running: the controller looks again once the engine is back); other errors are retried with
 * the work queue's backoff until `maxErrors` in a row, then the job fails as InternalServerError
 * (./failure-reason.ts: no engine internals; the log has the error). A container whose image
 * cannot start its program fails the job at once.
 */
import { RuntimeUnavailableError } from '../../runtime/container-runtime.js';
import { logger } from '../../platform/logger.js';
import { ContainerStartError } from '../../runtime/container-runtime.js';
import { TerminalFailure } from '../terminal-failure.js';
import { failureReasonFor } from './failure-reason.js';
import { DONE, type ReconcileResult } from '../work-queue.js';

export const MAX_CONSECUTIVE_ERRORS = 6;

export interface GuardTarget {
  /** Consecutive failures per job name (owned by the controller). */
  errors: Map<string, number>;
  /** True while the controller shuts down (errors then propagate untouched). */
  stopping(): boolean;
  /** True when the job is gone or already finished. */
  finished(name: string): Promise<boolean>;
  fail(name: string, reason: string): Promise<void>;
}

export async function guardReconcile(t: GuardTarget, name: string, what: string, step: () => Promise<ReconcileResult>): Promise<ReconcileResult> {
  try {
    const res = await step();
    t.errors.delete(name);
    return res;
  } catch (err) {
    if (t.stopping()) throw err;
    if (await t.finished(name)) return DONE;
    if (err instanceof TerminalFailure || (err instanceof ContainerStartError && err.permanent)) {
      await t.fail(name, failureReasonFor(err));
      return DONE;
    }
    if (err instanceof RuntimeUnavailableError) throw err;
    const n = (t.errors.get(name) ?? 0) + 1;
    t.errors.set(name, n);
    if (n < MAX_CONSECUTIVE_ERRORS) throw err;
    logger.error({ job: name, err }, `${what} failed after repeated errors`);
    await t.fail(name, failureReasonFor(err));
    return DONE;
  }
}

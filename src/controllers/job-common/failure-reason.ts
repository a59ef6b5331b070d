/**
 * @module controllers/job-common/failure-reason — FailureReasons for errors that are not the
 * user's input: a person can act on them, and they never carry the container engine's internals
 * (runc and shim messages, overlay paths) or Slipway's host paths. The details go to the log.
 */
import { ServiceError } from '../../protocol/errors.js';
import { ContainerStartError } from '../../runtime/container-runtime.js';
import { TerminalFailure } from '../terminal-failure.js';

/** SageMaker's own wording for an internal failure (as DescribeTrainingJob shows it). */
export const INTERNAL_ERROR_REASON = 'InternalServerError: We encountered an internal error. Please try again.';

/** Why a container could not start, in the image's terms: `could not start: <reason>` (no engine text). */
export function startFailurePhrase(err: unknown): string {
  return err instanceof ContainerStartError ? `could not start: ${err.reason}` : 'could not start';
}

/**
 * The FailureReason for `err`: a TerminalFailure's reason (`ClientError: …` for the caller's own mistakes); a container that cannot start says why in
 * the image's terms (ClientError when the image is at fault); Slipway's typed errors (storage full,
 * a bucket gone) keep their message after `doing`; anything else is SageMaker's internal-error line.
 */
export function failureReasonFor(err: unknown, doing?: string): string {
  if (err instanceof TerminalFailure) return err.reason;
  if (err instanceof ContainerStartError) return `${err.permanent ? 'ClientError' : 'InternalServerError'}: The container ${startFailurePhrase(err)}.`;
  if (err instanceof ServiceError) return `InternalServerError: ${doing ? `${doing} failed: ` : ''}${err.message}`;
  return INTERNAL_ERROR_REASON;
}

/**
 * @module controllers/terminal-failure — the one error a reconciler throws when retrying cannot
 * help: the resource ends Failed (a job) or its fleet fails (an endpoint) with `reason` as its
 * FailureReason. The work queue stops retrying the key on it too.
 *
 * Job failures that are the caller's doing start with `ClientError: `, as SageMaker's do
 * (`TerminalFailure.client`); `detail` is the text without that prefix, for messages that quote it.
 */
export class TerminalFailure extends Error {
  /** The text without the `ClientError: ` prefix. */
  readonly detail: string;

  constructor(reason: string, detail = reason) {
    super(reason);
    this.name = 'TerminalFailure';
    this.detail = detail;
  }

  /** A failure the caller caused (bad input, missing model, image or data): `ClientError: <detail>`. */
  static client(detail: string): TerminalFailure {
    return new TerminalFailure(`ClientError: ${detail}`, detail);
  }

  /** The FailureReason text. */
  get reason(): string {
    return this.message;
  }
}

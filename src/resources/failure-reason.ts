/** @module resources/failure-reason — how FailureReason (and ExitMessage) texts are cut to the model's limit, and the reason of an algorithm's non-zero exit. */

/** FailureReason and ExitMessage are limited to 1024 characters by the model. */
export function truncateReason(reason: string): string {
  return reason.length <= 1024 ? reason : reason.slice(0, 1024);
}

/**
 * FailureReason of a non-zero exit (contract §3.5): the failure file's text, or the exit code
 * and the last log lines, prefixed `AlgorithmError: ` as observed on the real service.
 */
export function algorithmFailureReason(failureFile: string | undefined, exitCode: number, lastLines: string[], host?: string): string {
  const text = failureFile?.trim();
  if (text) return truncateReason(`AlgorithmError: ${text}`);
  const where = host ? ` on ${host}` : '';
  const tail = lastLines.length > 0 ? `. Last log lines:\n${lastLines.join('\n')}` : '';
  let reason = `AlgorithmError: Exit Code: ${exitCode}${where}${tail}`;
  if (reason.length > 1024) {
    // Keep the head (exit code) and the newest lines, which say most about the failure.
    const head = `AlgorithmError: Exit Code: ${exitCode}${where}. Last log lines:\n…`;
    reason = head + reason.slice(reason.length - (1024 - head.length));
  }
  return reason;
}

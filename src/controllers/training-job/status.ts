/**
 * @module controllers/training-job/status — pure transitions of a training job's Describe
 * document: secondary status history, terminal times and billable seconds (contract §2.2).
 */
import type { MetricDatum, TrainingJobDoc } from './types.js';

/** Wire times are epoch seconds with a millisecond fraction. */
export const wireTime = (ms: number): number => Math.round(ms) / 1000;

/** Default message per secondary status; the SDK prints StatusMessage unguarded, so always set one. */
export const STATUS_MESSAGES: Record<string, string> = {
  Starting: 'Launching requested ML instances',
  Downloading: 'Downloading input data',
  Training: 'Training image download completed. Training in progress.',
  Uploading: 'Uploading generated training model',
  Completed: 'Training job completed',
  Failed: 'Training job failed',
  Stopping: 'Stopping the training job',
  Stopped: 'Training job stopped',
  MaxRuntimeExceeded: 'Job stopped because it exceeded MaxRuntimeInSeconds',
};

/**
 * Moves to `status`, ending the current transition when the status changes. Re-entering the
 * current status only refreshes its message, so a repeated reconcile step adds no duplicate.
 */
export function setSecondaryStatus(doc: TrainingJobDoc, status: string, nowMs: number, message?: string): void {
  const list = doc.SecondaryStatusTransitions;
  const last = list[list.length - 1];
  const msg = message ?? STATUS_MESSAGES[status] ?? status;
  if (last && last.Status === status && last.EndTime === undefined) {
    last.StatusMessage = msg;
    doc.SecondaryStatus = status;
    return;
  }
  if (last && last.EndTime === undefined) last.EndTime = wireTime(nowMs);
  list.push({ Status: status, StartTime: wireTime(nowMs), StatusMessage: msg });
  doc.SecondaryStatus = status;
}

export type FinalOutcome =
  | { status: 'Completed' }
  | { status: 'Failed'; reason: string }
  | { status: 'Stopped'; secondary: 'Stopped' | 'MaxRuntimeExceeded' };

/** Ends the job: terminal status, last transition closed, end time and billable seconds. */
export function finish(doc: TrainingJobDoc, outcome: FinalOutcome, nowMs: number): void {
  const end = wireTime(nowMs);
  if (outcome.status === 'Completed') {
    doc.TrainingJobStatus = 'Completed';
    setSecondaryStatus(doc, 'Completed', nowMs);
  } else if (outcome.status === 'Failed') {
    doc.TrainingJobStatus = 'Failed';
    doc.FailureReason = truncateReason(outcome.reason);
    setSecondaryStatus(doc, 'Failed', nowMs, doc.FailureReason);
  } else {
    doc.TrainingJobStatus = 'Stopped';
    setSecondaryStatus(doc, outcome.secondary, nowMs);
  }
  // The terminal transition has no successor; SageMaker closes it at the end time.
  const last = doc.SecondaryStatusTransitions[doc.SecondaryStatusTransitions.length - 1]!;
  last.EndTime = end;
  if (doc.TrainingStartTime !== undefined) {
    doc.TrainingEndTime = end;
    const secs = Math.max(1, Math.round(end - doc.TrainingStartTime));
    doc.TrainingTimeInSeconds = secs;
    doc.BillableTimeInSeconds = secs;
  }
}

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

/** Replaces FinalMetricDataList with the last value per metric. */
export function mergeFinalMetrics(doc: TrainingJobDoc, latest: Map<string, MetricDatum>): void {
  if (latest.size === 0) return;
  const byName = new Map((doc.FinalMetricDataList ?? []).map((m) => [m.MetricName, m]));
  for (const [name, d] of latest) byName.set(name, d);
  doc.FinalMetricDataList = [...byName.values()];
}

/**
 * @module resources/job-kinds — the job kinds as one family: each keeps its status in a member of
 * its own name (`TrainingJobStatus`, …); these read and move it for code written once for all.
 */
import type { JobStatus } from './job.js';
import type { DocOf, InternalOf, ResourceRecord } from './kinds.js';

export type JobKind = 'training-job' | 'processing-job' | 'transform-job';

type StatusMember = { [K in JobKind]: { get(doc: DocOf<K>): JobStatus; set(doc: DocOf<K>, status: JobStatus): void } };

const STATUS: StatusMember = {
  'training-job': { get: (d) => d.TrainingJobStatus, set: (d, s) => void (d.TrainingJobStatus = s) },
  'processing-job': { get: (d) => d.ProcessingJobStatus, set: (d, s) => void (d.ProcessingJobStatus = s) },
  'transform-job': { get: (d) => d.TransformJobStatus, set: (d, s) => void (d.TransformJobStatus = s) },
};

/** The job's wire status, as its document says. */
export function jobStatusOf<K extends JobKind>(kind: K, doc: DocOf<K>): JobStatus {
  return (STATUS as { [P in K]: StatusMember[P] })[kind].get(doc);
}

/** Moves a job to `status`: its document member and the record's status column together. */
export function setJobStatus<K extends JobKind>(rec: ResourceRecord<K>, status: JobStatus): void {
  (STATUS as { [P in K]: StatusMember[P] })[rec.kind].set(rec.doc, status);
  rec.status = status;
}

/** Why a job was asked to stop, as its bookkeeping records it. */
export type StopReason = NonNullable<InternalOf<JobKind>['stopReason']>;

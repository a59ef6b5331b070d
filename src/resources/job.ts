/**
 * @module resources/job — what every job kind (training, processing, transform) shares: the five
 * statuses, and the bookkeeping the multi-host job controllers (training, processing) persist in a
 * record's `internal`.
 */
import type { Demand } from './demand.js';

/** Training, processing and transform jobs have the same five statuses (contract §2.2–§2.4). */
export const JobStatus = {
  InProgress: 'InProgress',
  Completed: 'Completed',
  Failed: 'Failed',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Statuses in which a job's containers may run: controllers resume these. */
export const LIVE_JOB_STATUSES: readonly JobStatus[] = [JobStatus.InProgress, JobStatus.Stopping];

/**
 * The controller's progress, persisted so a reconcile after a crash resumes at the right step:
 *
 *   pending (waits for admission) ─► staged ─► running ─► exited ─► done
 *      │          │         │
 *      └──────────┴─────────┴──► (platform failure) done
 */
export type JobStep = 'pending' | 'staged' | 'running' | 'exited' | 'done';

export interface HostState {
  /** `algo-1` … */
  host: string;
  containerName: string;
  containerId?: string;
  /** CloudWatch stream name, fixed when the container is first started. */
  logStream: string;
  exitCode?: number;
}

export interface HostJobInternal {
  step: JobStep;
  /** Local image reference the job runs (after ECR-name resolution). */
  image?: string;
  hosts?: HostState[];
  network?: string;
  /** Why the job is stopping: a Stop*Job call or MaxRuntimeInSeconds. */
  stopReason?: 'Stopped' | 'MaxRuntimeExceeded';
  /** What admission granted the job (its instances' demand); unset while it waits for capacity. */
  admitted?: Demand;
}

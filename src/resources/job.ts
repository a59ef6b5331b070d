/**
 * @module resources/job — the bookkeeping shapes every multi-host job controller
 * (training, processing) persists in a record's `internal`.
 */
import type { Demand } from './demand.js';

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

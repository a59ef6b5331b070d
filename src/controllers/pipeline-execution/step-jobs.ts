/**
 * @module controllers/pipeline-execution/step-jobs — what each job-making step type calls through
 * the ApiLauncher (create, describe, stop) and how a Describe answer maps to a step status.
 */
import type { JobStepType } from '../../resources/pipeline.js';

export interface StepJobApi {
  create: string;
  describe: string;
  /** The Describe request's member naming the resource. */
  nameMember: string;
  /** The Create answer's (and Describe's) ARN member. */
  arnMember: string;
  /** Absent: the step is done once created (a model, a model package). */
  stop?: string;
  statusMember?: string;
}

export const STEP_JOB_API: Record<JobStepType, StepJobApi> = {
  Training: { create: 'CreateTrainingJob', describe: 'DescribeTrainingJob', nameMember: 'TrainingJobName', arnMember: 'TrainingJobArn', stop: 'StopTrainingJob', statusMember: 'TrainingJobStatus' },
  Processing: { create: 'CreateProcessingJob', describe: 'DescribeProcessingJob', nameMember: 'ProcessingJobName', arnMember: 'ProcessingJobArn', stop: 'StopProcessingJob', statusMember: 'ProcessingJobStatus' },
  Transform: { create: 'CreateTransformJob', describe: 'DescribeTransformJob', nameMember: 'TransformJobName', arnMember: 'TransformJobArn', stop: 'StopTransformJob', statusMember: 'TransformJobStatus' },
  Model: { create: 'CreateModel', describe: 'DescribeModel', nameMember: 'ModelName', arnMember: 'ModelArn' },
  RegisterModel: { create: 'CreateModelPackage', describe: 'DescribeModelPackage', nameMember: 'ModelPackageName', arnMember: 'ModelPackageArn' },
};

/** A job's status as the step's: undefined while it runs. */
export function stepStatusOfJob(jobStatus: unknown): 'Succeeded' | 'Failed' | 'Stopped' | undefined {
  if (jobStatus === 'Completed') return 'Succeeded';
  if (jobStatus === 'Failed') return 'Failed';
  if (jobStatus === 'Stopped') return 'Stopped';
  return undefined;
}

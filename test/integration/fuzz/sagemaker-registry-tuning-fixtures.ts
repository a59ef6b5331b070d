/**
 * @module test/integration/fuzz/sagemaker-registry-tuning-fixtures — fuzz seeds for the model
 * registry and hyperparameter tuning operations (part of sageMakerFixtures). Tuning jobs name an
 * image that does not exist, so their training jobs fail without starting a container.
 */
import { TOKEN } from './doc-cases.js';
import type { OpFixture } from './op-suite.js';
import type { Doc } from './seed-values.js';
import { jsonCall, mustCall } from './state.js';

interface Env {
  readonly base: string;
}

/** The Create* checks of sagemaker-fixtures (refused → nothing left), passed in to avoid a cycle. */
export type CreateChecks = (spec: { describe: [string, string]; list: [string, string]; cleanup: [string, string] }) => Pick<OpFixture, 'hooks' | 'finish'>;

export const REGISTRY_BASE = { group: 'fzbase-group', tuningJob: 'fzbase-tuning' } as const;

const ROLE = 'arn:aws:iam::000000000000:role/fuzz';
const must = (env: Env, op: string, body: unknown) => mustCall(env.base, `SageMaker.${op}`, body);
const sm = (env: Env, op: string, body: unknown) => jsonCall(env.base, `SageMaker.${op}`, body);
const named = (member: string, value: string): Doc => ({ [member]: value });

const spec = (image: string) => ({ Containers: [{ Image: image }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] });
const unversionedPackage = (name: string, image: string) => ({ ModelPackageName: name, InferenceSpecification: spec(image) });
const tuningJob = (name: string, image: string) => ({
  HyperParameterTuningJobName: name,
  HyperParameterTuningJobConfig: {
    Strategy: 'Random',
    HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'acc' },
    ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 },
    ParameterRanges: { IntegerParameterRanges: [{ Name: 'depth', MinValue: '1', MaxValue: '4' }] },
  },
  TrainingJobDefinition: {
    AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'acc', Regex: 'acc=([0-9.]+)' }] },
    RoleArn: ROLE,
    OutputDataConfig: { S3OutputPath: 's3://fuzz-bucket/tuning' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 60 },
  },
});

/** The group (with version 1), and a tuning job, that the seeds refer to. */
export async function setUpRegistryAndTuning(env: Env, image: string): Promise<void> {
  await must(env, 'CreateModelPackageGroup', { ModelPackageGroupName: REGISTRY_BASE.group });
  await must(env, 'CreateModelPackage', { ModelPackageGroupName: REGISTRY_BASE.group, InferenceSpecification: spec(image) });
  await must(env, 'CreateHyperParameterTuningJob', tuningJob(REGISTRY_BASE.tuningJob, image));
}

export function registryAndTuningFixtures(env: Env, image: string, createChecks: CreateChecks): Record<string, OpFixture> {
  const version1 = `arn:aws:sagemaker:us-east-1:000000000000:model-package/${REGISTRY_BASE.group}/1`;
  let deleteName = '';
  let stopName = '';
  return {
    CreateModelPackageGroup: {
      seed: () => ({ ModelPackageGroupName: TOKEN, ModelPackageGroupDescription: 'fuzz' }),
      ...createChecks({ describe: ['DescribeModelPackageGroup', 'ModelPackageGroupName'], list: ['ListModelPackageGroups', 'ModelPackageGroupSummaryList'], cleanup: ['DeleteModelPackageGroup', 'ModelPackageGroupName'] }),
    },
    DescribeModelPackageGroup: { seed: () => named('ModelPackageGroupName', REGISTRY_BASE.group) },
    ListModelPackageGroups: { seed: () => ({}) },
    DeleteModelPackageGroup: {
      prepare: async () => void (await must(env, 'CreateModelPackageGroup', { ModelPackageGroupName: 'fzdel-group' })),
      seed: () => named('ModelPackageGroupName', 'fzdel-group'),
    },
    CreateModelPackage: {
      seed: () => unversionedPackage(TOKEN, image),
      ...createChecks({ describe: ['DescribeModelPackage', 'ModelPackageName'], list: ['ListModelPackages', 'ModelPackageSummaryList'], cleanup: ['DeleteModelPackage', 'ModelPackageName'] }),
    },
    DescribeModelPackage: { seed: () => named('ModelPackageName', version1) },
    ListModelPackages: { seed: () => ({ ModelPackageGroupName: REGISTRY_BASE.group }) },
    UpdateModelPackage: { seed: () => ({ ModelPackageArn: version1, ModelApprovalStatus: 'Approved', ApprovalDescription: 'fuzz' }) },
    DeleteModelPackage: {
      prepare: async () => void (await must(env, 'CreateModelPackage', unversionedPackage('fzdel-package', image))),
      seed: () => named('ModelPackageName', 'fzdel-package'),
    },
    CreateHyperParameterTuningJob: {
      seed: () => tuningJob(TOKEN, image),
      ...createChecks({
        describe: ['DescribeHyperParameterTuningJob', 'HyperParameterTuningJobName'],
        list: ['ListHyperParameterTuningJobs', 'HyperParameterTuningJobSummaries'],
        cleanup: ['StopHyperParameterTuningJob', 'HyperParameterTuningJobName'],
      }),
    },
    DescribeHyperParameterTuningJob: { seed: () => named('HyperParameterTuningJobName', REGISTRY_BASE.tuningJob) },
    ListHyperParameterTuningJobs: { seed: () => ({}) },
    ListTrainingJobsForHyperParameterTuningJob: { seed: () => named('HyperParameterTuningJobName', REGISTRY_BASE.tuningJob) },
    StopHyperParameterTuningJob: {
      prepare: async () => {
        stopName = `fzstop-${Date.now().toString(36)}`;
        await must(env, 'CreateHyperParameterTuningJob', tuningJob(stopName, image));
      },
      seed: () => named('HyperParameterTuningJobName', stopName),
      seedMayFail: { code: 'ValidationException', why: 'the tuning job may already have failed (its image does not exist) before the seed stops it' },
    },
    DeleteHyperParameterTuningJob: {
      // Only an ended tuning job can be deleted: stopped here and waited for (its children cannot start: no such image).
      prepare: async () => {
        deleteName = `fzdel-${Date.now().toString(36)}`;
        await must(env, 'CreateHyperParameterTuningJob', tuningJob(deleteName, image));
        await sm(env, 'StopHyperParameterTuningJob', named('HyperParameterTuningJobName', deleteName));
        for (let i = 0; i < 60; i++) {
          const d = await sm(env, 'DescribeHyperParameterTuningJob', named('HyperParameterTuningJobName', deleteName));
          if (['Completed', 'Failed', 'Stopped'].includes(String(d.body.HyperParameterTuningJobStatus))) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      },
      seed: () => named('HyperParameterTuningJobName', deleteName),
    },
  };
}

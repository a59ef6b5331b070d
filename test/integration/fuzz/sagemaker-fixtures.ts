/**
 * @module test/integration/fuzz/sagemaker-fixtures — seeds and state checks for every SageMaker
 * operation Slipway routes. The model gives the required members; these add what Slipway needs on
 * top (an image, instance settings) and the resources a seed names.
 *
 * Images: jobs, models and configs name an image that does not exist, so an accepted case ends
 * Failed ("image not found") without starting a container; only the endpoint the UpdateEndpoint*
 * seeds need runs a real (tiny) model server.
 */
import { TOKEN } from './doc-cases.js';
import type { OpFixture } from './op-suite.js';
import type { Doc } from './seed-values.js';
import { containersNamed, jsonCall, mustCall, waitFor } from './state.js';
import { registryAndTuningFixtures, setUpRegistryAndTuning } from './sagemaker-registry-tuning-fixtures.js';
import { pipelineFixtures, setUpPipelines } from './sagemaker-pipeline-fixtures.js';

export const ABSENT_IMAGE = 'slipway-fuzz/absent-image:latest';
const ROLE = 'arn:aws:iam::000000000000:role/fuzz';

/** Names of the resources the seeds refer to (created by `setUp`). */
export const BASE = {
  model: 'fzbase-model',
  liveModel: 'fzbase-live-model',
  config: 'fzbase-config',
  liveConfig: 'fzbase-live-config',
  failedEndpoint: 'fzbase-failed',
  liveEndpoint: 'fzbase-live',
  trainingJob: 'fzbase-train',
  processingJob: 'fzbase-process',
  transformJob: 'fzbase-transform',
} as const;

interface Env {
  readonly base: string;
  readonly home: string;
  /** An image that serves /ping and /invocations (the hosting suite's fixture). */
  readonly servingImage: string;
}

const sm = (env: Env, op: string, body: unknown) => jsonCall(env.base, `SageMaker.${op}`, body);
const must = (env: Env, op: string, body: unknown) => mustCall(env.base, `SageMaker.${op}`, body);

const model = (name: string, image: string) => ({ ModelName: name, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: image, Environment: { FUZZ: 'x' } } });
const config = (name: string, modelName: string) => ({
  EndpointConfigName: name,
  ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: modelName, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
});
const trainingJob = (name: string) => ({
  TrainingJobName: name,
  RoleArn: ROLE,
  AlgorithmSpecification: { TrainingImage: ABSENT_IMAGE, TrainingInputMode: 'File' },
  OutputDataConfig: { S3OutputPath: 's3://fuzz-bucket/out' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
});
const processingJob = (name: string) => ({
  ProcessingJobName: name,
  RoleArn: ROLE,
  AppSpecification: { ImageUri: ABSENT_IMAGE },
  ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
});
const transformJob = (name: string) => ({
  TransformJobName: name,
  ModelName: BASE.model,
  TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://fuzz-bucket/in' } } },
  TransformOutput: { S3OutputPath: 's3://fuzz-bucket/out' },
  TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
});

/** Creates the resources seeds refer to; the live endpoint comes up while other operations run. */
export async function setUp(env: Env): Promise<void> {
  await must(env, 'CreateModel', model(BASE.model, ABSENT_IMAGE));
  await must(env, 'CreateModel', model(BASE.liveModel, env.servingImage));
  await must(env, 'CreateEndpointConfig', config(BASE.config, BASE.model));
  await must(env, 'CreateEndpointConfig', config(BASE.liveConfig, BASE.liveModel));
  await must(env, 'CreateEndpoint', { EndpointName: BASE.failedEndpoint, EndpointConfigName: BASE.config });
  await must(env, 'CreateEndpoint', { EndpointName: BASE.liveEndpoint, EndpointConfigName: BASE.liveConfig });
  await must(env, 'CreateTrainingJob', trainingJob(BASE.trainingJob));
  await must(env, 'CreateProcessingJob', processingJob(BASE.processingJob));
  await must(env, 'CreateTransformJob', transformJob(BASE.transformJob));
  await setUpRegistryAndTuning(env, ABSENT_IMAGE);
  await setUpPipelines(env, ABSENT_IMAGE);
}

/** Deletes every endpoint and waits until their containers are gone. */
export async function tearDown(env: Env): Promise<void> {
  const list = await must(env, 'ListEndpoints', { MaxResults: 100 });
  for (const e of (list.Endpoints as { EndpointName: string }[]) ?? []) await sm(env, 'DeleteEndpoint', { EndpointName: e.EndpointName });
  await waitFor('endpoints to be deleted', async () => ((await must(env, 'ListEndpoints', {})).Endpoints as unknown[]).length === 0);
}

interface CreateSpec {
  /** Describe operation and its name member. */
  describe: [string, string];
  list: [string, string];
  /** The clean-up call for an accepted case (Stop for jobs, Delete otherwise). */
  cleanup: [string, string];
  /** Log group an accepted Create makes (endpoints), which a refused one must not. */
  logGroup?: (name: string) => string;
}

/** Hooks for a Create*: refused → no record, no listing, no log group, no container (checked in finish). */
function createChecks(env: Env, spec: CreateSpec): Pick<OpFixture, 'hooks' | 'finish'> {
  const refused = new Set<string>();
  return {
    hooks: {
      accepted: async (token) => {
        await sm(env, spec.cleanup[0], { [spec.cleanup[1]]: token });
      },
      refused: async (token) => {
        refused.add(token);
        const problems: string[] = [];
        const d = await sm(env, spec.describe[0], { [spec.describe[1]]: token });
        if (d.status === 200) problems.push(`${spec.describe[0]} finds ${token} after the refusal`);
        const l = await sm(env, spec.list[0], { NameContains: token });
        if (((l.body[spec.list[1]] as unknown[]) ?? []).length > 0) problems.push(`${spec.list[0]} lists ${token} after the refusal`);
        if (spec.logGroup) {
          const g = await jsonCall(env.base, 'Logs_20140328.DescribeLogGroups', { logGroupNamePrefix: spec.logGroup(token) });
          if (((g.body.logGroups as unknown[]) ?? []).length > 0) problems.push(`log group ${spec.logGroup(token)} exists after the refusal`);
        }
        return problems;
      },
    },
    finish: async () => (await containersNamed(env.home, refused)).map((c) => `container ${c} was started for a refused create`),
  };
}

const named = (member: string, value: string): Doc => ({ [member]: value });

/** One fixture per routed operation (the test checks that none is missing). */
export function sageMakerFixtures(env: Env): Record<string, OpFixture> {
  // Stop* needs an InProgress job: a new one, stopped before the controller has failed it.
  let stopName = '';
  const stopFixture = (createOp: string, nameMember: string, doc: (n: string) => Record<string, unknown>): OpFixture => ({
    prepare: async () => {
      stopName = `fzstop-${Date.now().toString(36)}`;
      await must(env, createOp, doc(stopName));
    },
    seed: () => named(nameMember, stopName),
    seedMayFail: { code: 'ValidationException', why: 'the job may already have failed (its image does not exist) before the seed stops it' },
  });
  return {
    CreateTrainingJob: {
      seed: () => trainingJob(TOKEN),
      ...createChecks(env, { describe: ['DescribeTrainingJob', 'TrainingJobName'], list: ['ListTrainingJobs', 'TrainingJobSummaries'], cleanup: ['StopTrainingJob', 'TrainingJobName'] }),
    },
    DescribeTrainingJob: { seed: () => named('TrainingJobName', BASE.trainingJob) },
    ListTrainingJobs: { seed: () => ({}) },
    StopTrainingJob: stopFixture('CreateTrainingJob', 'TrainingJobName', trainingJob),
    CreateProcessingJob: {
      seed: () => processingJob(TOKEN),
      ...createChecks(env, { describe: ['DescribeProcessingJob', 'ProcessingJobName'], list: ['ListProcessingJobs', 'ProcessingJobSummaries'], cleanup: ['StopProcessingJob', 'ProcessingJobName'] }),
    },
    DescribeProcessingJob: { seed: () => named('ProcessingJobName', BASE.processingJob) },
    ListProcessingJobs: { seed: () => ({}) },
    StopProcessingJob: stopFixture('CreateProcessingJob', 'ProcessingJobName', processingJob),
    CreateTransformJob: {
      seed: () => transformJob(TOKEN),
      ...createChecks(env, { describe: ['DescribeTransformJob', 'TransformJobName'], list: ['ListTransformJobs', 'TransformJobSummaries'], cleanup: ['StopTransformJob', 'TransformJobName'] }),
    },
    DescribeTransformJob: { seed: () => named('TransformJobName', BASE.transformJob) },
    ListTransformJobs: { seed: () => ({}) },
    StopTransformJob: stopFixture('CreateTransformJob', 'TransformJobName', transformJob),
    CreateModel: {
      seed: () => model(TOKEN, ABSENT_IMAGE),
      ...createChecks(env, { describe: ['DescribeModel', 'ModelName'], list: ['ListModels', 'Models'], cleanup: ['DeleteModel', 'ModelName'] }),
    },
    DescribeModel: { seed: () => named('ModelName', BASE.model) },
    ListModels: { seed: () => ({}) },
    DeleteModel: {
      prepare: async () => void (await must(env, 'CreateModel', model('fzdel-model', ABSENT_IMAGE))),
      seed: () => named('ModelName', 'fzdel-model'),
    },
    CreateEndpointConfig: {
      seed: () => config(TOKEN, BASE.model),
      ...createChecks(env, { describe: ['DescribeEndpointConfig', 'EndpointConfigName'], list: ['ListEndpointConfigs', 'EndpointConfigs'], cleanup: ['DeleteEndpointConfig', 'EndpointConfigName'] }),
    },
    DescribeEndpointConfig: { seed: () => named('EndpointConfigName', BASE.config) },
    ListEndpointConfigs: { seed: () => ({}) },
    DeleteEndpointConfig: {
      prepare: async () => void (await must(env, 'CreateEndpointConfig', config('fzdel-config', BASE.model))),
      seed: () => named('EndpointConfigName', 'fzdel-config'),
    },
    CreateEndpoint: {
      seed: () => ({ EndpointName: TOKEN, EndpointConfigName: BASE.config }),
      ...createChecks(env, {
        describe: ['DescribeEndpoint', 'EndpointName'],
        list: ['ListEndpoints', 'Endpoints'],
        cleanup: ['DeleteEndpoint', 'EndpointName'],
        logGroup: (n) => `/aws/sagemaker/Endpoints/${n}`,
      }),
    },
    DescribeEndpoint: { seed: () => named('EndpointName', BASE.failedEndpoint) },
    ListEndpoints: { seed: () => ({}) },
    DeleteEndpoint: {
      prepare: async () => void (await must(env, 'CreateEndpoint', { EndpointName: 'fzdel-endpoint', EndpointConfigName: BASE.config })),
      seed: () => named('EndpointName', 'fzdel-endpoint'),
    },
    UpdateEndpoint: {
      prepare: () => waitForLive(env),
      // The new config's image does not exist: the update fails and the old fleet keeps serving.
      seed: () => ({ EndpointName: BASE.liveEndpoint, EndpointConfigName: BASE.config }),
    },
    UpdateEndpointWeightsAndCapacities: {
      prepare: () => waitForLive(env),
      seed: () => ({ EndpointName: BASE.liveEndpoint, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredWeight: 1 }] }),
      seedMayFail: { code: 'ValidationException', why: 'the UpdateEndpoint cases before may leave the endpoint Updating' },
    },
    AddTags: { seed: () => ({ ResourceArn: modelArn(BASE.model), Tags: [{ Key: 'fuzz', Value: 'x' }] }) },
    ListTags: { seed: () => ({ ResourceArn: modelArn(BASE.model) }) },
    DeleteTags: { seed: () => ({ ResourceArn: modelArn(BASE.model), TagKeys: ['fuzz'] }) },
    ...registryAndTuningFixtures(env, ABSENT_IMAGE, (spec) => createChecks(env, spec)),
    ...pipelineFixtures(env, ABSENT_IMAGE),
  };
}

const modelArn = (name: string) => `arn:aws:sagemaker:us-east-1:000000000000:model/${name}`;

/** The live endpoint InService (and not Updating from earlier cases). */
async function waitForLive(env: Env): Promise<void> {
  await waitFor('the live endpoint to be InService', async () => {
    const d = await sm(env, 'DescribeEndpoint', { EndpointName: BASE.liveEndpoint });
    if (d.body.EndpointStatus === 'Failed') throw new Error(`live endpoint failed: ${String(d.body.FailureReason)}`);
    return d.body.EndpointStatus === 'InService';
  });
}

/**
 * @module test/integration/fuzz/sagemaker-pipeline-fixtures — fuzz seeds for the SageMaker
 * Pipelines operations (part of sageMakerFixtures). The base pipeline's one step is a Fail step,
 * so its executions end Failed at once without a container; the stop seed's pipeline trains with
 * an image that does not exist (its job fails without starting a container).
 */
import { TOKEN } from './doc-cases.js';
import type { OpFixture } from './op-suite.js';
import { jsonCall, mustCall, waitFor } from './state.js';

interface Env {
  readonly base: string;
}

export const PIPELINE_BASE = { pipeline: 'fzbase-pipeline', training: 'fzbase-pipeline-train' } as const;

const ROLE = 'arn:aws:iam::000000000000:role/fuzz';
const TOKEN_32 = 'fuzz-client-request-token-000000';
const must = (env: Env, op: string, body: unknown) => mustCall(env.base, `SageMaker.${op}`, body);
const sm = (env: Env, op: string, body: unknown) => jsonCall(env.base, `SageMaker.${op}`, body);

const failDefinition = JSON.stringify({
  Version: '2020-12-01',
  Parameters: [{ Name: 'Mode', Type: 'String', DefaultValue: 'fuzz' }],
  Steps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['mode', { Get: 'Parameters.Mode' }] } } } }],
});
const trainDefinition = (image: string) =>
  JSON.stringify({
    Version: '2020-12-01',
    Steps: [
      {
        Name: 'Train',
        Type: 'Training',
        Arguments: {
          AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
          RoleArn: ROLE,
          OutputDataConfig: { S3OutputPath: 's3://fuzz-bucket/pipeline' },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
          StoppingCondition: { MaxRuntimeInSeconds: 60 },
        },
      },
    ],
  });

let baseExecution = '';

/** The pipelines the seeds refer to, and one finished (Failed) execution. */
export async function setUpPipelines(env: Env, image: string): Promise<void> {
  await must(env, 'CreatePipeline', { PipelineName: PIPELINE_BASE.pipeline, RoleArn: ROLE, PipelineDefinition: failDefinition, ClientRequestToken: TOKEN_32 });
  await must(env, 'CreatePipeline', { PipelineName: PIPELINE_BASE.training, RoleArn: ROLE, PipelineDefinition: trainDefinition(image), ClientRequestToken: TOKEN_32 });
  baseExecution = (await must(env, 'StartPipelineExecution', { PipelineName: PIPELINE_BASE.pipeline, ClientRequestToken: TOKEN_32 })).PipelineExecutionArn as string;
  await waitFor('the base execution to fail', async () => (await must(env, 'DescribePipelineExecution', { PipelineExecutionArn: baseExecution })).PipelineExecutionStatus === 'Failed');
}

export function pipelineFixtures(env: Env, image: string): Record<string, OpFixture> {
  let stopArn = '';
  return {
    CreatePipeline: {
      seed: () => ({ PipelineName: TOKEN, RoleArn: ROLE, PipelineDefinition: failDefinition, ClientRequestToken: TOKEN_32 }),
      hooks: {
        accepted: async (token) => void (await sm(env, 'DeletePipeline', { PipelineName: token, ClientRequestToken: TOKEN_32 })),
        refused: async (token) => {
          const problems: string[] = [];
          if ((await sm(env, 'DescribePipeline', { PipelineName: token })).status === 200) problems.push(`DescribePipeline finds ${token} after the refusal`);
          const l = await sm(env, 'ListPipelines', { PipelineNamePrefix: token });
          if (((l.body.PipelineSummaries as unknown[]) ?? []).length > 0) problems.push(`ListPipelines lists ${token} after the refusal`);
          return problems;
        },
      },
    },
    UpdatePipeline: { seed: () => ({ PipelineName: PIPELINE_BASE.pipeline, PipelineDescription: 'fuzz', PipelineDefinition: failDefinition }) },
    DescribePipeline: { seed: () => ({ PipelineName: PIPELINE_BASE.pipeline }) },
    ListPipelines: { seed: () => ({ PipelineNamePrefix: 'fzbase' }) },
    DeletePipeline: {
      prepare: async () => void (await must(env, 'CreatePipeline', { PipelineName: 'fzdel-pipeline', RoleArn: ROLE, PipelineDefinition: failDefinition, ClientRequestToken: TOKEN_32 })),
      seed: () => ({ PipelineName: 'fzdel-pipeline', ClientRequestToken: TOKEN_32 }),
    },
    StartPipelineExecution: { seed: () => ({ PipelineName: PIPELINE_BASE.pipeline, PipelineParameters: [{ Name: 'Mode', Value: 'seed' }], ClientRequestToken: TOKEN_32 }) },
    DescribePipelineExecution: { seed: () => ({ PipelineExecutionArn: baseExecution }) },
    DescribePipelineDefinitionForExecution: { seed: () => ({ PipelineExecutionArn: baseExecution }) },
    ListPipelineExecutions: { seed: () => ({ PipelineName: PIPELINE_BASE.pipeline }) },
    ListPipelineExecutionSteps: { seed: () => ({ PipelineExecutionArn: baseExecution }) },
    ListPipelineParametersForExecution: { seed: () => ({ PipelineExecutionArn: baseExecution }) },
    StopPipelineExecution: {
      prepare: async () => {
        stopArn = (await must(env, 'StartPipelineExecution', { PipelineName: PIPELINE_BASE.training, ClientRequestToken: TOKEN_32 })).PipelineExecutionArn as string;
      },
      seed: () => ({ PipelineExecutionArn: stopArn, ClientRequestToken: TOKEN_32 }),
      seedMayFail: { code: 'ValidationException', why: 'the execution may already have failed (its training image does not exist) before the seed stops it' },
    },
    RetryPipelineExecution: {
      seed: () => ({ PipelineExecutionArn: baseExecution, ClientRequestToken: TOKEN_32 }),
      seedMayFail: { code: 'ValidationException', why: 'an earlier case may have retried the execution, which is then Executing until its Fail step ends it again' },
    },
  };
}

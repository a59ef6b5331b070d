/**
 * Browser test of the console's tuning pages (issue 17, item 1): a Grid tuning job over the noop
 * fixture (it prints `train:loss=0.5;`) shows in the list, and its page shows the counters, the
 * best training job and every training job it launched with its objective and hyperparameters,
 * linked to the training job's page. Any browser console error fails the suite.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateHyperParameterTuningJobCommand, DescribeHyperParameterTuningJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { sdkClientConfig } from '../../helpers/server.js';
import { startConsoleEnv, until, type ConsoleEnv } from './harness.js';

const suffix = Math.random().toString(36).slice(2, 8);
const name = `tune-${suffix}`;

describe('console: tuning jobs', () => {
  let env: ConsoleEnv;

  beforeAll(async () => {
    const noop = await buildFixtureImage('noop');
    env = await startConsoleEnv();
    const s3 = new S3Client({ ...sdkClientConfig(env.server.url), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: `console-${suffix}` }));
    const sm = new SageMakerClient(sdkClientConfig(env.server.url));
    await sm.send(
      new CreateHyperParameterTuningJobCommand({
        HyperParameterTuningJobName: name,
        HyperParameterTuningJobConfig: {
          Strategy: 'Grid',
          HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'train:loss' },
          ResourceLimits: { MaxParallelTrainingJobs: 2 },
          ParameterRanges: { CategoricalParameterRanges: [{ Name: 'kernel', Values: ['linear', 'rbf'] }] },
        },
        TrainingJobDefinition: {
          AlgorithmSpecification: { TrainingImage: noop, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'train:loss', Regex: 'train:loss=([0-9.]+);' }] },
          RoleArn: 'arn:aws:iam::000000000000:role/slipway',
          OutputDataConfig: { S3OutputPath: `s3://console-${suffix}/tuning` },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
          StoppingCondition: { MaxRuntimeInSeconds: 300 },
        },
      }),
    );
    await until('the tuning job to complete', async () => {
      const d = await sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
      return d.HyperParameterTuningJobStatus === 'Completed';
    });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('lists the tuning job and shows its best job and training jobs', async () => {
    const page = await env.newPage();
    await page.goto('/_slipway/tuning-jobs');
    await page.getByRole('heading', { name: 'Tuning jobs' }).waitFor();
    await page.getByText('2 completed, 0 running, 0 failed, 0 stopped').waitFor();
    await page.getByRole('link', { name }).click();
    await page.waitForURL(new RegExp(`/_slipway/tuning-jobs/${name}$`));
    await page.getByRole('heading', { name: 'Best training job' }).waitFor();
    await page.getByRole('heading', { name: 'Objective by training job' }).waitFor();
    await page.getByText('Minimize train:loss').waitFor();
    await page.getByText('kernel=linear').first().waitFor();
    await page.getByText('kernel=rbf').first().waitFor();
    const jobLinks = page.getByRole('link', { name: new RegExp(`^${name}-00[12]-[0-9a-f]{8}$`) });
    await until('three links to training jobs (best + two rows)', async () => (await jobLinks.count()) === 3);
    await env.screenshot(page, '30-tuning-job');
    await jobLinks.first().click();
    await page.waitForURL(new RegExp(`/_slipway/training-jobs/${name}-00`));
    await page.getByText('Completed').first().waitFor();
    await page.close();
  });

  it('logged no browser console errors', () => {
    expect(env.errors).toEqual([]);
  });
});

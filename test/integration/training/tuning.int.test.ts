/**
 * Hyperparameter tuning jobs with the JS SDK on real Docker (issue 17, item 1): typed errors for
 * what cannot run (nothing created), a Grid search over every categorical combination,
 * StopHyperParameterTuningJob stopping the running children, and a server restart in the middle
 * of a tuning job that resumes it. Fixture images: noop (prints `train:loss=0.5;`) and sleeper
 * (prints `sleeper: tick=N;` each second for `seconds`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  ListHyperParameterTuningJobsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  StopHyperParameterTuningJobCommand,
  type CreateHyperParameterTuningJobCommandInput,
  type DescribeHyperParameterTuningJobCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../../helpers/poll.js';
import { clients, makeBucket, ROLE, uniq, waitFor } from './helpers.js';

function tuningInput(name: string, image: string, bucket: string, over: Partial<CreateHyperParameterTuningJobCommandInput['HyperParameterTuningJobConfig']> = {}, defOver: Record<string, unknown> = {}): CreateHyperParameterTuningJobCommandInput {
  return {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: 'Random',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'tick' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1 },
      ParameterRanges: { IntegerParameterRanges: [{ Name: 'x', MinValue: '1', MaxValue: '3' }] },
      ...over,
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'tick', Regex: 'sleeper: tick=([0-9]+);' }] },
      RoleArn: ROLE,
      StaticHyperParameters: { seconds: '2' },
      OutputDataConfig: { S3OutputPath: `s3://${bucket}/tuning` },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
      ...defOver,
    },
  };
}

const describeTuning = (sm: SageMakerClient, name: string) => sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
const children = async (sm: SageMakerClient, name: string) =>
  (await sm.send(new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name, MaxResults: 100 }))).TrainingJobSummaries ?? [];

async function waitTuning(sm: SageMakerClient, name: string, done: (d: DescribeHyperParameterTuningJobCommandOutput) => boolean, timeoutMs = 180_000) {
  let last: DescribeHyperParameterTuningJobCommandOutput | undefined;
  return until(
    `tuning job ${name}`,
    async () => {
      last = await describeTuning(sm, name);
      return done(last) && last;
    },
    { timeoutMs, everyMs: 250, lastSeen: () => JSON.stringify(last?.TrainingJobStatusCounters) + ' ' + last?.HyperParameterTuningJobStatus },
  );
}

async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    const e = err as Error;
    return { name: e.name, message: e.message };
  }
}

describe('hyperparameter tuning jobs', () => {
  let srv: TestServer;
  let sleeper: string;
  let noop: string;
  let bucket: string;
  beforeAll(async () => {
    [sleeper, noop] = await Promise.all([buildFixtureImage('sleeper'), buildFixtureImage('noop')]);
    srv = await startTestServer();
    bucket = await makeBucket(clients(srv.url).s3);
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('refuses what SageMaker or Slipway cannot run with a typed error and creates nothing', async () => {
    const { sm } = clients(srv.url);
    const prefix = uniq('bad');
    const cases: [string, CreateHyperParameterTuningJobCommandInput, RegExp][] = [
      ['completion', tuningInput(`${prefix}-1`, sleeper, bucket, { TuningJobCompletionCriteria: { TargetObjectiveMetricValue: 1 } }), /TuningJobCompletionCriteria is not supported by Slipway yet/],
      ['objective', tuningInput(`${prefix}-2`, sleeper, bucket, { HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'auc' } }), /objective metric auc is not among AlgorithmSpecification.MetricDefinitions \(tick\)/],
      ['grid-integer', tuningInput(`${prefix}-3`, sleeper, bucket, { Strategy: 'Grid' }), /Grid strategy takes only CategoricalParameterRanges/],
      ['parallel', tuningInput(`${prefix}-4`, sleeper, bucket, { ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 2 } }), /MaxParallelTrainingJobs \(2\) cannot exceed MaxNumberOfTrainingJobs \(1\)/],
      [
        'log-range',
        tuningInput(`${prefix}-5`, sleeper, bucket, { ParameterRanges: { ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0', MaxValue: '1', ScalingType: 'Logarithmic' }] } }),
        /lr: Logarithmic scaling needs MinValue greater than 0/,
      ],
      // The first child is checked as CreateTrainingJob checks a request: its own message.
      ['no-image', tuningInput(`${prefix}-6`, sleeper, bucket, {}, { AlgorithmSpecification: { TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'tick', Regex: 't=(.*)' }] } }), /AlgorithmSpecification.TrainingImage is required/],
      ['hyperband-max', tuningInput(`${prefix}-7`, sleeper, bucket, { Strategy: 'Hyperband' }), /HyperbandStrategyConfig.MaxResource is not given and cannot be inferred/],
    ];
    for (const [what, input, message] of cases) {
      const err = await errorOf(sm.send(new CreateHyperParameterTuningJobCommand(input)));
      expect(err, what).toMatchObject({ name: 'ValidationException' });
      expect(err!.message, what).toMatch(message);
    }
    // A GPU type on a host that offers no GPUs: refused up front, as each training job would be.
    const gpu = await errorOf(sm.send(new CreateHyperParameterTuningJobCommand(tuningInput(`${prefix}-8`, sleeper, bucket, {}, { ResourceConfig: { InstanceType: 'ml.g4dn.xlarge', InstanceCount: 1, VolumeSizeInGB: 1 } }))));
    expect(gpu).toMatchObject({ name: 'ResourceLimitExceeded', message: expect.stringMatching(/'ml\.g4dn\.xlarge for training job usage'/) });
    const listed = await sm.send(new ListHyperParameterTuningJobsCommand({ NameContains: prefix }));
    expect(listed.HyperParameterTuningJobSummaries).toEqual([]);
    expect(await errorOf(describeTuning(sm, `${prefix}-1`))).toMatchObject({ name: 'ResourceNotFound' });
    expect(await errorOf(sm.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: `${prefix}-1` })))).toMatchObject({ name: 'ResourceNotFound' });
  });

  it('runs a Grid search once per categorical combination and answers ResourceInUse for a taken name', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('grid');
    const input = tuningInput(
      name,
      noop,
      bucket,
      {
        Strategy: 'Grid',
        HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'loss' },
        ResourceLimits: { MaxParallelTrainingJobs: 2 },
        ParameterRanges: { CategoricalParameterRanges: [{ Name: 'kernel', Values: ['linear', 'rbf'] }] },
      },
      { AlgorithmSpecification: { TrainingImage: noop, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'loss', Regex: 'train:loss=([0-9.]+);' }] } },
    );
    await sm.send(new CreateHyperParameterTuningJobCommand(input));
    expect(await errorOf(sm.send(new CreateHyperParameterTuningJobCommand(input)))).toMatchObject({ name: 'ResourceInUse' });
    const d = await waitTuning(sm, name, (x) => x.HyperParameterTuningJobStatus !== 'InProgress');
    expect(d.HyperParameterTuningJobStatus).toBe('Completed');
    expect(d.HyperParameterTuningJobConfig?.ResourceLimits?.MaxNumberOfTrainingJobs).toBe(2);
    expect(d.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric).toEqual({ Type: 'Minimize', MetricName: 'loss', Value: 0.5 });
    const kids = await children(sm, name);
    expect(kids.map((k) => k.TunedHyperParameters?.kernel).sort()).toEqual(['linear', 'rbf']);
    expect(d.HyperParameterTuningEndTime).toBeInstanceOf(Date);
  });

  it('StopHyperParameterTuningJob stops the running training jobs and launches no more', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('stop');
    await sm.send(
      new CreateHyperParameterTuningJobCommand(
        tuningInput(
          name,
          sleeper,
          bucket,
          {
            ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
            ParameterRanges: { ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0.0001', MaxValue: '0.1', ScalingType: 'Logarithmic' }] },
          },
          { StaticHyperParameters: { seconds: '600' } },
        ),
      ),
    );
    await waitTuning(sm, name, (x) => x.TrainingJobStatusCounters?.InProgress === 2);
    const kids = await children(sm, name);
    for (const k of kids) await waitFor(sm, k.TrainingJobName!, { until: (j) => j.SecondaryStatus === 'Training' });
    await sm.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
    expect((await describeTuning(sm, name)).HyperParameterTuningJobStatus).toBe('Stopping');
    const d = await waitTuning(sm, name, (x) => x.HyperParameterTuningJobStatus === 'Stopped');
    expect(d.TrainingJobStatusCounters).toEqual({ Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 2 });
    const after = await children(sm, name);
    expect(after).toHaveLength(2);
    for (const k of after) {
      expect(k.TrainingJobStatus).toBe('Stopped');
      const lr = Number(k.TunedHyperParameters?.lr);
      expect(lr).toBeGreaterThanOrEqual(0.0001);
      expect(lr).toBeLessThanOrEqual(0.1);
    }
    const o = d.ObjectiveStatusCounters!;
    expect([o.Pending, (o.Succeeded ?? 0) + (o.Failed ?? 0)]).toEqual([0, 2]);
  });

  it('a restarted server resumes a tuning job and finishes it', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('resume');
    await sm.send(new CreateHyperParameterTuningJobCommand(tuningInput(name, sleeper, bucket, { ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 1 } })));
    await waitTuning(sm, name, (x) => x.TrainingJobStatusCounters?.InProgress === 1);
    srv = await srv.restart();
    const sm2 = clients(srv.url).sm;
    const d = await waitTuning(sm2, name, (x) => x.HyperParameterTuningJobStatus !== 'InProgress');
    expect(d.HyperParameterTuningJobStatus).toBe('Completed');
    expect(d.TrainingJobStatusCounters?.Completed).toBe(3);
    expect(d.ObjectiveStatusCounters).toEqual({ Succeeded: 3, Pending: 0, Failed: 0 });
    const kids = await children(sm2, name);
    expect(kids.map((k) => k.TrainingJobName).sort()).toEqual(kids.map((_k, i) => expect.stringMatching(new RegExp(`^${name}-00${i + 1}-`))));
    expect(d.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric?.Value).toBeGreaterThanOrEqual(1);
  });
});

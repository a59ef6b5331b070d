/**
 * Tuning's early stopping (TrainingJobEarlyStoppingType Auto), the Hyperband strategy and warm
 * start, with the JS SDK on real Docker. Fixture image `epochs` prints `epoch=N; score=S;` every
 * `epoch_seconds`, S = quality·(1 − 0.5^N): a lower `quality` is worse at every epoch, so which job
 * the rules must stop is known in advance.
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
  type HyperParameterTuningJobConfig,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../../helpers/poll.js';
import { clients, describe as describeJob, makeBucket, ROLE, uniq } from './helpers.js';

const METRICS = [
  { Name: 'score', Regex: 'score=([0-9.]+);' },
  { Name: 'epoch', Regex: 'epoch=([0-9]+);' },
];

function input(name: string, image: string, bucket: string, cfg: Partial<HyperParameterTuningJobConfig>, statics: Record<string, string>, defOver: Record<string, unknown> = {}): CreateHyperParameterTuningJobCommandInput {
  return {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: 'Random',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'score' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1 },
      ParameterRanges: { ContinuousParameterRanges: [{ Name: 'quality', MinValue: '1', MaxValue: '10' }] },
      ...cfg,
    } as HyperParameterTuningJobConfig,
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File', MetricDefinitions: METRICS },
      RoleArn: ROLE,
      StaticHyperParameters: statics,
      OutputDataConfig: { S3OutputPath: `s3://${bucket}/tuning` },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
      ...defOver,
    },
  };
}

const describeTuning = (sm: SageMakerClient, name: string) => sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
const children = async (sm: SageMakerClient, name: string) =>
  ((await sm.send(new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name, MaxResults: 100, SortBy: 'Name' }))).TrainingJobSummaries ?? []);

async function waitEnded(sm: SageMakerClient, name: string): Promise<DescribeHyperParameterTuningJobCommandOutput> {
  let last: DescribeHyperParameterTuningJobCommandOutput | undefined;
  return until(
    `tuning job ${name}`,
    async () => {
      last = await describeTuning(sm, name);
      return !['InProgress', 'Stopping'].includes(last.HyperParameterTuningJobStatus ?? '') && last;
    },
    { timeoutMs: 240_000, everyMs: 300, lastSeen: () => JSON.stringify(last?.TrainingJobStatusCounters) + ' ' + last?.HyperParameterTuningJobStatus },
  );
}

/** The last epoch a training job printed (its FinalMetricDataList `epoch`). */
async function epochsOf(sm: SageMakerClient, job: string): Promise<number> {
  const d = await describeJob(sm, job);
  return d.FinalMetricDataList?.find((m) => m.MetricName === 'epoch')?.Value ?? 0;
}

async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
}

describe('tuning: early stopping, Hyperband, warm start', () => {
  let srv: TestServer;
  let image: string;
  let bucket: string;
  let hyperbandJob = '';
  beforeAll(async () => {
    image = await buildFixtureImage('epochs');
    srv = await startTestServer();
    bucket = await makeBucket(clients(srv.url).s3);
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('early stopping Auto stops a poor training job early; it ends Stopped, counted Stopped, its objective the last value', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('es');
    // Grid runs the qualities in order: three good jobs, then a poor one judged against them.
    const req = input(
      name,
      image,
      bucket,
      {
        Strategy: 'Grid',
        TrainingJobEarlyStoppingType: 'Auto',
        ResourceLimits: { MaxParallelTrainingJobs: 3 },
        ParameterRanges: { CategoricalParameterRanges: [{ Name: 'quality', Values: ['9', '8', '7', '1'] }] },
      },
      { epochs: '8', epoch_seconds: '1' },
    );
    await sm.send(new CreateHyperParameterTuningJobCommand(req));
    const d = await waitEnded(sm, name);
    expect(d.HyperParameterTuningJobStatus).toBe('Completed');
    expect(d.HyperParameterTuningJobConfig?.TrainingJobEarlyStoppingType).toBe('Auto');
    expect(d.TrainingJobStatusCounters).toEqual({ Completed: 3, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 1 });
    expect(d.ObjectiveStatusCounters).toEqual({ Succeeded: 4, Pending: 0, Failed: 0 });
    const kids = await children(sm, name);
    const poor = kids.find((k) => k.TunedHyperParameters?.quality === '1')!;
    expect(poor.TrainingJobStatus).toBe('Stopped');
    const epochs = await epochsOf(sm, poor.TrainingJobName!);
    expect(epochs).toBeGreaterThanOrEqual(1);
    expect(epochs).toBeLessThan(8);
    // Its objective is the last value it printed before the stop.
    expect(poor.FinalHyperParameterTuningJobObjectiveMetric?.Value).toBeCloseTo(1 - 0.5 ** epochs, 5);
    for (const k of kids.filter((x) => x !== poor)) expect(await epochsOf(sm, k.TrainingJobName!)).toBe(8);
    expect(d.BestTrainingJob?.TunedHyperParameters?.quality).toBe('9');
  });

  it('Hyperband (MaxResource inferred from the static epochs) stops a job at a rung and reports the best job', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('hb');
    hyperbandJob = name;
    // RandomSeed 5 draws qualities 5.48, 2.03, 6.26, 1.28, 2.13, 3.24; brackets [1,3], [3], [] take
    // children 1&4, 2&5, 3&6: child 4 (1.28) meets child 1 (5.48) at rung 1 and must stop there.
    const req = input(
      name,
      image,
      bucket,
      { Strategy: 'Hyperband', RandomSeed: 5, StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1 } }, ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 3 } },
      { epochs: '9', epoch_seconds: '0.5' },
    );
    await sm.send(new CreateHyperParameterTuningJobCommand(req));
    const d = await waitEnded(sm, name);
    expect(d.HyperParameterTuningJobStatus).toBe('Completed');
    const kids = await children(sm, name);
    expect(kids).toHaveLength(6);
    const fourth = kids[3]!;
    expect(Number(fourth.TunedHyperParameters?.quality)).toBeCloseTo(1.28, 1);
    expect(fourth.TrainingJobStatus).toBe('Stopped');
    expect(await epochsOf(sm, fourth.TrainingJobName!)).toBeLessThan(9);
    const values = kids.map((k) => k.FinalHyperParameterTuningJobObjectiveMetric?.Value ?? -1);
    expect(d.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric?.Value).toBe(Math.max(...values));
    expect(Number(d.BestTrainingJob?.TunedHyperParameters?.quality)).toBeCloseTo(6.26, 1);
    expect((d.TrainingJobStatusCounters?.Completed ?? 0) + (d.TrainingJobStatusCounters?.Stopped ?? 0)).toBe(6);
  });

  it('refuses Hyperband and warm start requests SageMaker refuses, creating nothing', async () => {
    const { sm } = clients(srv.url);
    const prefix = uniq('bad');
    const running = `${prefix}-run`;
    await sm.send(new CreateHyperParameterTuningJobCommand(input(running, image, bucket, {}, { epochs: '600', epoch_seconds: '1' })));
    const ws = (type: string, ...parents: string[]) => ({ WarmStartConfig: { WarmStartType: type as 'TransferLearning', ParentHyperParameterTuningJobs: parents.map((p) => ({ HyperParameterTuningJobName: p })) } });
    const cases: [string, CreateHyperParameterTuningJobCommandInput, RegExp][] = [
      ['hb-no-max', input(`${prefix}-1`, image, bucket, { Strategy: 'Hyperband' }, { epoch_seconds: '1' }), /MaxResource is not given and cannot be inferred/],
      ['hb-auto', input(`${prefix}-2`, image, bucket, { Strategy: 'Hyperband', TrainingJobEarlyStoppingType: 'Auto' }, { epochs: '3' }), /TrainingJobEarlyStoppingType must be Off to use Hyperband/],
      ['hb-config', input(`${prefix}-3`, image, bucket, { StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 3 } } }, {}), /HyperbandStrategyConfig is provided only with the Hyperband strategy/],
      ['hb-min-max', input(`${prefix}-4`, image, bucket, { Strategy: 'Hyperband', StrategyConfig: { HyperbandStrategyConfig: { MinResource: 5, MaxResource: 3 } } }, {}), /MinResource \(5\) cannot exceed MaxResource \(3\)/],
      ['ws-missing', { ...input(`${prefix}-5`, image, bucket, {}, { epochs: '9', epoch_seconds: '0.5' }), ...ws('TransferLearning', `${prefix}-nope`) }, /parent hyperparameter tuning job .*-nope does not exist/],
      ['ws-running', { ...input(`${prefix}-6`, image, bucket, {}, { epochs: '9', epoch_seconds: '0.5' }), ...ws('TransferLearning', running) }, /is InProgress; a warm start parent must be Completed, Stopped or Failed/],
      [
        'ws-objective',
        { ...input(`${prefix}-7`, image, bucket, { HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'score' } }, { epochs: '9', epoch_seconds: '0.5' }), ...ws('TransferLearning', hyperbandJob) },
        /objective metric \(Minimize score\) must be the same as the parent/,
      ],
      ['ws-count', { ...input(`${prefix}-8`, image, bucket, {}, { epochs: '9' }), ...ws('TransferLearning', hyperbandJob) }, /static plus tunable hyperparameters \(2\) must be the same as in the parent .* \(3\)/],
      [
        'ws-type',
        { ...input(`${prefix}-9`, image, bucket, { ParameterRanges: { IntegerParameterRanges: [{ Name: 'quality', MinValue: '1', MaxValue: '10' }] } }, { epochs: '9', epoch_seconds: '0.5' }), ...ws('TransferLearning', hyperbandJob) },
        /quality is Integer but Continuous in the parent/,
      ],
      [
        'ws-image',
        { ...input(`${prefix}-10`, image, bucket, {}, { epochs: '9', epoch_seconds: '0.5' }, { AlgorithmSpecification: { TrainingImage: 'slipway-fixture/sleeper:latest', TrainingInputMode: 'File', MetricDefinitions: METRICS } }), ...ws('IdenticalDataAndAlgorithm', hyperbandJob) },
        /IdenticalDataAndAlgorithm needs the training image of the parent/,
      ],
    ];
    for (const [what, req, message] of cases) {
      const err = await errorOf(sm.send(new CreateHyperParameterTuningJobCommand(req)));
      expect(err, what).toMatchObject({ name: 'ValidationException' });
      expect(err!.message, what).toMatch(message);
    }
    const quota = await errorOf(
      sm.send(new CreateHyperParameterTuningJobCommand({ ...input(`${prefix}-11`, image, bucket, { ResourceLimits: { MaxNumberOfTrainingJobs: 748, MaxParallelTrainingJobs: 1 } }, { epochs: '9', epoch_seconds: '0.5' }), ...ws('TransferLearning', hyperbandJob) })),
    );
    expect(quota).toMatchObject({ name: 'ResourceLimitExceeded', message: expect.stringMatching(/parent tuning jobs' 6 training jobs/) });
    await sm.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: running }));
    const listed = await sm.send(new ListHyperParameterTuningJobsCommand({ NameContains: prefix, MaxResults: 100 }));
    expect(listed.HyperParameterTuningJobSummaries?.map((s) => s.HyperParameterTuningJobName)).toEqual([running]);
    await waitEnded(sm, running);
  });

  it('warm starts from a finished parent: IdenticalDataAndAlgorithm reports the overall best across parent and child', async () => {
    const { sm } = clients(srv.url);
    expect(hyperbandJob).not.toBe('');
    const name = uniq('ws');
    // The static epochs value changes (2 changes of the 10 allowed); data and image stay.
    const req: CreateHyperParameterTuningJobCommandInput = {
      ...input(name, image, bucket, { Strategy: 'Bayesian', ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 2 } }, { epochs: '2', epoch_seconds: '0.5' }),
      WarmStartConfig: { WarmStartType: 'IdenticalDataAndAlgorithm', ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: hyperbandJob }] },
    };
    await sm.send(new CreateHyperParameterTuningJobCommand(req));
    const d = await waitEnded(sm, name);
    expect(d.HyperParameterTuningJobStatus).toBe('Completed');
    expect(d.WarmStartConfig).toEqual(req.WarmStartConfig);
    expect(d.TrainingJobStatusCounters?.Completed).toBe(2);
    const parent = await describeTuning(sm, hyperbandJob);
    // The overall best is the better of this job's best and the parent's.
    const own = d.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value!;
    const theirs = parent.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value!;
    expect(d.OverallBestTrainingJob?.TrainingJobName).toBe(own > theirs ? d.BestTrainingJob!.TrainingJobName : parent.BestTrainingJob!.TrainingJobName);
    expect(d.BestTrainingJob?.TuningJobName).toBe(name);

    // TransferLearning may change the image and the data; it has no OverallBestTrainingJob.
    const tl = uniq('tl');
    await sm.send(
      new CreateHyperParameterTuningJobCommand({
        ...input(tl, image, bucket, { Strategy: 'Bayesian', ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 } }, { epochs: '2', epoch_seconds: '0.5' }),
        WarmStartConfig: { WarmStartType: 'TransferLearning', ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: hyperbandJob }, { HyperParameterTuningJobName: name }] },
      }),
    );
    const t = await waitEnded(sm, tl);
    expect(t.HyperParameterTuningJobStatus).toBe('Completed');
    expect(t.OverallBestTrainingJob).toBeUndefined();
  });
});

/**
 * The tuning controller's planning on a real (in-memory) SQLite resource store, with a launcher
 * that records training jobs as CreateTrainingJob would and lets the test finish them: parallel
 * limit, objective bookkeeping, Bayesian proposals, crash recovery, refusals and Stop. The
 * end-to-end proof with real containers is in test/integration/training/tuning.int.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationException } from '../../protocol/errors.js';
import type { TrainingJobDoc } from '../../resources/training-job.js';
import type { TuningJobConfigDoc, TuningJobDoc } from '../../resources/tuning-job.js';
import { SqlMetadataStore } from '../../storage/metadata-store.js';
import { WorkQueue } from '../work-queue.js';
import { TuningJobController } from './controller.js';

const KEY = 'hyper-parameter-tuning-job:t';

async function setUp(config: Partial<TuningJobConfigDoc>, refuse = false) {
  const meta = SqlMetadataStore.openSqlite(':memory:');
  const resources = meta.resources;
  const queue = new WorkQueue({});
  const created: string[] = [];
  const stopped: string[] = [];
  const launcher = {
    create: async (_ctx: unknown, input: Record<string, unknown>) => {
      if (refuse) throw new ValidationException('AlgorithmSpecification.TrainingImage is required.');
      const name = input.TrainingJobName as string;
      created.push(name);
      const doc = { TrainingJobName: name, TrainingJobArn: `arn:${name}`, TrainingJobStatus: 'InProgress', CreationTime: 1, HyperParameters: input.HyperParameters } as unknown as TrainingJobDoc;
      await resources.create({ kind: 'training-job', name, arn: `arn:${name}`, status: 'InProgress', creationTime: 1, lastModifiedTime: 1, doc, internal: { step: 'pending' } as never });
    },
    stop: async (name: string) => {
      stopped.push(name);
      await finish(name, 'Stopped');
    },
  };
  const finish = (name: string, status: string, metrics: Record<string, number> = {}) =>
    resources.update('training-job', name, (r) => {
      r.status = status;
      r.doc.TrainingJobStatus = status as TrainingJobDoc['TrainingJobStatus'];
      r.doc.FinalMetricDataList = Object.entries(metrics).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: 1 }));
    });
  const doc: TuningJobDoc = {
    HyperParameterTuningJobName: 't',
    HyperParameterTuningJobArn: 'arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/t',
    HyperParameterTuningJobConfig: {
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'acc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
      ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1' }], IntegerParameterRanges: [{ Name: 'n', MinValue: '1', MaxValue: '20' }] },
      ...config,
    },
    TrainingJobDefinition: { AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' }, RoleArn: 'r', OutputDataConfig: { S3OutputPath: 's3://b/o' }, StoppingCondition: {} },
    HyperParameterTuningJobStatus: 'InProgress',
    CreationTime: 1,
    LastModifiedTime: 1,
    TrainingJobStatusCounters: { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 },
    ObjectiveStatusCounters: { Succeeded: 0, Pending: 0, Failed: 0 },
  };
  await resources.create({ kind: 'hyper-parameter-tuning-job', name: 't', arn: doc.HyperParameterTuningJobArn, status: 'InProgress', creationTime: Date.now(), lastModifiedTime: 1, doc, internal: { region: 'us-east-1', accountId: '000000000000', children: [] } });
  const controller = new TuningJobController({ resources, queue, launcher });
  const cleanup = async () => {
    await queue.stop();
    await meta.close();
  };
  const report = (name: string, values: number[]) =>
    resources.update('training-job', name, (r) => {
      r.internal.metricSeries = { acc: values.map((v, i) => [i, v] as [number, number]) };
      r.doc.FinalMetricDataList = [{ MetricName: 'acc', Value: values.at(-1)!, Timestamp: 1 }];
    });
  return { resources, controller, created, stopped, finish, report, cleanup, reconcile: () => controller.reconcile(KEY), tuning: async () => (await resources.get('hyper-parameter-tuning-job', 't'))! };
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

describe('tuning controller', () => {
  it('keeps at most MaxParallelTrainingJobs running, proposes distinct points, and completes with the best', async () => {
    const t = await setUp({});
    cleanups.push(t.cleanup);
    // A known objective with its maximum at x = 0.7, n = 12.
    const acc = (hp: Record<string, string>) => 1 - (Number(hp.x) - 0.7) ** 2 - ((Number(hp.n) - 12) / 20) ** 2;
    for (let round = 0; round < 20 && (await t.tuning()).status === 'InProgress'; round++) {
      await t.reconcile();
      const running: string[] = [];
      for (const n of t.created) if ((await t.resources.get('training-job', n))!.status === 'InProgress') running.push(n);
      expect(running.length).toBeLessThanOrEqual(2);
      const first = running[0];
      if (first) await t.finish(first, 'Completed', { acc: acc((await t.resources.get('training-job', first))!.doc.HyperParameters!) });
    }
    const rec = await t.tuning();
    expect(rec.status).toBe('Completed');
    expect(t.created).toHaveLength(8);
    const points = rec.internal.children.map((c) => `${c.tuned.x}/${c.tuned.n}`);
    expect(new Set(points).size).toBe(8);
    expect(rec.doc.TrainingJobStatusCounters).toEqual({ Completed: 8, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 });
    const values = await Promise.all(t.created.map(async (n) => (await t.resources.get('training-job', n))!.doc.FinalMetricDataList![0]!.Value));
    expect(rec.doc.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric?.Value).toBe(Math.max(...values));
    expect(rec.doc.HyperParameterTuningEndTime).toBeDefined();
    // Every child carries the static and tuned hyperparameters and the objective's name.
    expect((await t.resources.get('training-job', t.created[0]!))!.doc.HyperParameters).toMatchObject({ _tuning_objective_metric: 'acc', x: expect.any(String), n: expect.any(String) });
  });

  it('creates a recorded child whose training job is missing (the server stopped between the two writes)', async () => {
    const t = await setUp({ ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 } });
    cleanups.push(t.cleanup);
    await t.resources.update('hyper-parameter-tuning-job', 't', (r) => void r.internal.children.push({ name: 't-001-abcdef12', point: [0.5, 0.5], tuned: { x: '0.5', n: '11' } }));
    await t.reconcile();
    expect(t.created).toEqual(['t-001-abcdef12']);
    expect((await t.tuning()).internal.children).toHaveLength(1);
  });

  it('counts a child CreateTrainingJob refuses as NonRetryableError and fails the job with the reason', async () => {
    const t = await setUp({ ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 2 } }, true);
    cleanups.push(t.cleanup);
    await t.reconcile();
    const rec = await t.tuning();
    expect(rec.status).toBe('Failed');
    expect(rec.doc.TrainingJobStatusCounters.NonRetryableError).toBe(2);
    expect(rec.doc.FailureReason).toMatch(/^All 2 training jobs failed; t-002-[0-9a-f]{8}: CreateTrainingJob refused the training job: AlgorithmSpecification.TrainingImage is required\.$/);
  });

  it('fails with a reason naming the objective when completed children never reported it', async () => {
    const t = await setUp({ ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 } });
    cleanups.push(t.cleanup);
    await t.reconcile();
    await t.finish(t.created[0]!, 'Completed', { loss: 0.1 });
    await t.reconcile();
    expect((await t.tuning()).status).toBe('Failed');
    expect((await t.tuning()).doc.FailureReason).toBe('No training job reported the objective metric acc: 1 completed without it. AlgorithmSpecification.MetricDefinitions has no definition named acc');
    expect((await t.tuning()).doc.ObjectiveStatusCounters).toEqual({ Succeeded: 0, Pending: 0, Failed: 1 });
  });

  it('on Stopping, stops the running children and ends Stopped without launching more', async () => {
    const t = await setUp({});
    cleanups.push(t.cleanup);
    await t.reconcile();
    expect(t.created).toHaveLength(2);
    await t.resources.update('hyper-parameter-tuning-job', 't', (r) => {
      r.status = 'Stopping';
      r.doc.HyperParameterTuningJobStatus = 'Stopping';
    });
    await t.reconcile();
    await t.reconcile();
    expect(t.stopped.sort()).toEqual([...t.created].sort());
    expect(t.created).toHaveLength(2);
    expect((await t.tuning()).status).toBe('Stopped');
    expect((await t.tuning()).doc.TrainingJobStatusCounters.Stopped).toBe(2);
  });

  it('early stopping Auto stops a running child worse than the median of the earlier ones, through StopTrainingJob, and counts it Stopped', async () => {
    const t = await setUp({ Strategy: 'Random', TrainingJobEarlyStoppingType: 'Auto', ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 5 } });
    cleanups.push(t.cleanup);
    await t.reconcile();
    expect(t.created).toHaveLength(5);
    const [a, b, c, d, e] = t.created as [string, string, string, string, string];
    await t.report(a, [0.5, 0.6, 0.7]);
    await t.report(b, [0.6, 0.7, 0.8]);
    await t.report(c, [0.4, 0.5, 0.6]);
    await t.report(d, [0.55, 0.65]);
    await t.report(e, [0.1, 0.2]);
    await t.reconcile();
    // e (epoch 2: 0.2 < median 0.6 of the running averages 0.55, 0.65, 0.45, 0.6) stops; d (0.65) goes on; a–c had too few earlier jobs.
    expect(t.stopped).toEqual([e]);
    expect((await t.tuning()).internal.children[4]!.stopReason).toMatch(/^epoch 2: objective worse than the median/);
    await t.reconcile();
    expect(t.stopped).toEqual([e]);
    for (const n of [a, b, c, d]) await t.finish(n, 'Completed', { acc: 0.7 });
    await t.reconcile();
    const rec = await t.tuning();
    expect(rec.status).toBe('Completed');
    expect(rec.doc.TrainingJobStatusCounters).toMatchObject({ Completed: 4, Stopped: 1 });
    // Each ended child keeps its final objective (what a warm start reads); the fake stop reported none.
    expect(rec.internal.children.map((c) => c.finalObjective)).toEqual([0.7, 0.7, 0.7, 0.7, null]);
  });

  it('Hyperband stops the worse of two children at a rung of their bracket and a child at MaxResource', async () => {
    const t = await setUp({ Strategy: 'Hyperband', StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } }, ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 6 } });
    cleanups.push(t.cleanup);
    await t.reconcile();
    expect(t.created).toHaveLength(6);
    // Brackets [1,3], [3], []: children 0 and 3 share bracket 0, 1 and 4 bracket 1, 2 and 5 the full-budget one.
    const c = t.created;
    await t.report(c[0]!, [0.9]);
    await t.report(c[3]!, [0.2]);
    await t.report(c[1]!, [0.1, 0.1]);
    await t.report(c[4]!, [0.9, 0.9]);
    await t.report(c[2]!, [0.1, 0.1, 0.1, 0.1]);
    await t.report(c[5]!, Array(9).fill(0.5));
    await t.reconcile();
    expect([...t.stopped].sort()).toEqual([c[3]!, c[5]!].sort());
    expect((await t.tuning()).internal.children[5]!.stopReason).toBe('reached MaxResource (9 epochs)');
  });

  it("a warm start's priors seed the Bayesian model: the first child is already a model proposal near the parents' best", async () => {
    const t = await setUp({ ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1' }] }, ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 } });
    cleanups.push(t.cleanup);
    const priors = [0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.9, 1].map((x) => ({ point: [x], value: 1 - (x - 0.4) ** 2 * 4 }));
    await t.resources.update('hyper-parameter-tuning-job', 't', (r) => void (r.internal.priors = priors));
    await t.reconcile();
    const x = Number((await t.tuning()).internal.children[0]!.tuned.x);
    expect(Math.abs(x - 0.4)).toBeLessThan(0.05);
  });

  it('stops a child whose early stop was recorded but not carried out before a restart', async () => {
    const t = await setUp({ Strategy: 'Random', TrainingJobEarlyStoppingType: 'Auto', ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 2 } });
    cleanups.push(t.cleanup);
    await t.reconcile();
    await t.resources.update('hyper-parameter-tuning-job', 't', (r) => void (r.internal.children[1]!.stopReason = 'epoch 1: recorded before the restart'));
    await t.reconcile();
    expect(t.stopped).toEqual([t.created[1]]);
  });
});

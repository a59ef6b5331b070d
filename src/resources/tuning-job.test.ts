import { describe, expect, it } from 'vitest';
import { bestChild, childJobName, childSummary, childTrainingRequest, countChildren, type TrainingJobDefinitionDoc } from './tuning-job.js';
import type { TrainingJobDoc } from './training-job.js';

const job = (name: string, status: string, metrics: Record<string, number> = {}): TrainingJobDoc =>
  ({
    TrainingJobName: name,
    TrainingJobArn: `arn:aws:sagemaker:us-east-1:000000000000:training-job/${name}`,
    TrainingJobStatus: status,
    CreationTime: 1,
    FinalMetricDataList: Object.entries(metrics).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: 1 })),
  }) as unknown as TrainingJobDoc;

describe('tuning job summaries', () => {
  const objective = { Type: 'Minimize' as const, MetricName: 'loss' };

  it('counts statuses and objective statuses, and picks the best by the objective type', () => {
    const s = [
      childSummary('t', { name: 'a', point: [], tuned: {} }, job('a', 'Completed', { loss: 0.5 }), objective),
      childSummary('t', { name: 'b', point: [], tuned: {} }, job('b', 'Completed', { loss: 0.2 }), objective),
      childSummary('t', { name: 'c', point: [], tuned: {} }, job('c', 'Completed', { other: 0.1 }), objective),
      childSummary('t', { name: 'd', point: [], tuned: {} }, job('d', 'InProgress'), objective),
      childSummary('t', { name: 'e', point: [], tuned: {} }, job('e', 'Failed'), objective),
      childSummary('t', { name: 'f', point: [], tuned: {}, launchError: 'refused' }, undefined, objective),
    ];
    expect(countChildren(s)).toEqual({
      status: { Completed: 3, InProgress: 1, RetryableError: 0, NonRetryableError: 2, Stopped: 0 },
      objective: { Succeeded: 2, Pending: 1, Failed: 3 },
    });
    expect(bestChild(s, objective)?.TrainingJobName).toBe('b');
    expect(bestChild(s, { ...objective, Type: 'Maximize' })?.TrainingJobName).toBe('a');
    expect(s[5]).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: 'refused', ObjectiveStatus: 'Failed' });
  });

  it('names children <tuning>-NNN-<8 hex>, stable for a given ARN and index', () => {
    const n = childJobName('my-tuning', 'arn:x', 6);
    expect(n).toMatch(/^my-tuning-007-[0-9a-f]{8}$/);
    expect(childJobName('my-tuning', 'arn:x', 6)).toBe(n);
    expect(childJobName('my-tuning', 'arn:x', 7)).not.toBe(n);
  });

  it('builds a child request: definition members, static hyperparameters under the tuned ones, no definition-only members', () => {
    const def = {
      AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
      RoleArn: 'r',
      OutputDataConfig: { S3OutputPath: 's3://b/o' },
      StoppingCondition: { MaxRuntimeInSeconds: 60 },
      StaticHyperParameters: { a: '1', b: '2' },
      HyperParameterTuningResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1, AllocationStrategy: 'Prioritized' },
      DefinitionName: 'd',
    } as TrainingJobDefinitionDoc;
    const req = childTrainingRequest(def, 'child', { b: '3' }, { Type: 'Maximize', MetricName: 'acc' });
    expect(req).toEqual({
      AlgorithmSpecification: def.AlgorithmSpecification,
      RoleArn: 'r',
      OutputDataConfig: def.OutputDataConfig,
      StoppingCondition: def.StoppingCondition,
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      TrainingJobName: 'child',
      HyperParameters: { _tuning_objective_metric: 'acc', a: '1', b: '3' },
    });
  });
});

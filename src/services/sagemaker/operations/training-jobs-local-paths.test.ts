import { describe, expect, it } from 'vitest';
import type { CreateTrainingJobRequest } from '../generated/types.js';
import { checkCreate } from './training-jobs.js';

const base = (over: Partial<CreateTrainingJobRequest>): CreateTrainingJobRequest => ({
  TrainingJobName: 'j',
  RoleArn: 'arn:aws:iam::123456789012:role/r',
  AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
  OutputDataConfig: { S3OutputPath: 's3://b/o' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
  ...over,
});

describe('CreateTrainingJob: checkpoint and TensorBoard LocalPath', () => {
  it('accepts absolute plain directories inside or outside /opt/ml', () => {
    expect(() => checkCreate(base({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/data/ckpt' }, TensorBoardOutputConfig: { S3OutputPath: 's3://b/t', LocalPath: '/logs/tb/' } }))).not.toThrow();
    expect(() => checkCreate(base({ TensorBoardOutputConfig: { S3OutputPath: 's3://b/t' } }))).not.toThrow();
  });

  it('refuses hostile or colliding paths with a ValidationException naming the member', () => {
    const refused = (over: Partial<CreateTrainingJobRequest>, msg: RegExp) => {
      let err: unknown;
      try {
        checkCreate(base(over));
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string }).code).toBe('ValidationException');
      expect((err as Error).message).toMatch(msg);
    };
    refused({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: 'ckpt' } }, /CheckpointConfig.LocalPath must be an absolute path/);
    refused({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/opt/ml/../../etc' } }, /CheckpointConfig.LocalPath must be a plain path/);
    refused({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/' } }, /root directory/);
    refused({ TensorBoardOutputConfig: { S3OutputPath: 's3://b/t', LocalPath: '/opt/ml/model' } }, /TensorBoardOutputConfig.LocalPath must not be \/opt\/ml\/model/);
    refused({ TensorBoardOutputConfig: { S3OutputPath: 's3://b/t', LocalPath: '/proc/self' } }, /must not be under \/proc/);
    refused(
      { CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/x/' }, TensorBoardOutputConfig: { S3OutputPath: 's3://b/t', LocalPath: '/x' } },
      /must be different directories \(both are \/x\)/,
    );
  });
});

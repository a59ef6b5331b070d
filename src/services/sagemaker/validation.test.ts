import { describe, expect, it } from 'vitest';
import { validateSageMakerInput } from './validation.js';

const job = (uri: string) => ({
  TrainingJobName: 'j',
  RoleArn: 'arn:aws:iam::123456789012:role/r',
  AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
  InputDataConfig: [{ ChannelName: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri } } }],
  OutputDataConfig: { S3OutputPath: uri },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
});

describe('validateSageMakerInput', () => {
  it('accepts file:// URIs where the model wants s3:// (Slipway extension)', () => {
    expect(validateSageMakerInput('CreateTrainingJob', job('file:///data/train')).violations).toEqual([]);
  });
  it('still rejects other schemes', () => {
    const v = validateSageMakerInput('CreateTrainingJob', job('ftp://x/y')).violations;
    expect(v.length).toBe(2);
    expect(v[0]).toMatch(/at 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'/);
  });
});

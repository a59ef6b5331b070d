import { describe, expect, it } from 'vitest';
import { describedModel, describedTrainingJob } from './describe-defaults.js';

describe('Describe* defaults', () => {
  it('gives a training job without a KMS key KmsKeyId "" (the SageMaker SDK indexes it) and keeps what was given', () => {
    expect(describedTrainingJob({ OutputDataConfig: { S3OutputPath: 's3://b/o' } })).toEqual({
      EnableNetworkIsolation: false,
      EnableInterContainerTrafficEncryption: false,
      EnableManagedSpotTraining: false,
      OutputDataConfig: { KmsKeyId: '', CompressionType: 'GZIP', S3OutputPath: 's3://b/o' },
    });
    const given = describedTrainingJob({ EnableNetworkIsolation: true, OutputDataConfig: { S3OutputPath: 's3://b/o', KmsKeyId: 'k', CompressionType: 'NONE' } });
    expect(given).toMatchObject({ EnableNetworkIsolation: true, OutputDataConfig: { KmsKeyId: 'k', CompressionType: 'NONE' } });
  });

  it('gives a model EnableNetworkIsolation false unless set', () => {
    expect(describedModel({ ModelName: 'm' })).toEqual({ EnableNetworkIsolation: false, ModelName: 'm' });
    expect(describedModel({ EnableNetworkIsolation: true })).toEqual({ EnableNetworkIsolation: true });
  });
});

import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPaths } from '../../storage/local-paths.js';
import { accessFor, sageMakerValidator, validateSageMakerInput } from './validation.js';

const job = (input: string, output = input) => ({
  TrainingJobName: 'j',
  RoleArn: 'arn:aws:iam::123456789012:role/r',
  AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
  InputDataConfig: [{ ChannelName: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: input } } }],
  OutputDataConfig: { S3OutputPath: output },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
});

const patternViolation = (value: string, path: string) =>
  `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)`;

let base: string;
let data: string;
let out: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'sm-validation-'));
  data = join(base, 'data');
  out = join(base, 'out');
  mkdirSync(data);
  mkdirSync(out);
  symlinkSync('/etc', join(data, 'etc'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('validateSageMakerInput', () => {
  it('refuses file:// URIs with SageMaker\'s pattern message when no local directory is allowed', () => {
    expect(validateSageMakerInput('CreateTrainingJob', job('file:///data/train', 'file:///etc/cron.d')).violations).toEqual([
      patternViolation('file:///data/train', 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'),
      patternViolation('file:///etc/cron.d', 'outputDataConfig.s3OutputPath'),
    ]);
    expect(validateSageMakerInput('CreateModel', { ModelName: 'm', PrimaryContainer: { Image: 'i', ModelDataUrl: 'file:///tmp/m.tar.gz' } }).violations).toEqual([
      patternViolation('file:///tmp/m.tar.gz', 'primaryContainer.modelDataUrl'),
    ]);
  });

  it('still rejects other schemes', () => {
    const v = validateSageMakerInput('CreateTrainingJob', job('ftp://x/y')).violations;
    expect(v.length).toBe(2);
    expect(v[0]).toMatch(/at 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'/);
  });
});

describe('sageMakerValidator with operator-allowed local directories', () => {
  const validate = () => sageMakerValidator(LocalPaths.from({ read: [data], write: [out] }));

  it('accepts inputs under SLIPWAY_LOCAL_PATHS and outputs under SLIPWAY_LOCAL_OUTPUT_PATHS', () => {
    expect(validate()('CreateTrainingJob', job(`file://${data}/train`, `file://${out}/models`)).violations).toEqual([]);
    expect(validate()('CreateModel', { ModelName: 'm', PrimaryContainer: { Image: 'i', ModelDataUrl: `file://${out}/j/output/model.tar.gz` } }).violations).toEqual([]);
  });

  it('refuses outputs under a read-only root, paths outside every root, and links leading out', () => {
    const v = validate();
    expect(v('CreateTrainingJob', job(`file://${data}/train`, `file://${data}/models`)).violations).toEqual([patternViolation(`file://${data}/models`, 'outputDataConfig.s3OutputPath')]);
    expect(v('CreateTrainingJob', job('file:///etc/passwd', `file://${out}/x`)).violations).toHaveLength(1);
    expect(v('CreateTrainingJob', job(`file://${data}/../../etc`, `file://${out}/x`)).violations).toHaveLength(1);
    expect(v('CreateTrainingJob', job(`file://${data}/etc/passwd`, `file://${out}/x`)).violations).toEqual([
      patternViolation(`file://${data}/etc/passwd`, 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'),
    ]);
    expect(v('CreateTrainingJob', { ...job(`file://${data}/t`, `file://${out}/x`), CheckpointConfig: { S3Uri: `file://${data}/ckpt` } }).violations).toEqual([
      patternViolation(`file://${data}/ckpt`, 'checkpointConfig.s3Uri'),
    ]);
  });

  it('classifies members: inputs are read, everything else may be written', () => {
    expect(accessFor('inputDataConfig.1.member.dataSource.s3DataSource.s3Uri')).toBe('read');
    expect(accessFor('processingInputs.2.member.s3Input.s3Uri')).toBe('read');
    expect(accessFor('transformInput.dataSource.s3DataSource.s3Uri')).toBe('read');
    expect(accessFor('primaryContainer.modelDataUrl')).toBe('read');
    expect(accessFor('containers.1.member.modelDataSource.s3DataSource.s3Uri')).toBe('read');
    for (const p of ['outputDataConfig.s3OutputPath', 'checkpointConfig.s3Uri', 'processingOutputConfig.outputs.1.member.s3Output.s3Uri', 'transformOutput.s3OutputPath', 'tensorBoardOutputConfig.s3OutputPath', 'dataCaptureConfig.destinationS3Uri']) {
      expect(accessFor(p)).toBe('write');
    }
  });
});

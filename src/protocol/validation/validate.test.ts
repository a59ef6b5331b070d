import { describe, expect, it } from 'vitest';
import { validateLogsInput, logsOperationNames } from '../../services/logs/validation.js';
import { sageMakerOperationNames, validateSageMakerInput } from '../../services/sagemaker/validation.js';
import type { ServiceModel } from './model-types.js';
import {
  compilePattern,
  formatValidationMessage,
  InputSerializationError,
  validateInput,
} from './validate.js';

/** A CreateTrainingJob body that satisfies the model; tests break one thing at a time. */
function trainingJob(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    TrainingJobName: 'my-job-1',
    RoleArn: 'arn:aws:iam::123456789012:role/SageMakerRole',
    AlgorithmSpecification: { TrainingImage: 'slipway/train:latest', TrainingInputMode: 'File' },
    InputDataConfig: [
      {
        ChannelName: 'train',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/train/' } },
      },
    ],
    OutputDataConfig: { S3OutputPath: 's3://bucket/output/' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    Environment: { MY_VAR: 'value' },
    Tags: [{ Key: 'team', Value: 'ml' }],
    ...overrides,
  };
}

function violationsOf(op: string, input: unknown): string[] {
  const r = validateSageMakerInput(op, input);
  expect(r.serializationError).toBeUndefined();
  return r.violations;
}

describe('validateSageMakerInput', () => {
  it('accepts a valid CreateTrainingJob body', () => {
    expect(violationsOf('CreateTrainingJob', trainingJob())).toEqual([]);
  });

  it('words a pattern violation exactly like AWS, with the ^ of the real service', () => {
    const v = violationsOf('CreateTrainingJob', trainingJob({ TrainingJobName: 'bad_name!' }));
    expect(formatValidationMessage(v)).toBe(
      "1 validation error detected: Value 'bad_name!' at 'trainingJobName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
    );
  });

  it('reports a missing required member as Value null ... must not be null', () => {
    const body = trainingJob();
    delete body.RoleArn;
    expect(violationsOf('CreateTrainingJob', body)).toEqual([
      "Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    ]);
  });

  it('treats JSON null like a missing member', () => {
    expect(violationsOf('CreateTrainingJob', trainingJob({ RoleArn: null }))).toEqual([
      "Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    ]);
  });

  it('lists every violation, counted and joined with "; "', () => {
    const v = violationsOf('CreateTrainingJob', {});
    expect(v).toHaveLength(3);
    expect(formatValidationMessage(v)).toMatch(/^3 validation errors detected: Value null at '[a-zA-Z]+'.*; Value null/);
    expect(v).toContain("Value null at 'outputDataConfig' failed to satisfy constraint: Member must not be null");
    expect(v).toContain("Value null at 'trainingJobName' failed to satisfy constraint: Member must not be null");
  });

  it('checks enum values and prints the value set', () => {
    const v = violationsOf('ListTrainingJobs', { SortOrder: 'Sideways' });
    expect(v).toEqual([
      "Value 'Sideways' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]",
    ]);
  });

  it('addresses list items 1-based with .member', () => {
    const body = trainingJob({
      InputDataConfig: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/t' } } },
        { ChannelName: 'bad channel', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/v' } } },
      ],
    });
    expect(violationsOf('CreateTrainingJob', body)).toEqual([
      "Value 'bad channel' at 'inputDataConfig.2.member.channelName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: ^[A-Za-z0-9\\.\\-_]+',
    ]);
  });

  it('reports missing required members deep inside lists', () => {
    const body = trainingJob({ InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix' } } }] });
    expect(violationsOf('CreateTrainingJob', body)).toEqual([
      "Value null at 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri' failed to satisfy constraint: Member must not be null",
    ]);
  });

  it('reports each failed constraint of one value separately (length and pattern)', () => {
    const long = 'a'.repeat(64);
    expect(violationsOf('CreateTrainingJob', trainingJob({ TrainingJobName: long }))).toEqual([
      `Value '${long}' at 'trainingJobName' failed to satisfy constraint: Member must have length less than or equal to 63`,
      `Value '${long}' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
    ]);
    const v = violationsOf('CreateTrainingJob', trainingJob({ TrainingJobName: '' }));
    expect(v[0]).toBe(
      "Value '' at 'trainingJobName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('counts string length in code points, not UTF-16 units', () => {
    // 128 astral letters are 256 UTF-16 units but 128 characters: TagKey allows max 128.
    const key = '𝐀'.repeat(128);
    expect(violationsOf('CreateTrainingJob', trainingJob({ Tags: [{ Key: key, Value: 'v' }] }))).toEqual([]);
    const v = violationsOf('CreateTrainingJob', trainingJob({ Tags: [{ Key: key + '𝐀', Value: 'v' }] }));
    expect(v).toHaveLength(1);
    expect(v[0]).toContain("at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128");
  });

  it('checks \\p{L}-style patterns with Unicode semantics', () => {
    expect(violationsOf('CreateTrainingJob', trainingJob({ Tags: [{ Key: 'Ünïcödé key', Value: 'ok' }] }))).toEqual([]);
    const v = violationsOf('CreateTrainingJob', trainingJob({ Tags: [{ Key: 'no*stars', Value: 'ok' }] }));
    expect(v).toEqual([
      "Value 'no*stars' at 'tags.1.member.key' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)',
    ]);
  });

  it('counts list entries for list length', () => {
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    const v = violationsOf('CreateTrainingJob', trainingJob({ Tags: tags }));
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/^Value '\[\{Key=k0, Value=v\}, .*' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50$/);
  });

  it('checks number ranges with quoted values', () => {
    expect(violationsOf('ListTrainingJobs', { MaxResults: 0 })).toEqual([
      "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ]);
    expect(violationsOf('ListTrainingJobs', { MaxResults: 101 })).toEqual([
      "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
    ]);
    expect(violationsOf('ListTrainingJobs', { MaxResults: 100 })).toEqual([]);
  });

  it('checks map values at map.<key> and map keys at the map itself', () => {
    const v = violationsOf('CreateTrainingJob', trainingJob({ Environment: { '1BAD': 'x', GOOD: 'y'.repeat(513) } }));
    expect(v).toEqual([
      "Value '1BAD' at 'environment' failed to satisfy constraint: Map keys must satisfy constraint: " +
        '[Member must satisfy regular expression pattern: ^[a-zA-Z_][a-zA-Z0-9_]*]',
      `Value '${'y'.repeat(513)}' at 'environment.GOOD' failed to satisfy constraint: Member must have length less than or equal to 512`,
    ]);
  });

  it('ignores members the model does not know (newer SDKs)', () => {
    expect(violationsOf('CreateTrainingJob', trainingJob({ SomeFutureMember: { x: 1 } }))).toEqual([]);
  });

  it('accepts timestamps as epoch seconds, fractional seconds and ISO strings', () => {
    expect(violationsOf('ListTrainingJobs', { CreationTimeAfter: 1700000000 })).toEqual([]);
    expect(violationsOf('ListTrainingJobs', { CreationTimeAfter: 1700000000.123 })).toEqual([]);
    expect(violationsOf('ListTrainingJobs', { CreationTimeAfter: '2024-01-01T00:00:00Z' })).toEqual([]);
    expect(validateSageMakerInput('ListTrainingJobs', { CreationTimeAfter: 'yesterday' }).serializationError).toBe(
      'class java.lang.String can not be converted to an Date',
    );
  });

  it('returns wrong JSON types as a serialization error, not violations', () => {
    expect(validateSageMakerInput('ListTrainingJobs', { MaxResults: '10' })).toEqual({
      violations: [],
      serializationError: 'class java.lang.String can not be converted to an Integer',
    });
    expect(validateSageMakerInput('CreateTrainingJob', trainingJob({ TrainingJobName: 5 })).serializationError).toBe(
      'class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String',
    );
    expect(validateSageMakerInput('CreateTrainingJob', trainingJob({ TrainingJobName: {} })).serializationError).toBe(
      'Start of structure or map found where not expected.',
    );
    expect(validateSageMakerInput('CreateTrainingJob', trainingJob({ OutputDataConfig: [] })).serializationError).toBe(
      'Start of list found where not expected',
    );
    expect(validateSageMakerInput('CreateTrainingJob', trainingJob({ EnableNetworkIsolation: 'true' })).serializationError).toBe(
      'class java.lang.String can not be converted to an Boolean',
    );
    // A type error wins over constraint violations found elsewhere in the same body.
    expect(validateSageMakerInput('CreateTrainingJob', { TrainingJobName: 'bad_name!', Tags: 'x' })).toEqual({
      violations: [],
      serializationError: 'class java.lang.String can not be converted to an List',
    });
  });

  it('treats a missing body as {} and a non-object body as a serialization error', () => {
    expect(violationsOf('ListTrainingJobs', undefined)).toEqual([]);
    expect(validateSageMakerInput('ListTrainingJobs', [1]).serializationError).toBe('Start of list found where not expected');
  });

  it('yields no violations for an operation the model lacks', () => {
    expect(validateSageMakerInput('NoSuchOperation', { a: 1 })).toEqual({ violations: [] });
  });

  it('lists the control-plane operations and not the runtime ones', () => {
    for (const op of [
      'CreateTrainingJob',
      'DescribeTrainingJob',
      'ListTrainingJobs',
      'StopTrainingJob',
      'CreateProcessingJob',
      'CreateTransformJob',
      'CreateModel',
      'CreateEndpointConfig',
      'CreateEndpoint',
      'DescribeEndpoint',
      'UpdateEndpoint',
      'DeleteEndpoint',
      'AddTags',
      'ListTags',
      'DeleteTags',
    ]) {
      expect(sageMakerOperationNames.has(op), op).toBe(true);
    }
    expect(sageMakerOperationNames.has('InvokeEndpoint')).toBe(false);
  });
});

describe('validateLogsInput', () => {
  it('lists the Logs operations Slipway serves', () => {
    for (const op of ['DescribeLogStreams', 'GetLogEvents', 'FilterLogEvents', 'CreateLogGroup', 'PutLogEvents']) {
      expect(logsOperationNames.has(op), op).toBe(true);
    }
  });

  it('keeps Logs patterns without a ^ in messages and checks lower-camel members', () => {
    expect(validateLogsInput('GetLogEvents', { logGroupName: 'bad group!', logStreamName: 's', limit: 0 })).toMatchObject({
      violations: [
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        "Value 'bad group!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
      ],
    });
  });

  it('requires logStreamName on GetLogEvents and validates PutLogEvents items', () => {
    expect(validateLogsInput('GetLogEvents', { logGroupName: '/aws/sagemaker/TrainingJobs' }).violations).toEqual([
      "Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
    ]);
    const r = validateLogsInput('PutLogEvents', {
      logGroupName: 'g',
      logStreamName: 's',
      logEvents: [{ timestamp: 1700000000000, message: 'ok' }, { timestamp: -1 }],
    });
    expect(r.violations).toEqual([
      "Value null at 'logEvents.2.member.message' failed to satisfy constraint: Member must not be null",
      "Value '-1' at 'logEvents.2.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0",
    ]);
  });
});

describe('checkInput value (what handlers get)', () => {
  it('leaves out members the model does not have, at any depth, and keeps the rest as sent', () => {
    const body = trainingJob({
      Unknown: '[[[deep]]]',
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10, Extra: { x: 1 } },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/t/', Junk: 1 } } }],
    });
    const r = validateSageMakerInput('CreateTrainingJob', body);
    expect(r.violations).toEqual([]);
    const value = r.value as Record<string, any>;
    expect(value.Unknown).toBeUndefined();
    expect(value.ResourceConfig).toEqual({ InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 });
    expect(value.InputDataConfig[0].DataSource.S3DataSource).toEqual({ S3DataType: 'S3Prefix', S3Uri: 's3://b/t/' });
    expect(value.Environment).toEqual({ MY_VAR: 'value' });
    expect(value.Tags).toEqual([{ Key: 'team', Value: 'ml' }]);
  });

  it('drops JSON null members (absent, as in Coral) and keeps map keys such as __proto__ as plain entries', () => {
    const body = JSON.parse('{"TrainingJobName":"j","Environment":{"__proto__":"x"},"VpcConfig":null}') as Record<string, unknown>;
    const value = validateSageMakerInput('CreateTrainingJob', { ...trainingJob(), ...body }).value as Record<string, any>;
    expect('VpcConfig' in value).toBe(false);
    expect(Object.getPrototypeOf(value.Environment)).toBe(Object.prototype);
    expect(Object.keys(value.Environment)).toEqual(['__proto__']);
  });
});

describe('compilePattern', () => {
  it('anchors unanchored patterns so the whole value must match', () => {
    expect(compilePattern('[a-z]+')!.test('abc')).toBe(true);
    expect(compilePattern('[a-z]+')!.test('abc1')).toBe(false);
    expect(compilePattern('^[a-z]+')!.test('abc1')).toBe(false);
  });

  it('translates Java POSIX classes such as \\p{Alnum}', () => {
    const re = compilePattern('arn:[\\p{Alnum}\\-]+:lambda:[\\p{Alnum}\\-]+:[0-9]{12}:function:.*')!;
    expect(re.test('arn:aws:lambda:us-east-1:123456789012:function:f')).toBe(true);
    expect(re.test('arn:aws:lambda:us_east:123456789012:function:f')).toBe(false);
  });

  it('falls back to legacy mode for escapes Unicode mode rejects', () => {
    expect(compilePattern('[a-zA-Z0-9\\ \\_\\.]+')!.test('a b_c.d')).toBe(true);
    expect(compilePattern('[\\w-_]*')!.test('a-b_c')).toBe(true);
  });

  it('returns null (check skipped) for patterns JS cannot express, never throws', () => {
    expect(compilePattern('([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}')).toBeNull();
    expect(compilePattern('(?<unclosed')).toBeNull();
  });

  it('compiles every pattern in both generated models without throwing', async () => {
    const { MODEL: sm } = await import('../../services/sagemaker/generated/model.js');
    const { MODEL: logs } = await import('../../services/logs/generated/model.js');
    const patterns = [sm, logs].flatMap((m: ServiceModel) =>
      Object.values(m.shapes).flatMap((s) => (s.pattern === undefined ? [] : [s.pattern])),
    );
    const compiled = patterns.map((p) => compilePattern(p));
    // Only the two CustomerMetadata patterns (`${1,128}`) are not expressible in JS.
    expect(compiled.filter((r) => r === null).length).toBeLessThanOrEqual(2);
  });
});

describe('validateInput', () => {
  const model: ServiceModel = {
    targetPrefix: 'Test',
    operations: { Op: 'In', NoInput: null },
    shapes: {
      In: { type: 'structure', members: { Data: 'Blob', Wire: 'Str' }, locationNames: { Wire: 'wire_name' } },
      Blob: { type: 'blob', max: 3 },
      Str: { type: 'string', min: 2 },
    },
  };

  it('reads members by locationName and sizes blobs in decoded bytes', () => {
    expect(validateInput(model, 'Op', { wire_name: 'x', Data: Buffer.from('abcd').toString('base64') })).toEqual([
      "Value 'YWJjZA==' at 'data' failed to satisfy constraint: Member must have length less than or equal to 3",
      "Value 'x' at 'wire' failed to satisfy constraint: Member must have length greater than or equal to 2",
    ]);
    expect(validateInput(model, 'Op', { Wire: 'x' })).toEqual([]);
  });

  it('throws InputSerializationError for a blob that is not base64', () => {
    expect(() => validateInput(model, 'Op', { Data: 'not base64!' })).toThrow(InputSerializationError);
  });

  it('accepts any object for operations without input and throws for unknown operations', () => {
    expect(validateInput(model, 'NoInput', { anything: 1 })).toEqual([]);
    expect(() => validateInput(model, 'Nope', {})).toThrow(/not in the Test model/);
  });

  it('formats nothing for no violations', () => {
    expect(formatValidationMessage([])).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { hostNames, inputDataConfigJson, resourceConfigJson } from '../../resources/training-config-files.js';
import { relativeKey, shard } from '../job-common/data-source.js';
import { MetricExtractor } from './metrics.js';
import { type TrainingJobDoc, finish, setSecondaryStatus } from '../../resources/training-job.js';
import { algorithmFailureReason } from '../../resources/failure-reason.js';
import { invalidMetricRegexes } from '../../resources/metric-definitions.js';

function doc(over: Partial<TrainingJobDoc> = {}): TrainingJobDoc {
  return {
    TrainingJobName: 'j',
    TrainingJobArn: 'arn:aws:sagemaker:us-east-1:000000000000:training-job/j',
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Starting',
    AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
    RoleArn: 'r',
    OutputDataConfig: { S3OutputPath: 's3://b/o' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 60 },
    ModelArtifacts: { S3ModelArtifacts: 's3://b/o/j/output/model.tar.gz' },
    CreationTime: 1000,
    LastModifiedTime: 1000,
    SecondaryStatusTransitions: [],
    ...over,
  };
}

describe('secondary status transitions', () => {
  it('ends each transition when the next starts and does not duplicate a repeated status', () => {
    const d = doc();
    setSecondaryStatus(d, 'Starting', 1_000_000);
    setSecondaryStatus(d, 'Downloading', 1_001_000);
    setSecondaryStatus(d, 'Downloading', 1_001_500);
    setSecondaryStatus(d, 'Training', 1_002_000);
    expect(d.SecondaryStatusTransitions.map((t) => [t.Status, t.StartTime, t.EndTime])).toEqual([
      ['Starting', 1000, 1001],
      ['Downloading', 1001, 1002],
      ['Training', 1002, undefined],
    ]);
    expect(d.SecondaryStatusTransitions.every((t) => t.StatusMessage.length > 0)).toBe(true);
  });

  it('computes end time and billable seconds (min 1) on finish', () => {
    const d = doc({ TrainingStartTime: 1001 });
    setSecondaryStatus(d, 'Training', 1_001_000);
    finish(d, { status: 'Completed' }, 1_001_200);
    expect(d.TrainingJobStatus).toBe('Completed');
    expect(d.TrainingEndTime).toBe(1001.2);
    expect(d.TrainingTimeInSeconds).toBe(1);
    expect(d.BillableTimeInSeconds).toBe(1);
    expect(d.SecondaryStatusTransitions.at(-1)).toMatchObject({ Status: 'Completed', EndTime: 1001.2 });
  });

  it('records MaxRuntimeExceeded as a Stopped job', () => {
    const d = doc({ TrainingStartTime: 1000 });
    finish(d, { status: 'Stopped', secondary: 'MaxRuntimeExceeded' }, 1_010_000);
    expect([d.TrainingJobStatus, d.SecondaryStatus, d.TrainingTimeInSeconds]).toEqual(['Stopped', 'MaxRuntimeExceeded', 10]);
  });
});

describe('FailureReason', () => {
  it('prefixes the failure file text and trims to 1024 characters', () => {
    expect(algorithmFailureReason('boom\n', 1, [])).toBe('AlgorithmError: boom');
    expect(algorithmFailureReason('x'.repeat(5000), 1, [])).toHaveLength(1024);
  });
  it('falls back to the exit code and the newest log lines', () => {
    const r = algorithmFailureReason(undefined, 2, ['a', 'b']);
    expect(r).toBe('AlgorithmError: Exit Code: 2. Last log lines:\na\nb');
    const long = algorithmFailureReason(undefined, 2, Array.from({ length: 100 }, (_, i) => `line ${i} ${'y'.repeat(30)}`));
    expect(long.length).toBeLessThanOrEqual(1024);
    expect(long).toMatch(/^AlgorithmError: Exit Code: 2/);
    expect(long).toContain('line 99');
  });
});

describe('metric extraction', () => {
  it('parses the first capture group and keeps the last value per metric', () => {
    const m = new MetricExtractor([{ Name: 'loss', Regex: 'loss=(.*?);' }, { Name: 'acc', Regex: 'acc: ([0-9.]+)' }]);
    m.scan('epoch 1 loss=0.9; acc: 0.5', 1000);
    m.scan('epoch 2 loss=0.4;', 2000);
    m.scan('loss=nan-ish;', 3000);
    expect([...m.latest.values()]).toEqual([
      { MetricName: 'loss', Value: 0.4, Timestamp: 2 },
      { MetricName: 'acc', Value: 0.5, Timestamp: 1 },
    ]);
    expect(invalidMetricRegexes([{ Name: 'bad', Regex: '(' }])).toEqual([expect.stringMatching(/^bad: Regex "\(" is not supported/)]);
  });

  it('matches with RE2: lazy quantifiers, named groups and lookbehind work; lookahead and backreferences are refused', () => {
    expect(invalidMetricRegexes([{ Name: 'a', Regex: 'Train_error=(.*?);' }, { Name: 'b', Regex: '(?<=loss=)[0-9.]+' }, { Name: 'c', Regex: '(?P<v>[0-9.]+)' }])).toEqual([]);
    expect(invalidMetricRegexes([{ Name: 'ahead', Regex: 'loss(?==)' }, { Name: 'backref', Regex: '(a)\\1' }])).toHaveLength(2);
    const m = new MetricExtractor([{ Name: 'loss', Regex: '(?<=loss=)[0-9.]+' }]);
    expect(m.scan('epoch 3 loss=0.25', 1000)).toEqual([{ MetricName: 'loss', Value: 0.25, Timestamp: 1 }]);
  });

  it('scans hostile regexes over long container lines in linear time', () => {
    // (a+)+$ takes a backtracking engine seconds over 26 characters; 40 of them (the model's
    // maximum) over a 1 MiB line must not stall the server.
    const m = new MetricExtractor(Array.from({ length: 40 }, (_, i) => ({ Name: `m${i}`, Regex: '(a+)+$' })));
    const started = performance.now();
    expect(m.scan(`${'a'.repeat(26)}!`, 1000)).toEqual([]);
    expect(m.scan(`${'a'.repeat(1024 * 1024)}!`, 1000)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(300);
  });
});

describe('container config files', () => {
  it('sorts hosts lexicographically as SageMaker does', () => {
    expect(hostNames(11).slice(0, 3)).toEqual(['algo-1', 'algo-10', 'algo-11']);
  });
  it('writes resourceconfig and inputdataconfig per the contract', () => {
    const d = doc({
      ResourceConfig: { InstanceType: 'ml.c5.xlarge', InstanceCount: 2, VolumeSizeInGB: 1 },
      InputDataConfig: [
        { ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/p', S3DataDistributionType: 'ShardedByS3Key' } } },
        { ChannelName: 'val', InputMode: 'Pipe', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/v' } } },
      ],
    });
    expect(resourceConfigJson(d, 'algo-2')).toEqual({
      current_host: 'algo-2',
      current_instance_type: 'ml.c5.xlarge',
      current_group_name: 'homogeneousCluster',
      hosts: ['algo-1', 'algo-2'],
      instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: 'ml.c5.xlarge', hosts: ['algo-1', 'algo-2'] }],
      network_interface_name: 'eth0',
    });
    expect(inputDataConfigJson(d)).toEqual({
      train: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'ShardedByS3Key', RecordWrapperType: 'None' },
      val: { TrainingInputMode: 'Pipe', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
    });
  });
});

describe('channel object paths', () => {
  it('keeps the key structure under the prefix', () => {
    expect(relativeKey('data/train/', 'data/train/a/b.csv')).toBe('a/b.csv');
    expect(relativeKey('data/train', 'data/train/a.csv')).toBe('a.csv');
    expect(relativeKey('data/train.csv', 'data/train.csv')).toBe('train.csv');
    expect(relativeKey('data/tr', 'data/train.csv')).toBe('train.csv');
    expect(relativeKey('', 'x/y')).toBe('x/y');
  });
  it('shards key-sorted objects across hosts', () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    expect(shard(keys, 0, 2)).toEqual(['a', 'c', 'e']);
    expect(shard(keys, 1, 2)).toEqual(['b', 'd']);
    expect(shard(keys, 0, 1)).toEqual(keys);
  });
});

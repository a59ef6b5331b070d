/**
 * Training jobs on one host with real Docker: happy path, container contract (/opt/ml files,
 * env, commands), failures, missing image, MaxRuntimeInSeconds and StopTrainingJob (issue 3,
 * acceptance 1–4, 6, 9).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddTagsCommand, DeleteTagsCommand, ListTagsCommand, StopTrainingJobCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { S3Client } from '@aws-sdk/client-s3';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { sdkClientConfig, startTestServer, testRuntimeOf, type TestServer } from '../../helpers/server.js';
import { onSwarm } from '../../helpers/cluster/test-cluster.js';
import { baseJob, clients, createJob, describe as describeJob, getBytes, makeBucket, putText, shellJob, uniq, untar, waitFor } from './helpers.js';

let srv: TestServer;
let sm: SageMakerClient;
let s3: S3Client;
let bucket: string;
const images: Record<string, string> = {};

beforeAll(async () => {
  const [noop, failing, sleeper, entrypoint, inspector] = await Promise.all(
    (['noop', 'failing', 'sleeper', 'entrypoint', 'inspector'] as const).map((n) => buildFixtureImage(n)),
  );
  Object.assign(images, { noop, failing, sleeper, entrypoint, inspector });
  srv = await startTestServer();
  ({ sm, s3 } = clients(srv.url));
  bucket = await makeBucket(s3);
});
afterAll(async () => {
  await srv?.cleanup();
});

describe('single-host training jobs', () => {
  it('trains a no-op image to Completed with model.tar.gz, transitions, times and metrics', async () => {
    const name = uniq('noop');
    const arn = await createJob(
      sm,
      baseJob(name, images.noop!, bucket, {
        AlgorithmSpecification: {
          TrainingImage: images.noop!,
          TrainingInputMode: 'File',
          MetricDefinitions: [{ Name: 'train:loss', Regex: 'train:loss=(.*?);' }],
        },
      }),
    );
    expect(arn).toBe(`arn:aws:sagemaker:us-east-1:000000000000:training-job/${name.toLowerCase()}`);
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.SecondaryStatus).toBe('Completed');
    expect(d.SecondaryStatusTransitions!.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    for (const t of d.SecondaryStatusTransitions!) {
      expect(t.StatusMessage).toBeTruthy();
      expect(t.StartTime).toBeInstanceOf(Date);
      expect(t.EndTime).toBeInstanceOf(Date);
    }
    expect(d.ModelArtifacts!.S3ModelArtifacts).toBe(`s3://${bucket}/output/${name}/output/model.tar.gz`);
    expect(d.TrainingStartTime).toBeInstanceOf(Date);
    expect(d.TrainingEndTime).toBeInstanceOf(Date);
    expect(d.TrainingTimeInSeconds).toBeGreaterThanOrEqual(1);
    expect(d.BillableTimeInSeconds).toBeGreaterThanOrEqual(1);
    expect(d.LastModifiedTime).toBeInstanceOf(Date);
    expect(d.FinalMetricDataList).toEqual([expect.objectContaining({ MetricName: 'train:loss', Value: 0.5 })]);
    expect(d.InputDataConfig).toBeUndefined();
    expect(d.RoleArn).toBe(baseJob(name, '', bucket).RoleArn);

    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(files['model.txt']?.toString()).toBe('noop model\n');
    const out = await untar(await getBytes(s3, bucket, `output/${name}/output/output.tar.gz`));
    expect(out).toEqual({});

    // Logs stored under /aws/sagemaker/TrainingJobs, stream <job>/algo-1-<epoch seconds>.
    const logs = new CloudWatchLogsClient(sdkClientConfig(srv.url));
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: `${name}/` }));
    expect(streams.logStreams!.map((s) => s.logStreamName)).toEqual([expect.stringMatching(new RegExp(`^${name}/algo-1-\\d{10}$`))]);
    const ev = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamName: streams.logStreams![0]!.logStreamName!, startFromHead: true }),
    );
    expect(ev.events!.map((e) => e.message)).toContain('train:loss=0.5;');

    // Clean-up follows the final status (so a crash never loses an upload): poll for it.
    const deadline = Date.now() + 10_000;
    const engine = await testRuntimeOf();
    const containers = async () => (await engine.listContainers({ 'slipway.name': name }, { all: true })).map((c) => c.id).join(' ');
    while (Date.now() < deadline && (existsSync(join(srv.home, 'work', 'training', name)) || (await containers()) !== '')) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(existsSync(join(srv.home, 'work', 'training', name))).toBe(false);
    expect(await containers()).toBe('');
  });

  it('gives the container the /opt/ml files, channels and environment of the contract', async () => {
    const name = uniq('inspect');
    await putText(s3, bucket, 'data/train/a.csv', '1,2\n');
    await putText(s3, bucket, 'data/train/sub/b.csv', '3,4\n');
    await putText(s3, bucket, 'data/validation.csv', 'v\n');
    await createJob(
      sm,
      baseJob(name, images.inspector!, bucket, {
        HyperParameters: { max_depth: '5', nested: '{"a": [1, 2]}', resolve_timeout: '2' },
        Environment: { MY_VAR: 'hello' },
        InputDataConfig: [
          { ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/data/train` } } },
          { ChannelName: 'validation', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/data/validation.csv` } } },
        ],
      }),
    );
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.InputDataConfig![0]).toMatchObject({
      ChannelName: 'train',
      ContentType: 'text/csv',
      CompressionType: 'None',
      RecordWrapperType: 'None',
      DataSource: { S3DataSource: { S3DataDistributionType: 'FullyReplicated' } },
    });
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    const json = (f: string) => JSON.parse(files[f]!.toString()) as unknown;
    expect(json('hyperparameters.json')).toEqual({ max_depth: '5', nested: '{"a": [1, 2]}', resolve_timeout: '2' });
    expect(json('resourceconfig.json')).toEqual({
      current_host: 'algo-1',
      current_instance_type: 'ml.m5.large',
      current_group_name: 'homogeneousCluster',
      hosts: ['algo-1'],
      instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: 'ml.m5.large', hosts: ['algo-1'] }],
      network_interface_name: 'eth0',
    });
    expect(json('inputdataconfig.json')).toEqual({
      train: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
      validation: { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
    });
    const listing = json('data-listing.json') as { path: string; type: string; size: number }[];
    expect(listing.filter((e) => e.type === 'file').map((e) => e.path).sort()).toEqual(['train/a.csv', 'train/sub/b.csv', 'validation/validation.csv']);
    const env = json('env.json') as Record<string, string>;
    expect(env.TRAINING_JOB_NAME).toBe(name);
    expect(env.TRAINING_JOB_ARN).toBe(d.TrainingJobArn);
    expect(env.MY_VAR).toBe('hello');
  });

  // One engine hard-links inputs to the stored objects, so they must be read-only; on a Swarm the
  // node holds copies (writable, as on SageMaker's volumes): there only the object store is checked.
  it('keeps the staged input from changing the object store (read-only hard links on one engine)', async () => {
    const name = uniq('ro');
    await putText(s3, bucket, 'ro/in.txt', 'original');
    await createJob(
      sm,
      shellJob(name, images.entrypoint!, bucket, 'echo changed > /opt/ml/input/data/train/in.txt; echo rc=$? > /opt/ml/model/rc.txt; exit 0', {
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/ro/` } } }],
      }),
    );
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    if (!onSwarm()) expect(files['rc.txt']!.toString().trim()).not.toBe('rc=0');
    expect((await getBytes(s3, bucket, 'ro/in.txt')).toString()).toBe('original');
  });

  it('fails with the failure file text when the container exits non-zero', async () => {
    const name = uniq('failing');
    await createJob(sm, baseJob(name, images.failing!, bucket));
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.SecondaryStatus).toBe('Failed');
    expect(d.FailureReason).toBe('AlgorithmError: boom: bad hyperparameter');
    expect(d.SecondaryStatusTransitions!.at(-1)!.Status).toBe('Failed');
  });

  it('fails with the exit code and last log lines when there is no failure file', async () => {
    const name = uniq('exit3');
    await createJob(sm, shellJob(name, images.entrypoint!, bucket, 'echo first line; echo something broke >&2; exit 3'));
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toMatch(/^AlgorithmError: Exit Code: 3/);
    expect(d.FailureReason).toContain('something broke');
  });

  it('fails within seconds, naming the image, when the image is missing', async () => {
    const name = uniq('noimage');
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/does-not-exist-slipway:v1';
    const t0 = Date.now();
    await createJob(sm, baseJob(name, image, bucket));
    const d = await waitFor(sm, name, { timeoutMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toContain(image);
    expect(d.FailureReason).toContain('does-not-exist-slipway:v1');
  });

  it('stops at MaxRuntimeInSeconds with MaxRuntimeExceeded and still uploads the model', async () => {
    const name = uniq('maxrt');
    await createJob(sm, baseJob(name, images.sleeper!, bucket, { StoppingCondition: { MaxRuntimeInSeconds: 3 } }));
    const d = await waitFor(sm, name, { timeoutMs: 60_000 });
    expect(d.TrainingJobStatus).toBe('Stopped');
    expect(d.SecondaryStatus).toBe('MaxRuntimeExceeded');
    expect(d.SecondaryStatusTransitions!.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Stopping', 'Uploading', 'MaxRuntimeExceeded']);
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(Object.keys(files).sort()).toEqual(['model.txt', 'sigterm.txt']);
  });

  it('stops on StopTrainingJob (Stopping → Stopped) and uploads the model', async () => {
    const name = uniq('stop');
    await createJob(sm, baseJob(name, images.sleeper!, bucket));
    await waitFor(sm, name, { until: (d) => d.SecondaryStatus === 'Training' });
    await sm.send(new StopTrainingJobCommand({ TrainingJobName: name }));
    const mid = await describeJob(sm, name);
    expect(['Stopping', 'Stopped']).toContain(mid.TrainingJobStatus);
    const d = await waitFor(sm, name, { timeoutMs: 60_000 });
    expect(d.TrainingJobStatus).toBe('Stopped');
    expect(d.SecondaryStatus).toBe('Stopped');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(files['sigterm.txt']?.toString()).toBe('SIGTERM\n');
    await expect(sm.send(new StopTrainingJobCommand({ TrainingJobName: name }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('appends train to an image ENTRYPOINT, and lets ContainerEntrypoint/ContainerArguments override', async () => {
    const plain = uniq('ep');
    const args = uniq('epargs');
    const both = uniq('epboth');
    await createJob(sm, baseJob(plain, images.entrypoint!, bucket));
    await createJob(
      sm,
      baseJob(args, images.entrypoint!, bucket, {
        AlgorithmSpecification: { TrainingImage: images.entrypoint!, TrainingInputMode: 'File', ContainerArguments: ['--epochs', '3'] },
      }),
    );
    await createJob(
      sm,
      baseJob(both, images.entrypoint!, bucket, {
        AlgorithmSpecification: {
          TrainingImage: images.entrypoint!,
          TrainingInputMode: 'File',
          ContainerEntrypoint: ['/usr/local/bin/entry.sh', 'custom'],
          ContainerArguments: ['x', 'y'],
        },
      }),
    );
    const argv = async (job: string) => {
      const d = await waitFor(sm, job);
      expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
      const files = await untar(await getBytes(s3, bucket, `output/${job}/output/model.tar.gz`));
      return JSON.parse(files['argv.json']!.toString()) as string[];
    };
    expect(await argv(plain)).toEqual(['train']);
    expect(await argv(args)).toEqual(['--epochs', '3']);
    expect(await argv(both)).toEqual(['custom', 'x', 'y']);
  });

  it('stores Create tags, answers ResourceInUse for a taken name and ValidationException for invalid input or a missing job', async () => {
    const name = uniq('dup');
    const arn = await createJob(sm, baseJob(name, images.noop!, bucket, { Tags: [{ Key: 'team', Value: 'ml' }] }));
    expect((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'team', Value: 'ml' }]);
    await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'stage', Value: 'dev' }] }));
    await sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['team'] }));
    expect((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'stage', Value: 'dev' }]);
    await expect(createJob(sm, baseJob(name, images.noop!, bucket))).rejects.toMatchObject({ name: 'ResourceInUse' });
    await expect(createJob(sm, baseJob(name.toUpperCase(), images.noop!, bucket))).rejects.toMatchObject({ name: 'ResourceInUse' });
    await expect(
      createJob(sm, {
        ...baseJob(uniq('v'), images.noop!, bucket),
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/a` } } },
          { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/b` } } },
        ],
      }),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      createJob(sm, { ...baseJob(uniq('v'), images.noop!, bucket), AlgorithmSpecification: { TrainingInputMode: 'File' } }),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      createJob(sm, { ...baseJob(uniq('v'), images.noop!, bucket), ResourceConfig: { VolumeSizeInGB: 1 } }),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(createJob(sm, { ...baseJob(uniq('v'), images.noop!, bucket), OutputDataConfig: { S3OutputPath: 'not-a-uri' } })).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(describeJob(sm, uniq('missing'))).rejects.toMatchObject({ name: 'ValidationException', message: 'Requested resource not found.' });
    await expect(sm.send(new StopTrainingJobCommand({ TrainingJobName: uniq('missing') }))).rejects.toMatchObject({ name: 'ValidationException' });
    await waitFor(sm, name);
  });
});

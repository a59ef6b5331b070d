/**
 * Processing jobs beyond one host, with real Docker and boto3 (issue 5): ClusterConfig
 * InstanceCount 2 (host names, resourceconfig.json, ShardedByS3Key, both hosts' outputs),
 * StoppingCondition.MaxRuntimeInSeconds exceeded, and the outputs of a stopped job.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/runtime/container-runtime.js';
import { testRuntimeOf, useTestServer } from '../../helpers/server.js';
import { uniq } from '../training/helpers.js';
import { boto3, processorImage, waitAndDescribe } from './helpers.js';

let image: string;
beforeAll(async () => {
  image = await processorImage();
}, 180_000);
const server = useTestServer();

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
const WAIT = (name: string) => waitAndDescribe('Processing', name, 150);

function create(name: string, bucket: string, args: string[], o: { count?: number; sharded?: boolean; maxRuntime?: number } = {}): string {
  return `
sm.create_processing_job(
    ProcessingJobName='${name}', RoleArn='${ROLE}',
    AppSpecification={'ImageUri': '${image}', 'ContainerArguments': ${JSON.stringify(args)}},
    ProcessingResources={'ClusterConfig': {'InstanceCount': ${o.count ?? 1}, 'InstanceType': 'ml.m5.large', 'VolumeSizeInGB': 1}},
    StoppingCondition={'MaxRuntimeInSeconds': ${o.maxRuntime ?? 300}},
    ProcessingInputs=[{'InputName': 'data', 'S3Input': {'S3Uri': 's3://${bucket}/raw/', 'LocalPath': '/opt/ml/processing/input/data',
                       'S3DataType': 'S3Prefix', 'S3InputMode': 'File',
                       'S3DataDistributionType': '${o.sharded ? 'ShardedByS3Key' : 'FullyReplicated'}'}}],
    ProcessingOutputConfig={'Outputs': [
        {'OutputName': 'summary', 'S3Output': {'S3Uri': 's3://${bucket}/out/summary', 'LocalPath': '/opt/ml/processing/output/summary', 'S3UploadMode': 'EndOfJob'}}]})
`;
}

function bucketWith(bucket: string, keys: string[]): string {
  return `s3.create_bucket(Bucket='${bucket}')\n` + keys.map((k) => `s3.put_object(Bucket='${bucket}', Key='raw/${k}', Body=b'${k}\\n')\n`).join('');
}

const summaryKeys = (bucket: string) => `sorted(o['Key'] for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='out/summary/').get('Contents', []))`;

describe('processing clusters and stopping conditions', () => {
  it('runs two hosts that resolve each other, shards inputs by key and uploads both hosts outputs', async () => {
    const bucket = uniq('pcl');
    const name = uniq('proc-cluster');
    const out = await boto3<{ status: string; reason?: string; keys: string[]; hosts: Record<string, any>; streams: string[] }>(
      server().url,
      bucketWith(bucket, ['a.txt', 'b.txt', 'c.txt', 'd.txt']) +
        // Each host stays up 3 s after resolving, so a peer that starts later still finds it.
        create(name, bucket, ['--mode', 'cluster', '--seconds', '3'], { count: 2, sharded: true }) +
        WAIT(name) +
        `
keys = ${summaryKeys(bucket)}
hosts = {}
for h in ('algo-1', 'algo-2'):
    k = 'out/summary/' + h + '.json'
    if k in keys:
        hosts[h] = json.loads(s3.get_object(Bucket='${bucket}', Key=k)['Body'].read())
streams = sorted(s['logStreamName'] for s in logs.describe_log_streams(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamNamePrefix='${name}/')['logStreams'])
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'), 'keys': keys, 'hosts': hosts, 'streams': streams}))
`,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.keys).toEqual([`out/summary/algo-1.json`, `out/summary/algo-2.json`]);
    for (const [i, h] of ['algo-1', 'algo-2'].entries()) {
      const s = out.hosts[h];
      expect(s.hostname).toBe(h);
      expect(s.resource).toEqual({ current_host: h, hosts: ['algo-1', 'algo-2'] });
      // Each host resolves both names (its own and the peer's) on the job's network.
      expect(s.resolved['algo-1'], `${h} resolving algo-1`).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(s.resolved['algo-2'], `${h} resolving algo-2`).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      // ShardedByS3Key: the sorted keys dealt round-robin, each host a disjoint half.
      expect(s.inputs).toEqual(i === 0 ? ['a.txt', 'c.txt'] : ['b.txt', 'd.txt']);
    }
    expect(out.hosts['algo-1'].resolved['algo-2']).not.toBe(out.hosts['algo-1'].resolved['algo-1']);
    // Containers and the job's network are gone once the job has ended.
        expect(await (await testRuntimeOf()).listContainers({ [LABELS.name]: name, [LABELS.home]: server().home }, { all: true })).toEqual([]);
    expect(await (await testRuntimeOf()).listNetworks({ [LABELS.name]: name, [LABELS.home]: server().home })).toEqual([]);
    expect(out.streams).toHaveLength(2);
    expect(out.streams[0]).toMatch(new RegExp(`^${name}/algo-1-\\d+$`));
    expect(out.streams[1]).toMatch(new RegExp(`^${name}/algo-2-\\d+$`));
  });

  it('replicates every input to every host with FullyReplicated', async () => {
    const bucket = uniq('prep');
    const name = uniq('proc-repl');
    const out = await boto3<{ status: string; reason?: string; inputs: string[][] }>(
      server().url,
      bucketWith(bucket, ['x.txt', 'y.txt', 'z.txt']) +
        create(name, bucket, ['--mode', 'cluster', '--seconds', '2'], { count: 2 }) +
        WAIT(name) +
        `
inputs = [json.loads(s3.get_object(Bucket='${bucket}', Key='out/summary/' + h + '.json')['Body'].read())['inputs'] for h in ('algo-1', 'algo-2')] if d['ProcessingJobStatus'] == 'Completed' else []
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'), 'inputs': inputs}))
`,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.inputs).toEqual([
      ['x.txt', 'y.txt', 'z.txt'],
      ['x.txt', 'y.txt', 'z.txt'],
    ]);
  });

  // SageMaker's outcome for a processing job over MaxRuntimeInSeconds is unconfirmed (contract §6);
  // the controller ends it Failed with a ClientError naming the limit, and uploads its outputs.
  it('fails a job that runs past MaxRuntimeInSeconds, naming the limit, and still uploads its outputs', async () => {
    const bucket = uniq('pmax');
    const name = uniq('proc-max');
    const out = await boto3<{ status: string; reason?: string; keys: string[]; started: number; ended: number; containers: number }>(
      server().url,
      bucketWith(bucket, ['a.txt']) +
        create(name, bucket, ['--mode', 'slow', '--seconds', '600'], { maxRuntime: 4 }) +
        WAIT(name) +
        `
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'), 'keys': ${summaryKeys(bucket)},
                  'started': d['ProcessingStartTime'].timestamp(), 'ended': d['ProcessingEndTime'].timestamp()}))
`,
    );
    expect(out.status).toBe('Failed');
    expect(out.reason).toMatch(/^ClientError: .*MaxRuntimeInSeconds \(4 s\)/);
    expect(out.keys).toEqual(['out/summary/started.txt']);
    // Stopped near the limit (SIGINT ends the script at once), not after the 120 s grace.
    expect(out.ended - out.started).toBeGreaterThanOrEqual(3);
    expect(out.ended - out.started).toBeLessThan(40);
  });

  it('uploads what a stopped job wrote and ends it Stopped', async () => {
    const bucket = uniq('pstp');
    const name = uniq('proc-stopped');
    const out = await boto3<{ status: string; reason?: string; keys: string[]; started: string; sawStopping: boolean }>(
      server().url,
      bucketWith(bucket, ['a.txt']) +
        create(name, bucket, ['--mode', 'slow', '--seconds', '600'], { count: 2 }) +
        `
deadline = time.time() + 60
while time.time() < deadline:
    evs = []
    for s in logs.describe_log_streams(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamNamePrefix='${name}/')['logStreams']:
        evs += [e['message'] for e in logs.get_log_events(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamName=s['logStreamName'], startFromHead=True)['events']]
    if sum(1 for m in evs if m == 'processor: started') == 2:
        break
    time.sleep(0.3)
sm.stop_processing_job(ProcessingJobName='${name}')
saw_stopping = sm.describe_processing_job(ProcessingJobName='${name}')['ProcessingJobStatus'] in ('Stopping', 'Stopped')
` +
        WAIT(name) +
        `
keys = ${summaryKeys(bucket)}
started = s3.get_object(Bucket='${bucket}', Key='out/summary/started.txt')['Body'].read().decode() if 'out/summary/started.txt' in keys else ''
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'), 'keys': keys, 'started': started, 'sawStopping': saw_stopping}))
`,
    );
    expect(out.sawStopping).toBe(true);
    expect(out.status, out.reason).toBe('Stopped');
    expect(out.reason).toBeNull();
    expect(out.keys).toEqual(['out/summary/started.txt']);
    expect(out.started).toBe('started\n');
  });
});

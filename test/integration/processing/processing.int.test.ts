/**
 * Processing jobs with real Docker and boto3 (issue 5, acceptance 1–3): ContainerArguments,
 * inputs and two outputs, Environment, processingjobconfig.json, Continuous upload while the job
 * runs, a failing job's ExitMessage, Pipe input with Gzip, stop, list and tags.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../../helpers/server.js';
import { boto3, processorImage, waitAndDescribe } from './helpers.js';
import { uniq } from '../training/helpers.js';

let image: string;
beforeAll(async () => {
  image = await processorImage();
}, 180_000);
const server = useTestServer();

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';

function createScript(name: string, bucket: string, mode: string, extra = ''): string {
  return `
sm.create_processing_job(
    ProcessingJobName='${name}', RoleArn='${ROLE}',
    AppSpecification={'ImageUri': '${image}', 'ContainerArguments': ['--mode', '${mode}']},
    Environment={'MY_SETTING': 'forty-two'},
    ProcessingResources={'ClusterConfig': {'InstanceCount': 1, 'InstanceType': 'ml.m5.large', 'VolumeSizeInGB': 1}},
    StoppingCondition={'MaxRuntimeInSeconds': 300},
    ProcessingInputs=[{'InputName': 'data', 'S3Input': {'S3Uri': 's3://${bucket}/raw', 'LocalPath': '/opt/ml/processing/input/data',
                       'S3DataType': 'S3Prefix', 'S3InputMode': 'File'}}],
    ProcessingOutputConfig={'Outputs': [
        {'OutputName': 'summary', 'S3Output': {'S3Uri': 's3://${bucket}/out/summary', 'LocalPath': '/opt/ml/processing/output/summary', 'S3UploadMode': 'EndOfJob'}},
        {'OutputName': 'upper', 'S3Output': {'S3Uri': 's3://${bucket}/out/upper', 'LocalPath': '/opt/ml/processing/output/upper', 'S3UploadMode': 'EndOfJob'}},
        {'OutputName': 'stream', 'S3Output': {'S3Uri': 's3://${bucket}/out/stream', 'LocalPath': '/opt/ml/processing/output/stream', 'S3UploadMode': 'Continuous'}}]},
    Tags=[{'Key': 'team', 'Value': 'ml'}]${extra})
`;
}

function setupBucket(bucket: string): string {
  return `
s3.create_bucket(Bucket='${bucket}')
s3.put_object(Bucket='${bucket}', Key='raw/a.txt', Body=b'alpha\\n')
s3.put_object(Bucket='${bucket}', Key='raw/nested/b.txt', Body=b'bravo\\n')
`;
}

const WAIT = (name: string) => waitAndDescribe('Processing', name, 150);

describe('processing jobs', () => {
  it('runs ContainerArguments over the input, uploads both outputs, passes Environment and processingjobconfig.json', async () => {
    const bucket = uniq('proc');
    const name = uniq('proc-ok');
    const out = await boto3<{
      status: string;
      summary: { args: string[]; env: Record<string, string>; inputs: string[]; hostname: string; config: Record<string, any>; resource: unknown; output_dirs_existed: boolean[] };
      upper: string[];
      upperA: string;
      d: Record<string, any>;
      list: { name: string; status: string }[];
      tags: unknown;
      streams: string[];
    }>(
      server().url,
      setupBucket(bucket) +
        createScript(name, bucket, 'copy') +
        WAIT(name) +
        `
summary = json.loads(s3.get_object(Bucket='${bucket}', Key='out/summary/summary.json')['Body'].read())
upper = sorted(o['Key'] for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='out/upper/')['Contents'])
upperA = s3.get_object(Bucket='${bucket}', Key='out/upper/a.txt')['Body'].read().decode()
lst = sm.list_processing_jobs(NameContains='${name}')['ProcessingJobSummaries']
tags = sm.list_tags(ResourceArn=d['ProcessingJobArn'])['Tags']
streams = [s['logStreamName'] for s in logs.describe_log_streams(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamNamePrefix='${name}/')['logStreams']]
for k in ('CreationTime', 'LastModifiedTime', 'ProcessingStartTime', 'ProcessingEndTime'):
    d[k] = str(d.get(k))
d.pop('ResponseMetadata')
print(json.dumps({'status': d['ProcessingJobStatus'], 'summary': summary, 'upper': upper, 'upperA': upperA, 'd': d,
                  'list': [{'name': j['ProcessingJobName'], 'status': j['ProcessingJobStatus']} for j in lst], 'tags': tags, 'streams': streams}))
`,
    );
    expect(out.status, JSON.stringify(out.d)).toBe('Completed');
    expect(out.summary.args).toEqual(['--mode', 'copy']);
    expect(out.summary.env).toEqual({ MY_SETTING: 'forty-two' });
    expect(out.summary.inputs).toEqual(['a.txt', 'nested/b.txt']);
    expect(out.summary.hostname).toBe('algo-1');
    expect(out.summary.output_dirs_existed).toEqual([true, true]);
    expect(out.summary.resource).toEqual({ current_host: 'algo-1', hosts: ['algo-1'] });
    const cfg = out.summary.config;
    expect(cfg.ProcessingJobName).toBe(name);
    expect(cfg.ProcessingJobArn).toBe(out.d.ProcessingJobArn);
    expect(cfg.AppSpecification).toEqual({ ImageUri: image, ContainerEntrypoint: null, ContainerArguments: ['--mode', 'copy'] });
    expect(cfg.Environment).toEqual({ MY_SETTING: 'forty-two' });
    expect(cfg.ProcessingInputs[0].S3Input).toMatchObject({ S3DownloadMode: 'StartOfJob', LocalPath: '/opt/ml/processing/input/data', S3InputMode: 'File' });
    expect(cfg.ProcessingOutputConfig.KmsKeyId).toBeNull();
    expect(cfg.ProcessingResources.ClusterConfig).toMatchObject({ InstanceCount: 1, VolumeKmsKeyId: null });
    expect(out.upper).toEqual(['out/upper/a.txt', 'out/upper/nested/b.txt']);
    expect(out.upperA).toBe('ALPHA\n');
    expect(out.d.ProcessingJobArn).toBe(`arn:aws:sagemaker:us-east-1:000000000000:processing-job/${name}`.replace('000000000000', out.d.ProcessingJobArn.split(':')[4]));
    expect(out.d.ProcessingInputs[0].S3Input.S3DataDistributionType).toBe('FullyReplicated');
    expect(out.d.Environment).toEqual({ MY_SETTING: 'forty-two' });
    expect(out.list).toEqual([{ name, status: 'Completed' }]);
    expect(out.tags).toEqual([{ Key: 'team', Value: 'ml' }]);
    expect(out.streams).toHaveLength(1);
    expect(out.streams[0]).toMatch(new RegExp(`^${name}/algo-1-\\d+$`));
  });

  it('uploads a Continuous output file closed early before the 10 s job ends', async () => {
    const bucket = uniq('cont');
    const name = uniq('proc-cont');
    const out = await boto3<{ seenWhile: string; early: string; late: string; status: string }>(
      server().url,
      setupBucket(bucket) +
        createScript(name, bucket, 'continuous') +
        `
seen_while = None
deadline = time.time() + 60
while time.time() < deadline:
    st = sm.describe_processing_job(ProcessingJobName='${name}')['ProcessingJobStatus']
    keys = [o['Key'] for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='out/stream/').get('Contents', [])]
    if 'out/stream/early.txt' in keys:
        seen_while = st
        break
    time.sleep(0.3)
` +
        WAIT(name) +
        `
early = s3.get_object(Bucket='${bucket}', Key='out/stream/early.txt')['Body'].read().decode()
late = s3.get_object(Bucket='${bucket}', Key='out/stream/late.txt')['Body'].read().decode()
print(json.dumps({'seenWhile': seen_while, 'early': early, 'late': late, 'status': d['ProcessingJobStatus']}))
`,
    );
    expect(out.seenWhile).toBe('InProgress');
    expect(out.early).toBe('early\n');
    expect(out.late).toBe('late\n');
    expect(out.status).toBe('Completed');
  });

  it('fails with the container message as ExitMessage and still uploads outputs', async () => {
    const bucket = uniq('fail');
    const name = uniq('proc-fail');
    const out = await boto3<{ status: string; exit: string; reason: string; partial: string; listed: Record<string, string> }>(
      server().url,
      setupBucket(bucket) +
        createScript(name, bucket, 'fail') +
        WAIT(name) +
        `
partial = s3.get_object(Bucket='${bucket}', Key='out/summary/partial.txt')['Body'].read().decode()
j = sm.list_processing_jobs(NameContains='${name}', StatusEquals='Failed')['ProcessingJobSummaries'][0]
print(json.dumps({'status': d['ProcessingJobStatus'], 'exit': d.get('ExitMessage'), 'reason': d.get('FailureReason'), 'partial': partial,
                  'listed': {'FailureReason': j.get('FailureReason'), 'ExitMessage': j.get('ExitMessage')}}))
`,
    );
    expect(out.status).toBe('Failed');
    expect(out.exit).toBe('boom: the input had no header row');
    expect(out.reason).toBe('AlgorithmError: boom: the input had no header row');
    expect(out.partial).toBe('partial\n');
    expect(out.listed).toEqual({ FailureReason: out.reason, ExitMessage: out.exit });
  });

  it('streams a gzipped Pipe input into a FIFO', async () => {
    const bucket = uniq('pipe');
    const name = uniq('proc-pipe');
    const out = await boto3<{ status: string; reason?: string; piped: string }>(
      server().url,
      `
import gzip
s3.create_bucket(Bucket='${bucket}')
s3.put_object(Bucket='${bucket}', Key='raw/part-1.gz', Body=gzip.compress(b'one\\n'))
s3.put_object(Bucket='${bucket}', Key='raw/part-2.gz', Body=gzip.compress(b'two\\n'))
sm.create_processing_job(
    ProcessingJobName='${name}', RoleArn='${ROLE}',
    AppSpecification={'ImageUri': '${image}', 'ContainerArguments': ['--mode', 'pipe']},
    ProcessingResources={'ClusterConfig': {'InstanceCount': 1, 'InstanceType': 'ml.m5.large', 'VolumeSizeInGB': 1}},
    ProcessingInputs=[{'InputName': 'data', 'S3Input': {'S3Uri': 's3://${bucket}/raw/', 'LocalPath': '/opt/ml/processing/input/data',
                       'S3DataType': 'S3Prefix', 'S3InputMode': 'Pipe', 'S3CompressionType': 'Gzip'}}],
    ProcessingOutputConfig={'Outputs': [
        {'OutputName': 'summary', 'S3Output': {'S3Uri': 's3://${bucket}/out', 'LocalPath': '/opt/ml/processing/output/summary', 'S3UploadMode': 'EndOfJob'}}]})
` +
        WAIT(name) +
        `
piped = s3.get_object(Bucket='${bucket}', Key='out/piped.txt')['Body'].read().decode() if d['ProcessingJobStatus'] == 'Completed' else ''
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'), 'piped': piped}))
`,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.piped).toBe('one\ntwo\n');
  });

  it('stops a running job, rejects bad requests and a taken name', async () => {
    const bucket = uniq('stop');
    const name = uniq('proc-stop');
    const out = await boto3<{ status: string; errors: string[] }>(
      server().url,
      setupBucket(bucket) +
        createScript(name, bucket, 'sleep') +
        `
errors = []
for call in (lambda: sm.create_processing_job(ProcessingJobName='${name}', RoleArn='${ROLE}',
                 AppSpecification={'ImageUri': '${image}'},
                 ProcessingResources={'ClusterConfig': {'InstanceCount': 1, 'InstanceType': 'ml.m5.large', 'VolumeSizeInGB': 1}}),
             lambda: sm.create_processing_job(ProcessingJobName='${name}-x', RoleArn='${ROLE}',
                 AppSpecification={'ImageUri': '${image}'},
                 ProcessingResources={'ClusterConfig': {'InstanceCount': 1, 'InstanceType': 'ml.m5.large', 'VolumeSizeInGB': 1}},
                 ProcessingInputs=[{'InputName': 'x', 'S3Input': {'S3Uri': 's3://b/k', 'LocalPath': '/data', 'S3DataType': 'S3Prefix'}}]),
             lambda: sm.describe_processing_job(ProcessingJobName='${name}-missing')):
    try:
        call()
        errors.append('none')
    except botocore.exceptions.ClientError as e:
        errors.append(e.response['Error']['Code'])
deadline = time.time() + 60
while sm.describe_processing_job(ProcessingJobName='${name}')['ProcessingJobStatus'] == 'InProgress' and time.time() < deadline:
    logs_ok = logs.describe_log_streams(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamNamePrefix='${name}/')['logStreams']
    if logs_ok:
        break
    time.sleep(0.3)
time.sleep(1)
sm.stop_processing_job(ProcessingJobName='${name}')
` +
        WAIT(name) +
        `
print(json.dumps({'status': d['ProcessingJobStatus'], 'errors': errors}))
`,
    );
    expect(out.errors).toEqual(['ResourceInUse', 'ValidationException', 'ValidationException']);
    expect(out.status).toBe('Stopped');
  });
});

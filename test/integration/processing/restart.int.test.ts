/**
 * A Slipway process killed with SIGKILL while a processing job runs (issue 5): after a restart on
 * the same home the job re-attaches to its container by labels and completes; a job whose
 * container vanished while the server was down ends Failed with a clear reason.
 * Needs `npm run build:server` (the server runs from dist/).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/runtime/container-runtime.js';
import { testRuntimeOf } from '../../helpers/server.js';
import { useServerProcesses, type ServerProcess } from '../../helpers/server-process.js';
import { uniq } from '../training/helpers.js';
import { boto3, processorImage, waitAndDescribe } from './helpers.js';

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
let image: string;
let home: string;
let proc: ServerProcess;
const servers = useServerProcesses();

beforeAll(async () => {
  image = await processorImage();
}, 180_000);

function create(name: string, bucket: string, seconds: number): string {
  return `
s3.create_bucket(Bucket='${bucket}')
s3.put_object(Bucket='${bucket}', Key='raw/a.txt', Body=b'a\\n')
sm.create_processing_job(
    ProcessingJobName='${name}', RoleArn='${ROLE}',
    AppSpecification={'ImageUri': '${image}', 'ContainerArguments': ['--mode', 'slow', '--seconds', '${seconds}']},
    ProcessingResources={'ClusterConfig': {'InstanceCount': 1, 'InstanceType': 'ml.m5.large', 'VolumeSizeInGB': 1}},
    StoppingCondition={'MaxRuntimeInSeconds': 300},
    ProcessingInputs=[{'InputName': 'data', 'S3Input': {'S3Uri': 's3://${bucket}/raw/', 'LocalPath': '/opt/ml/processing/input/data',
                       'S3DataType': 'S3Prefix', 'S3InputMode': 'File'}}],
    ProcessingOutputConfig={'Outputs': [
        {'OutputName': 'summary', 'S3Output': {'S3Uri': 's3://${bucket}/out/summary', 'LocalPath': '/opt/ml/processing/output/summary', 'S3UploadMode': 'EndOfJob'}}]})
print(json.dumps({}))
`;
}

/** Waits until the job's container runs and has printed `processor: started` (seen via logs). */
async function waitRunning(url: string, name: string): Promise<string> {
  const out = await boto3<{ ok: boolean }>(
    url,
    `
ok = False
deadline = time.time() + 60
while time.time() < deadline and not ok:
    try:
        streams = logs.describe_log_streams(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamNamePrefix='${name}/')['logStreams']
    except logs.exceptions.ResourceNotFoundException:
        streams = []  # the group appears with the job's first log stream (later on a cluster: staging comes first)
    for s in streams:
        ev = logs.get_log_events(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamName=s['logStreamName'], startFromHead=True)['events']
        ok = ok or any(e['message'] == 'processor: started' for e in ev)
    time.sleep(0.2)
print(json.dumps({'ok': ok}))
`,
  );
  expect(out.ok, 'the job container started').toBe(true);
  const [c] = await (await testRuntimeOf()).listContainers({ [LABELS.name]: name, [LABELS.home]: home }, { all: true });
  expect(c, 'the job container exists').toBeDefined();
  return c!.id;
}

const logLines = (name: string) => `
lines = []
for s in logs.describe_log_streams(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamNamePrefix='${name}/')['logStreams']:
    lines += [e['message'] for e in logs.get_log_events(logGroupName='/aws/sagemaker/ProcessingJobs', logStreamName=s['logStreamName'], startFromHead=True)['events']]
`;

describe('processing jobs across a server crash', () => {
  it('re-attaches to the running container after kill -9 and completes with its outputs and logs', async () => {
    home = servers.newHome();
    proc = await servers.start();
    const bucket = uniq('prst');
    const name = uniq('proc-restart');
    await boto3(proc.url, create(name, bucket, 6));
    const container = await waitRunning(proc.url, name);
    await proc.kill9();
    proc = await servers.start();
    const out = await boto3<{ status: string; reason?: string; keys: string[]; lines: string[] }>(
      proc.url,
      waitAndDescribe('Processing', name, 120) +
        logLines(name) +
        `
keys = sorted(o['Key'] for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='out/').get('Contents', []))
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'), 'keys': keys, 'lines': lines}))
`,
    );
    expect(out.status, `${out.reason}\n${proc.output()}`).toBe('Completed');
    expect(out.keys).toEqual(['out/summary/done.txt', 'out/summary/started.txt']);
    // The same container finished the job (not a second run), and its log has no duplicated lines.
    expect(out.lines.filter((l) => l === 'processor: started')).toHaveLength(1);
    expect(out.lines.filter((l) => l === 'processor: done')).toHaveLength(1);
    expect(await (await testRuntimeOf()).inspectContainer(container)).toBeUndefined();
  });

  it('fails a job whose container vanished while the server was down, saying so', async () => {
    home = servers.newHome();
    proc = await servers.start();
    const bucket = uniq('pvan');
    const name = uniq('proc-vanish');
    await boto3(proc.url, create(name, bucket, 600));
    const container = await waitRunning(proc.url, name);
    await proc.kill9();
    await (await testRuntimeOf()).removeContainer(container, { force: true });
    proc = await servers.start();
    const out = await boto3<{ status: string; reason?: string; end: unknown }>(
      proc.url,
      waitAndDescribe('Processing', name, 60) +
        `
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'), 'end': str(d.get('ProcessingEndTime'))}))
`,
    );
    expect(out.status).toBe('Failed');
    expect(out.reason).toMatch(/container of algo-1 vanished/);
    expect(out.end).not.toBe('None');
  });
});

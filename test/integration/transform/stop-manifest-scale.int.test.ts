/**
 * Batch transform with real Docker and boto3 (issue 5), beyond the acceptance suite:
 * StopTransformJob (Stopping → Stopped, no `.out` kept), S3DataType ManifestFile, two instances
 * sharing the objects, and SplitType RecordIO / TFRecord through an echo model.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/runtime/container-runtime.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { boto3, buildImageFrom, waitAndDescribe } from '../processing/helpers.js';
import { uniq } from '../training/helpers.js';

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
let srv: TestServer;
let echo: string;

beforeAll(async () => {
  echo = await buildImageFrom(join(import.meta.dirname, 'fixtures/echo'), 'transform-echo');
  srv = await startTestServer();
}, 180_000);
afterAll(async () => {
  await srv?.cleanup();
});

const WAIT = (name: string) => waitAndDescribe('Transform', name, 120);

/** boto3 lines: a bucket and an echo model (`sleep` seconds per request). */
function setup(bucket: string, model: string, sleep = 0): string {
  return `
s3.create_bucket(Bucket='${bucket}')
sm.create_model(ModelName='${model}', ExecutionRoleArn='${ROLE}', PrimaryContainer={'Image': '${echo}', 'Environment': {'ECHO_SLEEP': '${sleep}'}})
`;
}

/** boto3 lines leaving the messages of the job's container streams in `container_log` and of its data-log streams in `data_log` (per stream). */
const collectLogs = (name: string) => `
container_log = []
data_log = {}
for s in logs.describe_log_streams(logGroupName='/aws/sagemaker/TransformJobs', logStreamNamePrefix='${name}/')['logStreams']:
    n = s['logStreamName']
    ev = [e['message'] for e in logs.get_log_events(logGroupName='/aws/sagemaker/TransformJobs', logStreamName=n, startFromHead=True)['events']]
    if n.endswith('/data-log'):
        data_log[n] = ev
    else:
        container_log += ev
`;

const outKeys = (bucket: string, prefix: string) => `sorted(o['Key'] for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='${prefix}').get('Contents', []))`;

async function containersOf(name: string): Promise<number> {
  return (await new DockerRuntime().listContainers({ [LABELS.name]: name, [LABELS.home]: srv.home }, { all: true })).length;
}

describe('batch transform: stop, manifests, instances, binary records', () => {
  it('stops a running transform: Stopping then Stopped, and keeps no .out objects', async () => {
    const bucket = uniq('tstop');
    const model = uniq('echo');
    const name = uniq('t-stop');
    const out = await boto3<{ sawOut: boolean; afterStop: string; status: string; reason?: string; keys: string[] }>(
      srv.url,
      setup(bucket, model, 0.5) +
        `
s3.put_object(Bucket='${bucket}', Key='in/a.csv', Body=b'1\\n')
for k in ('b', 'c', 'd'):
    s3.put_object(Bucket='${bucket}', Key='in/' + k + '.csv', Body=''.join(f'{i}\\n' for i in range(40)).encode())
sm.create_transform_job(TransformJobName='${name}', ModelName='${model}', MaxConcurrentTransforms=1, BatchStrategy='SingleRecord',
    TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://${bucket}/in/'}}, 'ContentType': 'text/csv', 'SplitType': 'Line'},
    TransformOutput={'S3OutputPath': 's3://${bucket}/out/', 'AssembleWith': 'Line'},
    TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 1})
saw_out = False
deadline = time.time() + 90
while time.time() < deadline and not saw_out:
    saw_out = 'out/a.csv.out' in ${outKeys(bucket, 'out/')}
    time.sleep(0.2)
sm.stop_transform_job(TransformJobName='${name}')
after_stop = sm.describe_transform_job(TransformJobName='${name}')['TransformJobStatus']
${WAIT(name)}
print(json.dumps({'sawOut': saw_out, 'afterStop': after_stop, 'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'keys': ${outKeys(bucket, 'out/')}}))
`,
    );
    expect(out.sawOut, 'the first object was written before the stop').toBe(true);
    expect(['Stopping', 'Stopped']).toContain(out.afterStop);
    expect(out.status, out.reason).toBe('Stopped');
    expect(out.keys).toEqual([]);
    expect(await containersOf(name)).toBe(0);
  });

  it('reads a ManifestFile and writes <relative key>.out for each listed object only', async () => {
    const bucket = uniq('tman');
    const model = uniq('echo');
    const name = uniq('t-manifest');
    const out = await boto3<{ status: string; reason?: string; keys: string[]; nested: string; top: string }>(
      srv.url,
      setup(bucket, model) +
        `
s3.put_object(Bucket='${bucket}', Key='data/top.csv', Body=b'1,2\\n3,4\\n')
s3.put_object(Bucket='${bucket}', Key='data/sub/nested.csv', Body=b'5,6\\n')
s3.put_object(Bucket='${bucket}', Key='data/unlisted.csv', Body=b'7,8\\n')
s3.put_object(Bucket='${bucket}', Key='manifests/m.json', Body=json.dumps([{'prefix': 's3://${bucket}/data/'}, 'top.csv', 'sub/nested.csv']).encode())
sm.create_transform_job(TransformJobName='${name}', ModelName='${model}',
    TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'ManifestFile', 'S3Uri': 's3://${bucket}/manifests/m.json'}}, 'ContentType': 'text/csv', 'SplitType': 'Line'},
    TransformOutput={'S3OutputPath': 's3://${bucket}/out', 'AssembleWith': 'Line'},
    TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 1})
${WAIT(name)}
keys = ${outKeys(bucket, 'out/')}
get = lambda k: s3.get_object(Bucket='${bucket}', Key=k)['Body'].read().decode() if k in keys else None
print(json.dumps({'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'keys': keys,
                  'top': get('out/top.csv.out'), 'nested': get('out/sub/nested.csv.out')}))
`,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.keys).toEqual(['out/sub/nested.csv.out', 'out/top.csv.out']);
    expect(out.top).toBe('1,2\n3,4\n');
    expect(out.nested).toBe('5,6\n');
  });

  it('partitions objects across two instances, one object to one instance, with every output present', async () => {
    const bucket = uniq('tinst');
    const model = uniq('echo');
    const name = uniq('t-two');
    const out = await boto3<{ status: string; reason?: string; keys: string[]; bodies: Record<string, string>; data_log: Record<string, string[]>; streams: number }>(
      srv.url,
      setup(bucket, model) +
        `
names = ['p%d.csv' % i for i in range(6)]
for i, n in enumerate(names):
    s3.put_object(Bucket='${bucket}', Key='in/' + n, Body=f'{i},x\\n{i},y\\n'.encode())
sm.create_transform_job(TransformJobName='${name}', ModelName='${model}',
    TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://${bucket}/in/'}}, 'ContentType': 'text/csv', 'SplitType': 'Line'},
    TransformOutput={'S3OutputPath': 's3://${bucket}/out/', 'AssembleWith': 'Line'},
    TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 2})
${WAIT(name)}
${collectLogs(name)}
keys = ${outKeys(bucket, 'out/')}
bodies = {k: s3.get_object(Bucket='${bucket}', Key=k)['Body'].read().decode() for k in keys}
print(json.dumps({'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'keys': keys, 'bodies': bodies, 'data_log': data_log}))
`,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.keys).toEqual([0, 1, 2, 3, 4, 5].map((i) => `out/p${i}.csv.out`));
    for (let i = 0; i < 6; i++) expect(out.bodies[`out/p${i}.csv.out`]).toBe(`${i},x\n${i},y\n`);
    // Each instance has its own data-log stream naming the objects it transformed.
    const perInstance = Object.values(out.data_log).map((lines) =>
      lines.flatMap((l) => [...l.matchAll(/in\/(p\d\.csv): \d+ record/g)].map((m) => m[1]!)).sort(),
    );
    expect(perInstance).toHaveLength(2);
    expect(perInstance.every((objs) => objs.length > 0), JSON.stringify(perInstance)).toBe(true);
    expect(perInstance.flat().sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `p${i}.csv`));
    expect(await containersOf(name)).toBe(0);
  });

  it('splits RecordIO into single records and TFRecord into MultiRecord batches, padding dropped, end to end', async () => {
    const bucket = uniq('tbin');
    const model = uniq('echo');
    const rio = uniq('t-recordio');
    const tfr = uniq('t-tfrecord');
    const out = await boto3<{ rio: Record<string, any>; tfr: Record<string, any> }>(
      srv.url,
      setup(bucket, model) +
        `
import struct
payloads = [b'hello', b'recordio', b'abc', b'x' * 13]
def recordio(p):
    return struct.pack('<II', 0xced7230a, len(p)) + p
rio_records = [recordio(p) for p in payloads]
rio_body = b''.join(r + b'\\0' * ((4 - len(p) % 4) % 4) for r, p in zip(rio_records, payloads))
def tfrecord(p):
    return struct.pack('<Q', len(p)) + b'\\x01\\x02\\x03\\x04' + p + b'\\x05\\x06\\x07\\x08'
tf_body = b''.join(tfrecord(p) for p in payloads)
s3.put_object(Bucket='${bucket}', Key='rio/in/data.rec', Body=rio_body)
s3.put_object(Bucket='${bucket}', Key='tfr/in/data.tfrecord', Body=tf_body)
for name, prefix, split, strategy in (('${rio}', 'rio', 'RecordIO', 'SingleRecord'), ('${tfr}', 'tfr', 'TFRecord', 'MultiRecord')):
    sm.create_transform_job(TransformJobName=name, ModelName='${model}', BatchStrategy=strategy, MaxPayloadInMB=1,
        TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': f's3://${bucket}/{prefix}/in/'}},
                        'ContentType': 'application/x-recordio', 'SplitType': split},
        TransformOutput={'S3OutputPath': f's3://${bucket}/{prefix}/out/', 'AssembleWith': 'None'},
        TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 1})
result = {}
for name, prefix, key, expected in (('${rio}', 'rio', 'data.rec', b''.join(rio_records)), ('${tfr}', 'tfr', 'data.tfrecord', tf_body)):
    try:
        sm.get_waiter('transform_job_completed_or_stopped').wait(TransformJobName=name, WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
    except botocore.exceptions.WaiterError:
        pass
    d = sm.describe_transform_job(TransformJobName=name)
    container_log = []
    for s in logs.describe_log_streams(logGroupName='/aws/sagemaker/TransformJobs', logStreamNamePrefix=name + '/')['logStreams']:
        if not s['logStreamName'].endswith('/data-log'):
            container_log += [e['message'] for e in logs.get_log_events(logGroupName='/aws/sagemaker/TransformJobs', logStreamName=s['logStreamName'], startFromHead=True)['events']]
    body = s3.get_object(Bucket='${bucket}', Key=f'{prefix}/out/{key}.out')['Body'].read() if d['TransformJobStatus'] == 'Completed' else b''
    result[prefix] = {'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'same': body == expected, 'len': len(body),
                      'requests': [int(m.split('=')[1]) for m in container_log if m.startswith('echo bytes=')]}
print(json.dumps({'rio': result['rio'], 'tfr': result['tfr']}))
`,
    );
    expect(out.rio.status, out.rio.reason).toBe('Completed');
    expect(out.rio.same, `RecordIO output of ${out.rio.len} bytes`).toBe(true);
    // SingleRecord: one request per record, each the 8-byte header plus payload, no padding.
    expect(out.rio.requests).toEqual([13, 16, 11, 21]);
    expect(out.tfr.status, out.tfr.reason).toBe('Completed');
    expect(out.tfr.same, `TFRecord output of ${out.tfr.len} bytes`).toBe(true);
    // MultiRecord within 1 MB: all four whole records in one request.
    expect(out.tfr.requests).toEqual([16 * 4 + 5 + 8 + 3 + 13]);
  });
});

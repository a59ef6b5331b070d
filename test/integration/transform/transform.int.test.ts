/**
 * Batch transform with real Docker and boto3 (issue 5, acceptance 4–6): the decision-trees
 * example over a 100,000-line CSV (order, MaxPayloadInMB, MaxConcurrentTransforms seen at the
 * container), JSON Lines with InputFilter / JoinSource / OutputFilter, and a record the model
 * answers 500 for, plus execution-parameters, Gzip input, logs, list and the waiter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { boto3, buildImageFrom, waitAndDescribe } from '../processing/helpers.js';
import { baseJob, clients, createJob, makeBucket, putText, uniq, waitFor } from '../training/helpers.js';

const ROOT = join(import.meta.dirname, '../../..');
const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
let srv: TestServer;
let bucket: string;
let modelData: string;
let probe: string;
let picky: string;

beforeAll(async () => {
  await buildTestImage(join(ROOT, 'examples/decision-trees'), 'decision-trees:latest');
  [probe, picky] = await Promise.all([
    buildImageFrom(join(import.meta.dirname, 'fixtures/dt-probe'), 'dt-probe'),
    buildImageFrom(join(import.meta.dirname, 'fixtures/picky'), 'picky'),
  ]);
  srv = await startTestServer();
  // A real model.tar.gz from the example's own training, as a user would have it.
  const { sm, s3 } = clients(srv.url);
  bucket = await makeBucket(s3);
  await putText(s3, bucket, 'train/iris.csv', readFileSync(join(ROOT, 'examples/decision-trees/data/iris.csv')));
  const job = uniq('dt-train');
  await createJob(
    sm,
    baseJob(job, 'decision-trees:latest', bucket, {
      InputDataConfig: [{ ChannelName: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/train` } } }],
    }),
  );
  const d = await waitFor(sm, job, { timeoutMs: 150_000 });
  expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
  modelData = d.ModelArtifacts!.S3ModelArtifacts!;
}, 300_000);
afterAll(async () => {
  await srv?.cleanup();
});

const WAIT = (name: string) => waitAndDescribe('Transform', name, 240);

describe('batch transform', () => {
  it('transforms 100,000 CSV lines with the decision-trees model in order, within MaxPayloadInMB, 4 requests at a time', async () => {
    const model = uniq('dt-model');
    const name = uniq('dt-transform');
    const out = await boto3<{ status: string; reason?: string; counts: number[]; labels: string[]; mismatches: number; lines: number; probes: number[][]; streams: string[]; dataLog: string[] }>(
      srv.url,
      `
import random, time
bases = ['5.1,3.5,1.4,0.2', '6.0,2.9,4.5,1.5', '6.9,3.1,5.8,2.3']
rng = random.Random(7)
pattern = [rng.randrange(3) for _ in range(100000)]
def row(i, b):
    return ','.join(f'{float(v):.9f}' for v in bases[b].split(','))
body = ''.join(row(i, b) + '\\n' for i, b in enumerate(pattern)).encode()
s3.put_object(Bucket='${bucket}', Key='batch/in/iris-100k.csv', Body=body)
sm.create_model(ModelName='${model}', ExecutionRoleArn='${ROLE}',
    PrimaryContainer={'Image': '${probe}', 'ModelDataUrl': '${modelData}', 'Environment': {'MODEL_SERVER_WORKERS': '4', 'PROBE_SLEEP': '0.5'}})
sm.create_transform_job(TransformJobName='${name}', ModelName='${model}',
    MaxConcurrentTransforms=4, MaxPayloadInMB=1, BatchStrategy='MultiRecord',
    TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://${bucket}/batch/in/'}},
                    'ContentType': 'text/csv', 'SplitType': 'Line'},
    TransformOutput={'S3OutputPath': 's3://${bucket}/batch/out', 'Accept': 'text/csv', 'AssembleWith': 'Line'},
    TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 1})
${WAIT(name)}
result = {'status': d['TransformJobStatus'], 'reason': d.get('FailureReason')}
if d['TransformJobStatus'] == 'Completed':
    lines = s3.get_object(Bucket='${bucket}', Key='batch/out/iris-100k.csv.out')['Body'].read().decode().split('\\n')
    if lines[-1] == '':
        lines.pop()
    label_of = {}
    mismatches = 0
    for b, l in zip(pattern, lines):
        label_of.setdefault(b, l)
        if label_of[b] != l:
            mismatches += 1
    result.update(lines=len(lines), labels=[label_of.get(i) for i in range(3)], mismatches=mismatches)
# Container output reaches the log store shortly after the job completes (as in CloudWatch):
# read until two reads a second apart agree.
def read_logs():
    streams = logs.describe_log_streams(logGroupName='/aws/sagemaker/TransformJobs', logStreamNamePrefix='${name}/')['logStreams']
    probes, data_log = [], []
    for s in streams:
        ev = logs.get_log_events(logGroupName='/aws/sagemaker/TransformJobs', logStreamName=s['logStreamName'], startFromHead=True, limit=10000)['events']
        for e in ev:
            m = e['message']
            if m.startswith('probe '):
                kv = dict(p.split('=') for p in m.split()[1:])
                probes.append([float(kv['start']), float(kv['end']), int(kv['bytes'])])
            if s['logStreamName'].endswith('/data-log'):
                data_log.append(m)
    return [s['logStreamName'] for s in streams], probes, data_log
seen = read_logs()
for _ in range(15):
    time.sleep(1)
    again = read_logs()
    if again == seen:
        break
    seen = again
streams_names, probes, data_log = seen
result['streams'] = streams_names
result['probes'] = probes
result['dataLog'] = data_log
print(json.dumps(result))
`,
      240_000,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.lines).toBe(100_000);
    expect(out.mismatches).toBe(0);
    expect(new Set(out.labels)).toEqual(new Set(['setosa', 'versicolor', 'virginica']));
    // MultiRecord batches fill up to, never beyond, MaxPayloadInMB.
    expect(out.probes.length).toBeGreaterThanOrEqual(5);
    for (const [, , bytes] of out.probes) expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(out.probes.reduce((n, p) => n + p[2]!, 0)).toBeGreaterThan(4_500_000);
    // MaxConcurrentTransforms=4: at some moment four requests were inside the container, never five.
    const events = out.probes.flatMap(([s, e]) => [[s!, 1], [e!, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0;
    let peak = 0;
    for (const [, d] of events) peak = Math.max(peak, (cur += d));
    expect(peak).toBe(4);
    expect(out.streams.sort()).toEqual([expect.stringMatching(new RegExp(`^${name}/i-[0-9a-f]+-\\d+$`)), expect.stringMatching(/\/data-log$/)]);
    expect(out.dataLog.join('\n')).toContain('MaxConcurrentTransforms=4, MaxPayloadInMB=1, BatchStrategy=MULTI_RECORD');
  }, 300_000);

  it('applies InputFilter $[1:], JoinSource Input and OutputFilter to JSON Lines as SageMaker documents', async () => {
    const model = uniq('echo-model');
    const name = uniq('jsonl');
    const out = await boto3<{ status: string; reason?: string; output: string }>(
      srv.url,
      `
s3.put_object(Bucket='${bucket}', Key='jsonl/in/records.jsonl', Body=b'[7, 1.5, 2.5]\\n[8, 3, 4]\\n[9, 5, 6]\\n')
sm.create_model(ModelName='${model}', ExecutionRoleArn='${ROLE}', PrimaryContainer={'Image': '${picky}'})
sm.create_transform_job(TransformJobName='${name}', ModelName='${model}', BatchStrategy='MultiRecord', MaxConcurrentTransforms=1,
    TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://${bucket}/jsonl/in'}},
                    'ContentType': 'application/jsonlines', 'SplitType': 'Line'},
    TransformOutput={'S3OutputPath': 's3://${bucket}/jsonl/out/', 'Accept': 'application/jsonlines', 'AssembleWith': 'Line'},
    DataProcessing={'InputFilter': '$[1:]', 'JoinSource': 'Input', 'OutputFilter': "$['SageMakerInput','SageMakerOutput']"},
    TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 1})
${WAIT(name)}
output = s3.get_object(Bucket='${bucket}', Key='jsonl/out/records.jsonl.out')['Body'].read().decode() if d['TransformJobStatus'] == 'Completed' else ''
print(json.dumps({'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'output': output}))
`,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.output.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { SageMakerInput: [7, 1.5, 2.5], SageMakerOutput: [1.5, 2.5] },
      { SageMakerInput: [8, 3, 4], SageMakerOutput: [3, 4] },
      { SageMakerInput: [9, 5, 6], SageMakerOutput: [5, 6] },
    ]);
  });

  it('fails the job naming the object and record the model answered 500 for, and writes no partial .out', async () => {
    const model = uniq('picky-model');
    const name = uniq('boom');
    const out = await boto3<{ status: string; reason: string; keys: string[]; good: string; listed: string[]; dataLog: string[] }>(
      srv.url,
      `
import gzip
s3.put_object(Bucket='${bucket}', Key='boom/in/a-good.csv', Body=gzip.compress(b'1,2\\n3,4\\n'))
s3.put_object(Bucket='${bucket}', Key='boom/in/b-bad.csv', Body=gzip.compress(b'1,2\\n3,4\\nboom,5\\n6,7\\n'))
sm.create_model(ModelName='${model}', ExecutionRoleArn='${ROLE}', PrimaryContainer={'Image': '${picky}'})
sm.create_transform_job(TransformJobName='${name}', ModelName='${model}', ModelClientConfig={'InvocationsTimeoutInSeconds': 10, 'InvocationsMaxRetries': 1},
    TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://${bucket}/boom/in/'}},
                    'ContentType': 'text/csv', 'SplitType': 'Line', 'CompressionType': 'Gzip'},
    TransformOutput={'S3OutputPath': 's3://${bucket}/boom/out', 'AssembleWith': 'Line'},
    TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 1})
${WAIT(name)}
keys = sorted(o['Key'] for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='boom/out/').get('Contents', []))
good = s3.get_object(Bucket='${bucket}', Key='boom/out/a-good.csv.out')['Body'].read().decode() if 'boom/out/a-good.csv.out' in keys else ''
listed = [j['TransformJobStatus'] for j in sm.list_transform_jobs(NameContains='${name}')['TransformJobSummaries']]
streams = logs.describe_log_streams(logGroupName='/aws/sagemaker/TransformJobs', logStreamNamePrefix='${name}/')['logStreams']
data_log = [e['message'] for s in streams if s['logStreamName'].endswith('/data-log')
            for e in logs.get_log_events(logGroupName='/aws/sagemaker/TransformJobs', logStreamName=s['logStreamName'], startFromHead=True)['events']]
print(json.dumps({'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'keys': keys, 'good': good, 'listed': listed, 'dataLog': data_log}))
`,
    );
    expect(out.status).toBe('Failed');
    expect(out.reason).toContain(`s3://${bucket}/boom/in/b-bad.csv`);
    expect(out.reason).toContain('record 3');
    expect(out.reason).toContain('500');
    expect(out.keys).toEqual(['boom/out/a-good.csv.out']);
    expect(out.good).toBe('1,2\n3,4\n');
    expect(out.listed).toEqual(['Failed']);
    // Values from GET /execution-parameters apply when the request leaves them unset.
    expect(out.dataLog.join('\n')).toContain('MaxConcurrentTransforms=2, MaxPayloadInMB=1, BatchStrategy=SINGLE_RECORD');
  });
});

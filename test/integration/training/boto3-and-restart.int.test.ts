/**
 * boto3's waiter and paginator against real training jobs, ListTrainingJobs filters, and a
 * server killed with SIGKILL while a job runs (issue 3, acceptance 8 and 9).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { removeContainersOf, sdkClientConfig, startTestServer, testRuntimeOf, type TestServer } from '../../helpers/server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { pythonJson } from '../../helpers/python.js';
import { baseJob, clients, createJob, getBytes, makeBucket, uniq, untar, waitFor } from './helpers.js';

const exec = promisify(execFile);

async function boto3(url: string, script: string): Promise<Record<string, unknown>> {
  const prelude = `
import json, os, boto3, botocore
sm = boto3.client('sagemaker', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
`;
  return pythonJson<Record<string, unknown>>(url, script, { prelude });
}

describe('boto3 waiter, paginator and list filters', () => {
  let srv: TestServer;
  let noop: string;
  beforeAll(async () => {
    noop = await buildFixtureImage('noop');
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('waits with training_job_completed_or_stopped until Completed', async () => {
    const { s3 } = clients(srv.url);
    const bucket = await makeBucket(s3);
    const name = uniq('waiter');
    const out = await boto3(
      srv.url,
      `
sm.create_training_job(TrainingJobName='${name}', RoleArn='arn:aws:iam::123456789012:role/r',
    AlgorithmSpecification={'TrainingImage': '${noop}', 'TrainingInputMode': 'File'},
    HyperParameters={'max_depth': '3'},
    OutputDataConfig={'S3OutputPath': 's3://${bucket}/out'},
    ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
    StoppingCondition={'MaxRuntimeInSeconds': 300})
sm.get_waiter('training_job_completed_or_stopped').wait(TrainingJobName='${name}', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
d = sm.describe_training_job(TrainingJobName='${name}')
print(json.dumps({'status': d['TrainingJobStatus'], 'model': d['ModelArtifacts']['S3ModelArtifacts'], 'hp': d['HyperParameters'],
                  'transitions': [t['Status'] for t in d['SecondaryStatusTransitions']], 'billable': d['BillableTimeInSeconds']}))
`,
    );
    expect(out).toMatchObject({
      status: 'Completed',
      model: `s3://${bucket}/out/${name}/output/model.tar.gz`,
      hp: { max_depth: '3' },
      transitions: ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed'],
    });
    expect(out.billable).toBeGreaterThanOrEqual(1);
  });

  it('pages 25 jobs with MaxResults=10 and applies filters and sort orders', async () => {
    const prefix = uniq('pg');
    const out = await boto3(
      srv.url,
      `
import time
names = ['${prefix}-%02d' % i for i in range(25)]
for n in names:
    sm.create_training_job(TrainingJobName=n, RoleArn='arn:aws:iam::123456789012:role/r',
        AlgorithmSpecification={'TrainingImage': 'slipway-missing-image-for-paging:none', 'TrainingInputMode': 'File'},
        OutputDataConfig={'S3OutputPath': 's3://b/out'},
        ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
        StoppingCondition={'MaxRuntimeInSeconds': 300})
pages = list(sm.get_paginator('list_training_jobs').paginate(NameContains='${prefix}', PaginationConfig={'PageSize': 10}))
seen = [s['TrainingJobName'] for p in pages for s in p['TrainingJobSummaries']]
desc = sm.list_training_jobs(NameContains='${prefix}', SortBy='Name', SortOrder='Descending', MaxResults=3)
for _ in range(100):
    failed = sm.list_training_jobs(NameContains='${prefix}', StatusEquals='Failed', MaxResults=100)['TrainingJobSummaries']
    if len(failed) == 25: break
    time.sleep(0.2)
summary = failed[0]
try:
    sm.list_training_jobs(MaxResults=0); bad = None
except botocore.exceptions.ParamValidationError: bad = 'param'
except botocore.exceptions.ClientError as e: bad = e.response['Error']['Code']
print(json.dumps({'pages': [len(p['TrainingJobSummaries']) for p in pages], 'seen': seen, 'names': names,
                  'desc': [s['TrainingJobName'] for s in desc['TrainingJobSummaries']], 'descHasToken': 'NextToken' in desc,
                  'failed': len(failed), 'summaryKeys': sorted(summary.keys()), 'bad': bad}))
`,
    );
    expect(out.pages).toEqual([10, 10, 5]);
    expect(out.seen).toEqual(out.names); // default order: CreationTime Ascending
    expect(out.desc).toEqual([`${prefix}-24`, `${prefix}-23`, `${prefix}-22`]);
    expect(out.descHasToken).toBe(true);
    expect(out.failed).toBe(25);
    expect(out.summaryKeys).toEqual(
      expect.arrayContaining(['CreationTime', 'LastModifiedTime', 'SecondaryStatus', 'TrainingJobArn', 'TrainingJobName', 'TrainingJobStatus']),
    );
  });

  it('rejects invalid input with ValidationException (boto3)', async () => {
    const out = await boto3(
      srv.url,
      `
def code(fn):
    try:
        fn(); return None
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
base = dict(RoleArn='arn:aws:iam::123456789012:role/r', OutputDataConfig={'S3OutputPath': 's3://b/out'},
            ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
            StoppingCondition={'MaxRuntimeInSeconds': 300})
print(json.dumps({
  'name': code(lambda: sm.create_training_job(TrainingJobName='bad_name', AlgorithmSpecification={'TrainingImage': 'x', 'TrainingInputMode': 'File'}, **base)),
  'mode': code(lambda: sm.create_training_job(TrainingJobName='okname1', AlgorithmSpecification={'TrainingImage': 'x', 'TrainingInputMode': 'Bogus'}, **base)),
  'noimage': code(lambda: sm.create_training_job(TrainingJobName='okname2', AlgorithmSpecification={'TrainingInputMode': 'File'}, **base)),
  'describe': code(lambda: sm.describe_training_job(TrainingJobName='no-such-job-slipway')),
}))
`,
    );
    expect(out).toEqual({ name: 'ValidationException', mode: 'ValidationException', noimage: 'ValidationException', describe: 'ValidationException' });
  });
});

describe('in-process restart while a job runs', () => {
  it('re-attaches to the running container after the server restarts on the same home', async () => {
    const sleeper = await buildFixtureImage('sleeper');
    let srv = await startTestServer();
    try {
      let { sm, s3 } = clients(srv.url);
      const bucket = await makeBucket(s3);
      const name = uniq('reattach');
      await createJob(sm, baseJob(name, sleeper, bucket, { HyperParameters: { seconds: '6' } }));
      await waitFor(sm, name, { until: (d) => d.SecondaryStatus === 'Training' });
      srv = await srv.restart();
      ({ sm, s3 } = clients(srv.url));
      const d = await waitFor(sm, name, { timeoutMs: 60_000 });
      expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
      expect(d.TrainingTimeInSeconds).toBeGreaterThanOrEqual(6);
      const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
      expect(files['model.txt']).toBeDefined();
    } finally {
      await srv.cleanup();
    }
  });
});

describe('restart while a job runs', () => {
  let home: string;
  let proc: ServerProcess | undefined;
  let sleeper: string;
  beforeAll(async () => {
    sleeper = await buildFixtureImage('sleeper');
    await exec('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: join(import.meta.dirname, '../../..') });
    home = mkdtempSync(join(tmpdir(), 'slipway-restart-'));
  });
  afterAll(async () => {
    await proc?.stop();
    // The servers were stopped right after the last status change: what they had not removed yet goes here.
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  });

  it('re-attaches after kill -9 and reports Completed with each log line once', async () => {
    proc = await startServerProcess(home);
    let { sm, s3 } = clients(proc.url);
    const bucket = await makeBucket(s3);
    const name = uniq('restart');
    await createJob(sm, baseJob(name, sleeper, bucket, { HyperParameters: { seconds: '20' } }));
    await waitFor(sm, name, { until: (d) => d.SecondaryStatus === 'Training' });
    await new Promise((r) => setTimeout(r, 3_000));
    await proc.kill9();
    await new Promise((r) => setTimeout(r, 2_000));
    proc = await startServerProcess(home, proc.port);
    ({ sm, s3 } = clients(proc.url));
    const d = await waitFor(sm, name, { timeoutMs: 90_000 });
    expect(d.TrainingJobStatus, d.FailureReason + proc.output()).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(files['model.txt']).toBeDefined();

    const logs = new CloudWatchLogsClient(sdkClientConfig(proc.url));
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: `${name}/` }));
    const ev = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamName: streams.logStreams![0]!.logStreamName!, startFromHead: true, limit: 10000 }),
    );
    const ticks = ev.events!.map((e) => e.message!).filter((m) => m.startsWith('sleeper: tick='));
    expect(ticks.length).toBeGreaterThanOrEqual(15);
    expect(new Set(ticks).size).toBe(ticks.length);
    await proc.stop();
    proc = undefined;
  });

  it('fails a job whose container vanished while Slipway was down', async () => {
    // A server left over from a failed test above would answer on the same home: stop it first.
    await proc?.stop();
    proc = await startServerProcess(home);
    let { sm, s3 } = clients(proc.url);
    const bucket = await makeBucket(s3);
    const name = uniq('vanish');
    await createJob(sm, baseJob(name, sleeper, bucket));
    await waitFor(sm, name, { until: (d) => d.SecondaryStatus === 'Training' });
    await proc.kill9();
    const engine = await testRuntimeOf();
    for (const c of await engine.listContainers({ 'slipway.name': name }, { all: true })) await engine.removeContainer(c.id, { force: true });
    proc = await startServerProcess(home, proc.port);
    ({ sm, s3 } = clients(proc.url));
    const d = await waitFor(sm, name, { timeoutMs: 30_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toMatch(/vanished while Slipway was down/);
    await proc.stop();
    proc = undefined;
  });
});

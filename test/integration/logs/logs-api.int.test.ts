import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { awsEnv, python, useTestServer } from '../../helpers/server.js';

const exec = promisify(execFile);
const server = useTestServer();
const py = (script: string) => python(server().url, PRELUDE + script);

const PRELUDE = `
import json, os, boto3, botocore
logs = boto3.client('logs', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
def put(group, stream, messages, t0):
    for i in range(0, len(messages), 10000):
        chunk = messages[i:i+10000]
        logs.put_log_events(logGroupName=group, logStreamName=stream,
            logEvents=[{'timestamp': t0 + i + j, 'message': m} for j, m in enumerate(chunk)])
`;

describe('CloudWatch Logs API', () => {
  it('pages 25,000 events forward and backward without gaps or repeats', async () => {
    const out = await py(`
g = '/aws/sagemaker/TrainingJobs'
logs.create_log_group(logGroupName=g)
logs.create_log_stream(logGroupName=g, logStreamName='job-a/algo-1-1700000000')
# Several events share a millisecond, which must not create gaps or repeats.
msgs = ['line %d' % i for i in range(25000)]
for i in range(0, 25000, 10000):
    logs.put_log_events(logGroupName=g, logStreamName='job-a/algo-1-1700000000',
        logEvents=[{'timestamp': 1700000000000 + (i + j) // 3, 'message': m} for j, m in enumerate(msgs[i:i+10000])])
seen, token, pages = [], None, 0
while True:
    kw = dict(logGroupName=g, logStreamName='job-a/algo-1-1700000000', startFromHead=True, limit=3000)
    if token: kw['nextToken'] = token
    r = logs.get_log_events(**kw)
    pages += 1
    if not r['events']:
        same = r['nextForwardToken'] == token
        break
    seen += [e['message'] for e in r['events']]
    token = r['nextForwardToken']
back, btoken = [], None
r = logs.get_log_events(logGroupName=g, logStreamName='job-a/algo-1-1700000000', limit=4000)
newest = [e['message'] for e in r['events']]
btoken = r['nextBackwardToken']
back = newest
while True:
    r = logs.get_log_events(logGroupName=g, logStreamName='job-a/algo-1-1700000000', limit=4000, nextToken=btoken)
    if not r['events']:
        bsame = r['nextBackwardToken'] == btoken
        break
    back = [e['message'] for e in r['events']] + back
    btoken = r['nextBackwardToken']
print(json.dumps({'n': len(seen), 'inorder': seen == msgs, 'same': same, 'pages': pages, 'back': back == msgs, 'bsame': bsame, 'newestLast': newest[-1]}))
`);
    expect(out).toEqual({ n: 25000, inorder: true, same: true, pages: 10, back: true, bsame: true, newestLast: 'line 24999' });
  });

  it('describes streams by prefix as the SageMaker SDK asks, and filters phrases across streams', async () => {
    const out = await py(`
g = '/aws/sagemaker/Endpoints/ep-1'
logs.create_log_group(logGroupName=g)
for s in ['AllTraffic/i-1', 'AllTraffic/i-2', 'Other/i-3']:
    logs.create_log_stream(logGroupName=g, logStreamName=s)
put(g, 'AllTraffic/i-1', ['starting', 'Model loaded in 2s', 'GET /ping 200'], 1700000000000)
put(g, 'AllTraffic/i-2', ['starting', 'ERROR Model loaded badly'], 1700000000100)
put(g, 'Other/i-3', ['Model loaded in 1s'], 1700000000200)
r = logs.describe_log_streams(logGroupName=g, logStreamNamePrefix='AllTraffic/', orderBy='LogStreamName', limit=2)
names = [s['logStreamName'] for s in r['logStreams']]
hasToken = 'nextToken' in r
f = logs.filter_log_events(logGroupName=g, filterPattern='"Model loaded"')
f2 = logs.filter_log_events(logGroupName=g, logStreamNamePrefix='AllTraffic/', filterPattern='"Model loaded" -ERROR')
pag = logs.get_paginator('filter_log_events')
total = sum(len(p['events']) for p in pag.paginate(logGroupName=g, PaginationConfig={'PageSize': 1}))
try:
    logs.describe_log_streams(logGroupName='/nope')
    missing = None
except botocore.exceptions.ClientError as e:
    missing = e.response['Error']['Code']
print(json.dumps({'names': names, 'hasToken': hasToken,
  'f': [(e['logStreamName'], e['message']) for e in f['events']],
  'f2': [e['message'] for e in f2['events']], 'total': total, 'missing': missing}))
`);
    expect(out.names).toEqual(['AllTraffic/i-1', 'AllTraffic/i-2']);
    expect(out.hasToken).toBe(false);
    expect(out.f).toEqual([
      ['AllTraffic/i-1', 'Model loaded in 2s'],
      ['AllTraffic/i-2', 'ERROR Model loaded badly'],
      ['Other/i-3', 'Model loaded in 1s'],
    ]);
    expect(out.f2).toEqual(['Model loaded in 2s']);
    expect(out.total).toBe(6);
    expect(out.missing).toBe('ResourceNotFoundException');
  });

  it('filters JSON and space-delimited lines with structured patterns, and rejects bad ones', async () => {
    const out = await py(`
g = '/structured-filter-test'
logs.create_log_group(logGroupName=g)
logs.create_log_stream(logGroupName=g, logStreamName='job/algo-1')
put(g, 'job/algo-1', [
  json.dumps({'level': 'INFO', 'epoch': 1, 'loss': 0.9}),
  json.dumps({'level': 'ERROR', 'epoch': 2, 'loss': 1.7, 'detail': {'gpu': 0}}),
  '10.0.0.1 - - [22/Nov/2026:10:00:00 +0000] "POST /invocations HTTP/1.1" 200 17',
  '10.0.0.2 - - [22/Nov/2026:10:00:01 +0000] "POST /invocations HTTP/1.1" 500 9',
  'not json at all',
], 1700000000000)
def msgs(p):
    return [e['message'] for e in logs.filter_log_events(logGroupName=g, filterPattern=p)['events']]
try:
    msgs('{ $.level = ')
    bad = None
except botocore.exceptions.ClientError as e:
    bad = e.response['Error']['Code']
print(json.dumps({
  'errors': msgs('{ $.level = "ERROR" && $.detail.gpu = 0 }'),
  'loss': msgs('{ $.loss > 1 || $.epoch NOT EXISTS }'),
  'status': msgs('[ip, ..., status >= 500, bytes]'),
  'posts': msgs('[..., request = "POST *", status, bytes]'),
  'bad': bad}))
`);
    expect(out.errors).toHaveLength(1);
    expect(JSON.parse(out.errors[0]).epoch).toBe(2);
    expect(out.loss).toHaveLength(1);
    expect(out.status).toEqual(['10.0.0.2 - - [22/Nov/2026:10:00:01 +0000] "POST /invocations HTTP/1.1" 500 9']);
    expect(out.posts).toHaveLength(2);
    expect(out.bad).toBe('InvalidParameterException');
  });

  it('reads a stream with the aws CLI', async () => {
    await py(`
logs.create_log_group(logGroupName='/cli-test')
logs.create_log_stream(logGroupName='/cli-test', logStreamName='s')
put('/cli-test', 's', ['hello from the cli test'], 1700000000000)
print('{}')`);
    const { stdout } = await exec(
      'aws',
      ['logs', 'get-log-events', '--log-group-name', '/cli-test', '--log-stream-name', 's', '--start-from-head', '--endpoint-url', server().url, '--output', 'json'],
      { env: awsEnv(server().url) },
    );
    expect(JSON.parse(stdout).events[0].message).toBe('hello from the cli test');
  });
});

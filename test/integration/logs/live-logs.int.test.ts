import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteEndpointCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { python, useTestServer } from '../../helpers/server.js';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { baseJob, clients as trainingClients, createJob, makeBucket, uniq, waitFor } from '../training/helpers.js';
import { buildModelServer, clients as hostingClients, deploySimple } from '../hosting/helpers.js';

const server = useTestServer();

interface TailEvent {
  stream: string;
  timestamp: number;
  message: string;
  receivedAt: number;
}

/** Reads the SSE tail until `enough` says stop (or the deadline passes). */
async function tail(path: string, enough: (events: TailEvent[]) => boolean, timeoutMs = 30_000): Promise<TailEvent[]> {
  const res = await fetch(`${server().url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: TailEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  const reader = res.body!.getReader();
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push({ ...(JSON.parse(data.slice(6)) as Omit<TailEvent, 'receivedAt'>), receivedAt: Date.now() });
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

describe('logs of real containers', () => {
  let job: string;
  beforeAll(async () => {
    const image = await buildFixtureImage('sleeper');
    const { sm, s3 } = trainingClients(server().url);
    const bucket = await makeBucket(s3);
    job = uniq('tail');
    await createJob(sm, baseJob(job, image, bucket, { HyperParameters: { seconds: '60' } }));
  });
  afterAll(async () => {
    const { sm } = trainingClients(server().url);
    await sm.send(new StopTrainingJobCommand({ TrainingJobName: job })).catch(() => undefined);
    await waitFor(sm, job).catch(() => undefined);
  });

  it('delivers a line printed by a running training container over SSE within 1 s', async () => {
    const events = await tail(`/_slipway/logs/stream?job=${job}&tail=0`, (ev) => ev.filter((e) => e.message.includes('tick')).length >= 3);
    const ticks = events.filter((e) => e.message.includes('tick'));
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks[0]!.stream).toMatch(new RegExp(`^${job}/algo-1-\\d+$`));
    for (const t of ticks) expect(t.receivedAt - t.timestamp).toBeLessThan(1000);
  });

  it('lets boto3 find the job stream by prefix and read it', async () => {
    const out = await python(
      server().url,
      `
import json, os, boto3
logs = boto3.client('logs', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
streams = logs.describe_log_streams(logGroupName='/aws/sagemaker/TrainingJobs', logStreamNamePrefix='${job}/', orderBy='LogStreamName', limit=1)
name = streams['logStreams'][0]['logStreamName']
events = logs.get_log_events(logGroupName='/aws/sagemaker/TrainingJobs', logStreamName=name, startFromHead=True)['events']
print(json.dumps({'n': len(streams['logStreams']), 'more': 'nextToken' in streams, 'name': name, 'ticks': sum('tick' in e['message'] for e in events)}))
`,
    );
    expect(out).toMatchObject({ n: 1, more: false });
    expect(out.ticks).toBeGreaterThan(0);
  });
});

describe('endpoint logs', () => {
  it('finds a phrase across the streams of a two-instance endpoint with FilterLogEvents', async () => {
    const image = await buildModelServer();
    const { sm, rt } = hostingClients(server().url);
    const { endpoint } = await deploySimple(sm, { image, count: 2 });
    try {
      for (let i = 0; i < 20; i++) {
        await rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: Buffer.from('{}') }));
      }
      const out = await python(
        server().url,
        `
import json, os, time, boto3
logs = boto3.client('logs', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
deadline = time.time() + 10
while True:
    events = [e for p in logs.get_paginator('filter_log_events').paginate(logGroupName='/aws/sagemaker/Endpoints/${endpoint}', filterPattern='"POST /invocations"') for e in p['events']]
    if len(events) >= 20 or time.time() > deadline: break
    time.sleep(0.2)
print(json.dumps({'n': len(events), 'streams': sorted(set(e['logStreamName'] for e in events))}))
`,
      );
      expect(out.n).toBe(20);
      expect(out.streams).toHaveLength(2);
      for (const s of out.streams as string[]) expect(s).toMatch(/^AllTraffic\//);
    } finally {
      await sm.send(new DeleteEndpointCommand({ EndpointName: endpoint }));
    }
  });
});

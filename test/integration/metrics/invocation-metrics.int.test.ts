import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { awsEnv, startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, clients, deploySimple } from '../hosting/helpers.js';

const exec = promisify(execFile);
let srv: TestServer;
let sm: SageMakerClient;
let rt: SageMakerRuntimeClient;
let name: string;

beforeAll(async () => {
  const image = await buildModelServer();
  srv = await startTestServer();
  ({ sm, rt } = clients(srv.url));
  ({ endpoint: name } = await deploySimple(sm, { image }));
});

afterAll(async () => {
  await sm?.send(new DeleteEndpointCommand({ EndpointName: name })).catch(() => undefined);
  await srv?.cleanup();
});

function series(text: string, metric: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(metric) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

describe('invocation metrics', () => {
  it('counts 100 invocations and a 415 as a 4XX error, in Prometheus and CloudWatch form', async () => {
    for (let i = 0; i < 100; i++) {
      await rt.send(new InvokeEndpointCommand({ EndpointName: name, ContentType: 'text/csv', Body: Buffer.from(`${i},1,2`) }));
    }
    // The hosting fixture answers with the status given in the body for application/x-fail.
    const err = await rt
      .send(new InvokeEndpointCommand({ EndpointName: name, ContentType: 'application/x-fail', Body: Buffer.from('415') }))
      .catch((e: unknown) => e as { name: string; OriginalStatusCode?: number });
    expect(err).toMatchObject({ name: 'ModelError', OriginalStatusCode: 415 });

    const text = await (await fetch(`${srv.url}/_slipway/metrics`)).text();
    const labels = `endpoint="${name}",variant="AllTraffic"`;
    expect(series(text, 'sagemaker_invocations_total', labels)).toBe(101);
    expect(series(text, 'sagemaker_invocation_4xx_errors_total', labels)).toBe(1);
    expect(series(text, 'sagemaker_model_latency_microseconds_count', labels)).toBe(101);
    expect(series(text, 'sagemaker_overhead_latency_microseconds_count', labels)).toBe(101);
    expect(text).toMatch(new RegExp(`sagemaker_model_latency_microseconds_bucket{le="1000",${labels}} \\d+`));

    const now = Date.now();
    const { stdout } = await exec(
      'aws',
      ['cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/SageMaker', '--metric-name', 'Invocations',
        '--dimensions', `Name=EndpointName,Value=${name}`, 'Name=VariantName,Value=AllTraffic',
        '--start-time', new Date(now - 3_600_000).toISOString(), '--end-time', new Date(now + 60_000).toISOString(),
        '--period', '3600', '--statistics', 'Sum', '--endpoint-url', srv.url, '--output', 'json'],
      { env: awsEnv(srv.url) },
    );
    const points = JSON.parse(stdout).Datapoints as { Sum: number }[];
    expect(points.reduce((n, p) => n + p.Sum, 0)).toBe(101);
  });

  it('reports model setup time and per-instance CPU and memory from the engine', async () => {
    const labels = `endpoint="${name}",variant="AllTraffic"`;
    const deadline = Date.now() + 30_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await (await fetch(`${srv.url}/_slipway/metrics`)).text();
      if (text.includes(`sagemaker_instance_cpu_utilization_percent{${labels}`)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(series(text, 'sagemaker_model_setup_time_microseconds', labels)).toBeGreaterThan(0);
    expect(series(text, 'sagemaker_instance_cpu_utilization_percent', labels)).toBeGreaterThanOrEqual(0);
    expect(series(text, 'sagemaker_instance_memory_utilization_percent', labels)).toBeGreaterThan(0);
  });
});

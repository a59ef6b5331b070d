#!/usr/bin/env node
// bench/serverless — serverless cold start (issue 16's benchmark): how long a request to a
// serverless endpoint scaled to zero takes through Slipway, against the image's own start time.
// One run, rounds interleaved so host load hits both alike:
//   docker-run     `docker run -d -p 127.0.0.1::8080 <image> serve`, then GET /ping every 5 ms
//                  until 200: the image's own start (the floor)
//   slipway-cold   InvokeEndpoint on the endpoint scaled to zero (SLIPWAY_SERVERLESS_IDLE_SECONDS=1)
//                  until its answer: container create + start + /ping + route + the invocation
//   slipway-warm   the same call right after (the invocation alone, to subtract)
// plus ModelSetupTime as CloudWatch reports it. Image: the hosting test fixture (Python stdlib
// server, test/integration/hosting/fixtures/model-server). Results: bench/results/serverless.json.
// Usage: npm run build && node bench/serverless/run.mjs [--rounds 8]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, numArg as arg, pct, sleep } from '../common.mjs';
import { performance } from 'node:perf_hooks';
import { SageMakerClient, CreateModelCommand, CreateEndpointConfigCommand, CreateEndpointCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const ROUNDS = arg('--rounds', 8);
const IMAGE = 'slipway-bench/serverless:latest';
const LABEL = 'slipway-bench=serverless';

const summary = (xs) => ({ n: xs.length, p50Ms: +pct(xs, 50).toFixed(1), maxMs: +Math.max(...xs).toFixed(1), meanMs: +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1) });
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/** The image's own start: docker run, then /ping until 200. */
async function dockerRunToPing() {
  const t0 = performance.now();
  const id = docker('run', '-d', '--label', LABEL, '-p', '127.0.0.1::8080', '-e', 'FIXTURE_QUIET=1', IMAGE, 'serve');
  try {
    const hostPort = docker('port', id, '8080/tcp').split('\n')[0].split(':').pop();
    for (let i = 0; i < 6000; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${hostPort}/ping`)).status === 200) return performance.now() - t0;
      } catch {}
      await sleep(5);
    }
    throw new Error('the image never answered /ping');
  } finally {
    docker('rm', '-f', id);
  }
}

execFileSync('docker', ['build', '-q', '-t', IMAGE, join(ROOT, 'test/integration/hosting/fixtures/model-server')], { stdio: ['ignore', 'ignore', 'inherit'] });
const home = mkdtempSync(join(tmpdir(), 'slipway-bench-serverless-'));
const port = await freePort();
const server = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'server', '--port', String(port), '--home', home], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_SERVERLESS_IDLE_SECONDS: '1' },
});
const url = `http://127.0.0.1:${port}`;
const cfg = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
const sm = new SageMakerClient(cfg);
const rt = new SageMakerRuntimeClient({ ...cfg, maxAttempts: 1 });
const endpointContainers = () => docker('ps', '-q', '--filter', `label=slipway.home=${home}`, '--filter', 'label=slipway.kind=endpoint').split('\n').filter(Boolean).length;
try {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/_slipway/health`)).ok) break;
    } catch {}
    await sleep(100);
  }
  await sm.send(new CreateModelCommand({ ModelName: 'sl', ExecutionRoleArn: 'arn:aws:iam::000000000000:role/bench', PrimaryContainer: { Image: IMAGE, Environment: { FIXTURE_QUIET: '1' } } }));
  await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'sl', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'sl', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }] }));
  await sm.send(new CreateEndpointCommand({ EndpointName: 'sl', EndpointConfigName: 'sl' }));
  for (let i = 0; i < 600; i++) {
    const d = await sm.send(new DescribeEndpointCommand({ EndpointName: 'sl' }));
    if (d.EndpointStatus === 'InService') break;
    if (d.EndpointStatus === 'Failed') throw new Error(d.FailureReason);
    await sleep(200);
  }
  const invoke = () => rt.send(new InvokeEndpointCommand({ EndpointName: 'sl', ContentType: 'application/json', Body: '{"x": 1}' }));
  const results = { dockerRun: [], slipwayCold: [], slipwayWarm: [] };
  for (let r = 0; r < ROUNDS; r++) {
    results.dockerRun.push(await dockerRunToPing());
    // Scaled to zero before each cold call.
    for (let i = 0; i < 600 && endpointContainers() > 0; i++) await sleep(100);
    if (endpointContainers() > 0) throw new Error('the endpoint did not scale to zero');
    let t0 = performance.now();
    await invoke();
    results.slipwayCold.push(performance.now() - t0);
    t0 = performance.now();
    await invoke();
    results.slipwayWarm.push(performance.now() - t0);
  }
  // CloudWatch through boto3 (the project's pinned .venv; no CloudWatch JS client is installed).
  const metric = JSON.parse(
    execFileSync(join(ROOT, '.venv/bin/python3'), ['-c', `
import boto3, datetime, json
cw = boto3.client('cloudwatch', endpoint_url='${url}', region_name='us-east-1', aws_access_key_id='bench', aws_secret_access_key='bench')
now = datetime.datetime.now(datetime.timezone.utc)
r = cw.get_metric_statistics(Namespace='AWS/SageMaker', MetricName='ModelSetupTime', Dimensions=[{'Name': 'EndpointName', 'Value': 'sl'}, {'Name': 'VariantName', 'Value': 'AllTraffic'}],
    StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=1), Period=3600, Statistics=['SampleCount', 'Average', 'Maximum'])
print(json.dumps(r['Datapoints'], default=str))
`], { encoding: 'utf8' }),
  );
  const samples = metric.reduce((a, p) => a + p.SampleCount, 0);
  const out = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    rounds: ROUNDS,
    image: 'test/integration/hosting/fixtures/model-server (python:bookworm base, stdlib HTTP server)',
    dockerRunToPing: summary(results.dockerRun),
    slipwayColdInvoke: summary(results.slipwayCold),
    slipwayWarmInvoke: summary(results.slipwayWarm),
    coldStartOverheadP50Ms: +(pct(results.slipwayCold, 50) - pct(results.dockerRun, 50)).toFixed(1),
    modelSetupTime: { samples, averageMs: samples ? +(metric.reduce((a, p) => a + p.Average * p.SampleCount, 0) / samples / 1000).toFixed(1) : null, maxMs: samples ? +(Math.max(...metric.map((p) => p.Maximum)) / 1000).toFixed(1) : null },
    note: 'concurrency 1; docker-run = docker run -d + GET /ping every 5 ms until 200 (the image alone); slipway-cold = InvokeEndpoint on a variant scaled to zero until the answer (JS SDK, SigV4, container create/start with limits, ping every 100 ms, route, invocation); ModelSetupTime = container start to first 200 ping as CloudWatch reports it',
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/serverless.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  execFileSync('bash', [
    '-c',
    `docker ps -aq --filter label=slipway.home=${home} | xargs -r docker rm -f >/dev/null
     docker ps -aq --filter label=${LABEL} | xargs -r docker rm -f >/dev/null
     docker network ls -q --filter label=slipway.home=${home} | xargs -r docker network rm >/dev/null`,
  ]);
  rmSync(home, { recursive: true, force: true });
}

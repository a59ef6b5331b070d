#!/usr/bin/env node
// bench/mme — multi-model endpoint invoke latency (issue 16's benchmark). One Slipway server (built
// dist/) hosts examples/multi-model twice: as a multi-model endpoint (TargetModel) and, for the
// comparison with single-model hosting, through the same container's per-model route called
// directly on its published port (the limit: no Slipway in between). Measured, sequentially
// (concurrency 1, N requests each, interleaved in rounds so host load hits all alike):
//   direct        POST /models/<model_name>/invoke on the container's port
//   single        InvokeEndpoint on a single-model endpoint of the same image and model (/invocations)
//   mme-loaded    InvokeEndpoint with TargetModel of a model the instance holds
//   mme-first     the first InvokeEndpoint of each of K models (download + extract + load)
// Results: bench/results/mme.json. Usage: node bench/mme/run.mjs [--requests 300] [--rounds 3] [--models 8]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, numArg as arg, pct, sleep } from '../common.mjs';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SageMakerClient, CreateModelCommand, CreateEndpointConfigCommand, CreateEndpointCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const N = arg('--requests', 300);
const ROUNDS = arg('--rounds', 3);
const K = arg('--models', 8);
const IMAGE = 'slipway-bench/multi-model:latest';

const summary = (xs) => ({ n: xs.length, p50Ms: +pct(xs, 50).toFixed(3), p99Ms: +pct(xs, 99).toFixed(3), meanMs: +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3) });

execFileSync('docker', ['build', '-q', '-t', IMAGE, join(ROOT, 'examples', 'multi-model')], { stdio: ['ignore', 'ignore', 'inherit'] });
const home = mkdtempSync(join(tmpdir(), 'slipway-bench-mme-'));
const port = await freePort();
const server = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'server', '--port', String(port), '--home', home], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn' },
});
const url = `http://127.0.0.1:${port}`;
const cfg = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
const s3 = new S3Client({ ...cfg, forcePathStyle: true });
const sm = new SageMakerClient(cfg);
const rt = new SageMakerRuntimeClient({ ...cfg, maxAttempts: 1 });
try {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/_slipway/health`)).ok) break;
    } catch {}
    await sleep(100);
  }
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-mme' }));
  const tmp = mkdtempSync(join(tmpdir(), 'slipway-bench-mme-models-'));
  for (let i = 0; i <= K; i++) {
    mkdirSync(join(tmp, String(i)));
    writeFileSync(join(tmp, String(i), 'model.json'), JSON.stringify({ slope: i + 1, intercept: i }));
    execFileSync('tar', ['-czf', join(tmp, `${i}.tar.gz`), '-C', join(tmp, String(i)), 'model.json']);
    await s3.send(new PutObjectCommand({ Bucket: 'bench-mme', Key: `m/${i}.tar.gz`, Body: readFileSync(join(tmp, `${i}.tar.gz`)) }));
  }
  rmSync(tmp, { recursive: true, force: true });
  await sm.send(new CreateModelCommand({ ModelName: 'mme', ExecutionRoleArn: 'arn:aws:iam::000000000000:role/bench', PrimaryContainer: { Image: IMAGE, Mode: 'MultiModel', ModelDataUrl: 's3://bench-mme/m/' } }));
  await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'mme', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'mme', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
  await sm.send(new CreateEndpointCommand({ EndpointName: 'mme', EndpointConfigName: 'mme' }));
  await sm.send(new CreateModelCommand({ ModelName: 'single', ExecutionRoleArn: 'arn:aws:iam::000000000000:role/bench', PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://bench-mme/m/0.tar.gz' } }));
  await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'single', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'single', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
  await sm.send(new CreateEndpointCommand({ EndpointName: 'single', EndpointConfigName: 'single' }));
  for (const name of ['mme', 'single']) {
    for (let i = 0; i < 600; i++) {
      const d = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
      if (d.EndpointStatus === 'InService') break;
      if (d.EndpointStatus === 'Failed') throw new Error(d.FailureReason);
      await sleep(200);
    }
  }
  const body = JSON.stringify({ x: 3 });
  const invoke = (target) => rt.send(new InvokeEndpointCommand({ EndpointName: 'mme', TargetModel: target, ContentType: 'application/json', Body: body }));

  // First use of K models: download, extract, load.
  const first = [];
  for (let i = 1; i <= K; i++) {
    const t0 = performance.now();
    await invoke(`${i}.tar.gz`);
    first.push(performance.now() - t0);
  }
  // The container's own port and its model_name for model 0 (loaded by Slipway first).
  await invoke('0.tar.gz');
  const cid = execFileSync('docker', ['ps', '-q', '--filter', `label=slipway.home=${home}`, '--filter', 'label=slipway.kind=endpoint', '--filter', 'label=slipway.name=mme'], { encoding: 'utf8' }).trim().split('\n')[0];
  const hostPort = execFileSync('docker', ['port', cid, '8080/tcp'], { encoding: 'utf8' }).trim().split('\n')[0].split(':').pop();
  // The container's model_name for 0.tar.gz (resources/multi-model.ts containerModelName).
  const direct0 = createHash('sha256').update('0.tar.gz').digest('hex').slice(0, 32);
  const listed = await (await fetch(`http://127.0.0.1:${hostPort}/models`)).json();
  if (!listed.models.some((m) => m.modelName === direct0)) throw new Error('model 0 is not loaded in the container');

  const results = { direct: [], single: [], 'mme-loaded': [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, call] of [
      ['direct', () => fetch(`http://127.0.0.1:${hostPort}/models/${direct0}/invoke`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((x) => x.arrayBuffer())],
      ['single', () => rt.send(new InvokeEndpointCommand({ EndpointName: 'single', ContentType: 'application/json', Body: body }))],
      ['mme-loaded', () => invoke('0.tar.gz')],
    ]) {
      for (let i = 0; i < N; i++) {
        const t0 = performance.now();
        await call();
        results[name].push(performance.now() - t0);
      }
    }
  }
  const out = {
    when: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    requestsPerRound: N,
    rounds: ROUNDS,
    direct: summary(results.direct),
    single: summary(results.single),
    mmeLoaded: summary(results['mme-loaded']),
    mmeFirstUse: summary(first),
    note: 'concurrency 1; direct = the container port (limit); single and mme-loaded include the JS SDK client, SigV4 and Slipway; mme-first = download + extract + POST /models + invoke',
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/mme.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  // The server leaves its endpoints' containers and networks (with their host firewall rules,
  // tagged slipway-isolation:<network>) when it stops: remove all three.
  execFileSync('bash', [
    '-c',
    `docker ps -aq --filter label=slipway.home=${home} | xargs -r docker rm -f >/dev/null
     for n in $(docker network ls -q --filter label=slipway.home=${home} --format '{{.Name}}'); do
       docker network rm "$n" >/dev/null
       iptables -S | grep -F "slipway-isolation:$n:" | sed 's/^-A/-D/' | while read -r rule; do eval iptables "$rule"; done
     done`,
  ]);
  rmSync(home, { recursive: true, force: true });
}

#!/usr/bin/env node
// bench/autoscaling — time to scale out: how long from the start of a load until Application Auto
// Scaling has raised a variant's DesiredInstanceCount, and until the new instances serve; beside it
// the same capacity change made by hand (UpdateEndpointWeightsAndCapacities 1 → max), which is the
// floor set by container start-up. The difference is the decision latency: 3 datapoints above the
// target (SCALE_OUT_DATAPOINTS) × the evaluation interval, plus up to one interval of phase.
//   model     the hosting tests' model server (test/integration/hosting/fixtures/model-server)
//   target    InvocationsPerInstance 600/min, Min 1, Max --max (3); cooldowns 0
//   load      --concurrency loops (4) of JSON echo invocations on loopback, each round bounded by
//             60 s and 20,000 calls, stopped once the variant serves max instances
// Needs a built server (npm run build:server) and Docker. Results: bench/results/autoscaling.json.
// Usage: node bench/autoscaling/run.mjs [--interval 1] [--max 3] [--rounds 3] [--concurrency 4]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSlipway } from '../../dist/server/app.js';
import { DockerRuntime } from '../../dist/runtime/docker/docker-runtime.js';
import { numArg as arg, sleep } from '../common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const INTERVAL = arg('--interval', 1);
const MAX = arg('--max', 3);
const ROUNDS = arg('--rounds', 3);
const CONCURRENCY = arg('--concurrency', 4);
const IMAGE = 'slipway-test/hosting-model:latest';
const ENDPOINT = 'bench-autoscaling';
const RESOURCE = `endpoint/${ENDPOINT}/variant/AllTraffic`;
const DIM = 'sagemaker:variant:DesiredInstanceCount';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One JSON 1.1 call (the server runs without authentication here). */
async function call(url, target, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) });
  const out = await r.json();
  if (r.status !== 200) throw new Error(`${target}: ${JSON.stringify(out)}`);
  return out;
}

async function main() {
  execFileSync('docker', ['build', '-q', '-t', IMAGE, join(ROOT, 'test/integration/hosting/fixtures/model-server')], { stdio: 'ignore' });
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-autoscaling-'));
  const srv = await startSlipway({ home, port: 0, host: '127.0.0.1', autoscalingIntervalSeconds: INTERVAL });
  const sm = (op, body) => call(srv.url, `SageMaker.${op}`, body);
  const aas = (op, body) => call(srv.url, `AnyScaleFrontendService.${op}`, body);
  const variant = async () => {
    const d = await sm('DescribeEndpoint', { EndpointName: ENDPOINT });
    return { status: d.EndpointStatus, ...d.ProductionVariants[0] };
  };
  const until = async (pred, what, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await variant();
      if (pred(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const serving = (n) => (v) => v.status === 'InService' && v.CurrentInstanceCount === n && v.DesiredInstanceCount === n;
  try {
    await sm('CreateModel', { ModelName: 'bench-m', ExecutionRoleArn: 'arn:aws:iam::000000000000:role/bench', PrimaryContainer: { Image: IMAGE, Environment: { FIXTURE_QUIET: '1' } } });
    await sm('CreateEndpointConfig', { EndpointConfigName: 'bench-c', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'bench-m', InitialInstanceCount: 1, InstanceType: 'ml.t2.medium' }] });
    await sm('CreateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: 'bench-c' });
    await until(serving(1), 'InService');
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      // By hand: the container start-up floor.
      let t0 = performance.now();
      await sm('UpdateEndpointWeightsAndCapacities', { EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: MAX }] });
      await until(serving(MAX), 'manual scale-out');
      const manualSeconds = (performance.now() - t0) / 1000;
      await sm('UpdateEndpointWeightsAndCapacities', { EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 1 }] });
      await until(serving(1), 'back to 1');

      // Autoscaled.
      await aas('RegisterScalableTarget', { ServiceNamespace: 'sagemaker', ResourceId: RESOURCE, ScalableDimension: DIM, MinCapacity: 1, MaxCapacity: MAX });
      await aas('PutScalingPolicy', {
        PolicyName: 'bench', ServiceNamespace: 'sagemaker', ResourceId: RESOURCE, ScalableDimension: DIM, PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 600, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, ScaleOutCooldown: 0, ScaleInCooldown: 0 },
      });
      let stop = false;
      let calls = 0;
      let failures = 0;
      t0 = performance.now();
      const loops = Array.from({ length: CONCURRENCY }, async () => {
        while (!stop && calls < 20_000 && performance.now() - t0 < 60_000) {
          calls++;
          const res = await fetch(`${srv.url}/endpoints/${ENDPOINT}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
          if (!res || res.status !== 200) failures++;
          await res?.arrayBuffer();
        }
      });
      let decidedSeconds;
      const v = await until((x) => {
        if (decidedSeconds === undefined && x.DesiredInstanceCount > 1) decidedSeconds = (performance.now() - t0) / 1000;
        return serving(MAX)(x);
      }, 'autoscaled scale-out', 70_000).finally(() => (stop = true));
      const servingSeconds = (performance.now() - t0) / 1000;
      await Promise.all(loops);
      rounds.push({ manualSeconds, decidedSeconds, servingSeconds, calls, failures, reached: v.CurrentInstanceCount });
      console.log(`round ${r + 1}: manual ${manualSeconds.toFixed(2)} s; autoscaled: decided ${decidedSeconds?.toFixed(2)} s, serving ${servingSeconds.toFixed(2)} s (${calls} calls, ${failures} failed)`);
      await aas('DeregisterScalableTarget', { ServiceNamespace: 'sagemaker', ResourceId: RESOURCE, ScalableDimension: DIM });
      await sm('UpdateEndpointWeightsAndCapacities', { EndpointName: ENDPOINT, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 1 }] });
      await until(serving(1), 'back to 1');
    }
    const result = {
      date: new Date().toISOString(),
      intervalSeconds: INTERVAL,
      maxCapacity: MAX,
      concurrency: CONCURRENCY,
      manualScaleOutSecondsMedian: median(rounds.map((x) => x.manualSeconds)),
      decisionSecondsMedian: median(rounds.map((x) => x.decidedSeconds)),
      autoscaledServingSecondsMedian: median(rounds.map((x) => x.servingSeconds)),
      rounds,
      note: 'decision = load start until DesiredInstanceCount rose; serving = until max instances serve; manual = UpdateEndpointWeightsAndCapacities 1 → max until served',
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/autoscaling.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify({ manual: result.manualScaleOutSecondsMedian, decision: result.decisionSecondsMedian, serving: result.autoscaledServingSecondsMedian }));
  } finally {
    await sm('DeleteEndpoint', { EndpointName: ENDPOINT }).catch(() => undefined);
    await sleep(2_000);
    await srv.close();
    // Whatever is still running for this home goes (the server leaves containers running on close).
    const runtime = new DockerRuntime();
    const labels = { 'slipway.home': home };
    for (const c of await runtime.listContainers(labels, { all: true }).catch(() => [])) await runtime.removeContainer(c.id, { force: true }).catch(() => undefined);
    for (const n of await runtime.listNetworks(labels).catch(() => [])) await runtime.removeNetwork(n.name).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

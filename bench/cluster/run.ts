// bench/cluster — what cluster mode costs (issue 15's benchmark, the part that exists today): the
// same trivial training jobs (1 and 2 hosts, `true` in the base image) and a 1-instance endpoint,
// create → Completed / InService, on one Docker engine and on a three-node Swarm (the test harness:
// extra dockerd processes in network namespaces, test/helpers/cluster), interleaved in rounds so
// host load hits both alike. The replica half of the benchmark (invocation throughput through 2
// replicas vs 1) waits for PostgreSQL and leases.
// Run as root: npx vite-node bench/cluster/run.ts [--rounds 3]. Results: bench/results/cluster.json.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { BASE_IMAGE } from '../../test/integration/runtime/test-image.js';
import { ROLE, ROOT, arg, clients, makeBucket, median, onBothRuntimes, sleep, uniq, waitCompleted, writeResult } from './kit.js';

const rounds = arg('--rounds', 3);

async function job(url: string, bucket: string, hosts: number): Promise<number> {
  const { sm } = clients(url);
  const name = uniq(`bench${hosts}`);
  const t0 = performance.now();
  await sm.send(
    new CreateTrainingJobCommand({
      TrainingJobName: name,
      RoleArn: ROLE,
      AlgorithmSpecification: { TrainingImage: BASE_IMAGE, TrainingInputMode: 'File', ContainerEntrypoint: ['true'] },
      OutputDataConfig: { S3OutputPath: `s3://${bucket}/out` },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: hosts, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
    }),
  );
  await waitCompleted(sm, name, t0);
  return (performance.now() - t0) / 1000;
}

async function endpoint(url: string): Promise<number> {
  const { sm } = clients(url);
  const name = uniq('bench-ep');
  await sm.send(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: MODEL_SERVER_IMAGE } }));
  await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
  const t0 = performance.now();
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  for (;;) {
    const d = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
    if (d.EndpointStatus === 'InService') break;
    if (d.EndpointStatus === 'Failed') throw new Error(`${name}: ${d.FailureReason}`);
    if (performance.now() - t0 > 300_000) throw new Error(`${name} never InService`);
    await sleep(100);
  }
  const s = (performance.now() - t0) / 1000;
  await sm.send(new DeleteEndpointCommand({ EndpointName: name }));
  return s;
}

// The hosting tests' fixture model server (test/integration/hosting/fixtures/model-server).
const MODEL_SERVER_IMAGE = 'slipway-test/hosting-model:latest';

execFileSync('docker', ['build', '-q', '-t', MODEL_SERVER_IMAGE, join(ROOT, 'test/integration/hosting/fixtures/model-server')], { stdio: ['ignore', 'ignore', 'inherit'] });
await onBothRuntimes([BASE_IMAGE, MODEL_SERVER_IMAGE], async (targets) => {
  const buckets = { docker: await makeBucket(clients(targets.docker).s3), swarm: await makeBucket(clients(targets.swarm).s3) };
  const samples: Record<string, Record<string, number[]>> = { docker: { job1: [], job2: [], endpoint: [] }, swarm: { job1: [], job2: [], endpoint: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const rt of ['docker', 'swarm'] as const) {
      samples[rt]!.job1!.push(await job(targets[rt], buckets[rt], 1));
      samples[rt]!.job2!.push(await job(targets[rt], buckets[rt], 2));
      samples[rt]!.endpoint!.push(await endpoint(targets[rt]));
    }
  }
  const summary = Object.fromEntries(
    Object.entries(samples).map(([rt, m]) => [rt, Object.fromEntries(Object.entries(m).map(([k, xs]) => [k, { medianSeconds: +median(xs).toFixed(2), samples: xs.map((x) => +x.toFixed(2)) }]))]),
  );
  const out = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    rounds,
    what: 'create → Completed (trivial training job, 1 and 2 hosts) and create → InService (1-instance endpoint), one Docker engine vs a 3-node Swarm on this machine',
    ...summary,
  };
  writeResult('cluster.json', out);
});
process.exit(0);

// bench/cluster — what cluster mode costs (issue 15's benchmark, the part that exists today): the
// same trivial training jobs (1 and 2 hosts, `true` in the base image) and a 1-instance endpoint,
// create → Completed / InService, on one Docker engine and on a three-node Swarm (the test harness:
// extra dockerd processes in network namespaces, test/helpers/cluster), interleaved in rounds so
// host load hits both alike. The replica half of the benchmark (invocation throughput through 2
// replicas vs 1) waits for PostgreSQL and leases.
// Run as root: npx vite-node bench/cluster/run.ts [--rounds 3]. Results: bench/results/cluster.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { startCluster } from '../../test/helpers/cluster/swarm-cluster.js';
import { startSlipwayOnSwarm } from '../../test/helpers/cluster/slipway-on-swarm.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startSlipway } from '../../src/server/app.js';
import { BASE_IMAGE } from '../../test/integration/runtime/test-image.js';
import { execFileSync } from 'node:child_process';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniq = (p: string) => `${p}-${randomBytes(4).toString('hex')}`;
const ROLE = 'arn:aws:iam::000000000000:role/bench';
// The test helpers import vitest; the bench makes its own clients.
const clients = (url: string) => {
  const cfg = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  return { sm: new SageMakerClient(cfg), s3: new S3Client({ ...cfg, forcePathStyle: true }) };
};
async function makeBucket(s3: S3Client): Promise<string> {
  const b = uniq('bench');
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  return b;
}

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
  for (;;) {
    const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (d.TrainingJobStatus === 'Completed') break;
    if (d.TrainingJobStatus !== 'InProgress') throw new Error(`${name}: ${d.TrainingJobStatus} ${d.FailureReason}`);
    if (performance.now() - t0 > 300_000) throw new Error(`${name} never ended`);
    await sleep(100);
  }
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

execFileSync('docker', ['build', '-q', '-t', MODEL_SERVER_IMAGE, join(ROOT, 'test/integration/hosting/fixtures/model-server')], { stdio: ['ignore', 'ignore', 'inherit'] });
const cluster = await startCluster({ workers: 2, images: [BASE_IMAGE, MODEL_SERVER_IMAGE] });
const engineHome = mkdtempSync(join(tmpdir(), 'slipway-bench-cluster-'));
const engine = await startSlipway({ home: engineHome, host: '127.0.0.1', port: 0 });
let swarm: Awaited<ReturnType<typeof startSlipwayOnSwarm>> | undefined;
try {
  swarm = await startSlipwayOnSwarm(cluster);
  const targets = { docker: engine.url, swarm: swarm.url };
  const buckets = { docker: await makeBucket(clients(engine.url).s3), swarm: await makeBucket(clients(swarm.url).s3) };
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
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/cluster.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
} finally {
  await swarm?.close();
  await engine.close();
  // Endpoints are deleted as they are measured; whatever a failed round left goes here, firewall rules included.
  execFileSync('bash', [
    '-c',
    `docker ps -aq --filter label=slipway.home=${engineHome} | xargs -r docker rm -f >/dev/null
     for n in $(docker network ls -q --filter label=slipway.home=${engineHome} --format '{{.Name}}'); do
       docker network rm "$n" >/dev/null
       iptables -S | grep -F "slipway-isolation:$n:" | sed 's/^-A/-D/' | while read -r rule; do eval iptables "$rule"; done
     done`,
  ]);
  rmSync(engineHome, { recursive: true, force: true });
  cluster.down();
}
process.exit(0);

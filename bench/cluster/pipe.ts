// bench/cluster/pipe — Pipe-mode throughput on a cluster (issue 15): a training job whose container
// reads one ~50 MB channel from its FIFO (1 MiB reads, open → EOF timed inside the container), plain
// and Gzip, on one Docker engine (Slipway's in-process feeder writes the FIFO) and on a three-node
// Swarm (the node's feeder task copies Slipway's stream into the FIFO: docs/cluster.md, "Pipe mode
// on a cluster"), interleaved in rounds so host load hits both alike.
// Run as root: SLIPWAY_SWARM_SLOT=N npx vite-node bench/cluster/pipe.ts [--rounds 3] [--mb 50].
// Results: bench/results/cluster-pipe.json.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { BASE_IMAGE } from '../../test/integration/runtime/test-image.js';
import { ROLE, arg, clients, median, onBothRuntimes, uniq, waitCompleted, writeResult } from './kit.js';

const rounds = arg('--rounds', 3);
const mb = arg('--mb', 50);

/** Reads train_0 to its EOF; what it took goes to /opt/ml/model/r.json. */
const READER = String.raw`
import json, os, time
p = '/opt/ml/input/data/train_0'
while not os.path.exists(p):
    time.sleep(0.01)
f = open(p, 'rb', buffering=0)
t0 = time.time()
n = 0
while True:
    b = f.read(1 << 20)
    if not b:
        break
    n += len(b)
json.dump({'bytes': n, 'secs': time.time() - t0}, open('/opt/ml/model/r.json', 'w'))
`;

/** Text-like data (compresses about as CSV does), `mb` MiB of it. */
function payload(): Buffer {
  const line = Buffer.from(Array.from({ length: 64 }, (_, i) => `${i},${(i * 7919) % 1000}.${i % 10}`).join(',') + '\n');
  const out = Buffer.alloc(mb * 1024 * 1024);
  for (let o = 0; o < out.length; o += line.length) line.copy(out, o);
  return out;
}

async function setup(url: string, data: Buffer): Promise<string> {
  const { s3 } = clients(url);
  const bucket = uniq('bench');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'code/read.py', Body: READER }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain/data.csv', Body: data }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'gzip/data.csv.gz', Body: gzipSync(data) }));
  return bucket;
}

/** One job; the container's MB/s (open → EOF) and create → Completed. */
async function run(url: string, bucket: string, gzip: boolean): Promise<{ mbps: number; jobSeconds: number }> {
  const { sm, s3 } = clients(url);
  const name = uniq(gzip ? 'pipegz' : 'pipe');
  const t0 = performance.now();
  await sm.send(
    new CreateTrainingJobCommand({
      TrainingJobName: name,
      RoleArn: ROLE,
      AlgorithmSpecification: { TrainingImage: BASE_IMAGE, TrainingInputMode: 'Pipe', ContainerEntrypoint: ['python3', '/opt/ml/input/data/code/read.py'] },
      InputDataConfig: [
        { ChannelName: 'code', InputMode: 'File', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/code/` } } },
        { ChannelName: 'train', ...(gzip ? { CompressionType: 'Gzip' as const } : {}), DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/${gzip ? 'gzip' : 'plain'}/` } } },
      ],
      OutputDataConfig: { S3OutputPath: `s3://${bucket}/out`, CompressionType: 'NONE' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
    }),
  );
  await waitCompleted(sm, name, t0);
  const jobSeconds = (performance.now() - t0) / 1000;
  const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `out/${name}/output/model/r.json` }));
  const r = JSON.parse(await obj.Body!.transformToString()) as { bytes: number; secs: number };
  if (r.bytes !== mb * 1024 * 1024) throw new Error(`${name}: read ${r.bytes} bytes, expected ${mb * 1024 * 1024}`);
  return { mbps: r.bytes / 1024 / 1024 / r.secs, jobSeconds };
}

const data = payload();
await onBothRuntimes([BASE_IMAGE], async (targets) => {
  const buckets = { docker: await setup(targets.docker, data), swarm: await setup(targets.swarm, data) };
  type Samples = { mbps: number[]; jobSeconds: number[] };
  const fresh = (): Samples => ({ mbps: [], jobSeconds: [] });
  const samples = { docker: { plain: fresh(), gzip: fresh() }, swarm: { plain: fresh(), gzip: fresh() } };
  for (let r = 0; r < rounds; r++) {
    for (const rt of ['docker', 'swarm'] as const) {
      for (const kind of ['plain', 'gzip'] as const) {
        const s = await run(targets[rt], buckets[rt], kind === 'gzip');
        samples[rt][kind].mbps.push(s.mbps);
        samples[rt][kind].jobSeconds.push(s.jobSeconds);
        console.error(`round ${r + 1} ${rt} ${kind}: ${s.mbps.toFixed(1)} MB/s, job ${s.jobSeconds.toFixed(1)} s`);
      }
    }
  }
  const round = (xs: number[]) => xs.map((x) => +x.toFixed(1));
  const summary = Object.fromEntries(
    Object.entries(samples).map(([rt, kinds]) => [
      rt,
      Object.fromEntries(
        Object.entries(kinds).map(([k, s]) => [k, { medianMBps: +median(s.mbps).toFixed(1), mbps: round(s.mbps), medianJobSeconds: +median(s.jobSeconds).toFixed(1), jobSeconds: round(s.jobSeconds) }]),
      ),
    ]),
  );
  const out = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    rounds,
    channelMiB: mb,
    what: 'Pipe mode: MB/s a container reads from its FIFO (open → EOF, 1 MiB reads), plain and Gzip channel, and create → Completed; one Docker engine (in-process feeder) vs a 3-node Swarm on this machine (node feeder task)',
    ...summary,
  };
  writeResult('cluster-pipe.json', out);
});
process.exit(0);

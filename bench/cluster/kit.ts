// bench/cluster/kit — what the cluster benches share: clients, names, the wait for a training job,
// and both runtimes side by side (one Docker engine, a three-node Swarm of the test harness), with
// everything they made removed afterwards, however the rounds ended.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { startSlipway } from '../../src/server/app.js';
import { startCluster } from '../../test/helpers/cluster/swarm-cluster.js';
import { startSlipwayOnSwarm, type SlipwayOnSwarm } from '../../test/helpers/cluster/slipway-on-swarm.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ROLE = 'arn:aws:iam::000000000000:role/bench';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const uniq = (p: string) => `${p}-${randomBytes(4).toString('hex')}`;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;

// The test helpers import vitest; the benches make their own clients.
export const clients = (url: string) => {
  const cfg = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  return { sm: new SageMakerClient(cfg), s3: new S3Client({ ...cfg, forcePathStyle: true }) };
};

export async function makeBucket(s3: S3Client): Promise<string> {
  const b = uniq('bench');
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  return b;
}

/** Polls until the job is Completed (throws on any other end, or after 5 minutes from `t0`). */
export async function waitCompleted(sm: SageMakerClient, name: string, t0: number): Promise<void> {
  for (;;) {
    const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (d.TrainingJobStatus === 'Completed') return;
    if (d.TrainingJobStatus !== 'InProgress') throw new Error(`${name}: ${d.TrainingJobStatus} ${d.FailureReason}`);
    if (performance.now() - t0 > 300_000) throw new Error(`${name} never ended`);
    await sleep(100);
  }
}

/**
 * Slipway on one Docker engine and on a three-node Swarm (nodes holding `images`), for `fn`;
 * afterwards both stop and what the engine one left (containers, networks and their isolation
 * rules) is removed with the cluster.
 */
export async function onBothRuntimes<T>(images: string[], fn: (urls: { docker: string; swarm: string }) => Promise<T>): Promise<T> {
  const cluster = await startCluster({ workers: 2, images });
  const engineHome = mkdtempSync(join(tmpdir(), 'slipway-bench-cluster-'));
  let swarm: SlipwayOnSwarm | undefined;
  const engine = await startSlipway({ home: engineHome, host: '127.0.0.1', port: 0 });
  try {
    swarm = await startSlipwayOnSwarm(cluster);
    return await fn({ docker: engine.url, swarm: swarm.url });
  } finally {
    await swarm?.close();
    await engine.close();
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
}

/** Writes bench/results/<file> and prints it. */
export function writeResult(file: string, out: unknown): void {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', file), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
}

/**
 * Per-instance pids limit and /dev/shm (issue 12, item 7) with a real training job: the container
 * reports its /dev/shm and pids.max, writes 100 MiB to /dev/shm (more than Docker's 64 MB
 * default, which breaks PyTorch's DataLoader workers), then forks until the kernel refuses. The
 * fork bomb must stop at the container's limit with EAGAIN, while the host keeps forking and
 * Slipway keeps answering its health check. Before, there was no limit: the bomb ran into its
 * own cap (FORK_CAP, just above the expected limit) and /dev/shm was 64 MB.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { limitsFor } from '../../../src/resources/instance-types.js';
import { hostMaxTasks } from '../../../src/runtime/docker/host-limits.js';
import { BASE_IMAGE } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseJob, clients, createJob, getBytes, makeBucket, putText, uniq, untar, waitFor } from './helpers.js';

const exec = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.cleanup();
});

interface Report {
  shm_bytes: number;
  shm_written_mib?: number;
  shm_error?: string;
  pids_max?: string;
  forked: number;
  stopped_by: string | null;
  fork_seconds: number;
}

it('bounds a fork bomb by the pids limit, gives /dev/shm half the instance memory, and the host stays fine', async () => {
  const { sm, s3 } = clients(srv.url);
  const bucket = await makeBucket(s3);
  await putText(s3, bucket, 'code/limits-probe.py', readFileSync(join(HERE, 'fixtures', 'limits-probe.py')));
  const { stdout } = await exec('docker', ['info', '-f', '{{.NCPU}} {{.MemTotal}}']);
  const [cpus, mem] = stdout.trim().split(' ').map(Number);
  const expected = limitsFor('ml.m5.large', cpus!, mem!, await hostMaxTasks());
  const name = uniq('limits');
  await createJob(
    sm,
    baseJob(name, BASE_IMAGE, bucket, {
      AlgorithmSpecification: { TrainingImage: BASE_IMAGE, TrainingInputMode: 'File', ContainerEntrypoint: ['python3', '/opt/ml/input/data/code/limits-probe.py'] },
      InputDataConfig: [{ ChannelName: 'code', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/code/` } } }],
      Environment: { FORK_CAP: String(expected.pidsLimit + 500) },
    }),
  );

  // While the job forks: the host still forks and Slipway answers its health check.
  let done = false;
  let hostForkFailures = 0;
  let slowestHealthMs = 0;
  const watch = (async () => {
    while (!done) {
      const t0 = Date.now();
      const health = await fetch(`${srv.url}/_slipway/health`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0);
      slowestHealthMs = Math.max(slowestHealthMs, health === 200 ? Date.now() - t0 : Infinity);
      await exec('true').catch(() => hostForkFailures++);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const d = await waitFor(sm, name, { timeoutMs: 170_000 }).finally(() => (done = true));
  await watch;
  expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
  const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
  const r = JSON.parse(files['limits.json']!.toString()) as Report;

  expect(r.pids_max).toBe(String(expected.pidsLimit));
  expect(r.stopped_by, JSON.stringify(r)).toBe('EAGAIN');
  expect(r.forked).toBeLessThan(expected.pidsLimit);
  expect(r.shm_bytes).toBe(expected.shmSizeBytes);
  expect(r.shm_written_mib, JSON.stringify(r)).toBe(100);
  expect(hostForkFailures).toBe(0);
  expect(slowestHealthMs).toBeLessThan(5_000);
  console.info(`fork bomb: ${r.forked} children in ${r.fork_seconds} s, stopped by ${r.stopped_by} (pids.max ${r.pids_max}); slowest health check meanwhile ${slowestHealthMs} ms`);
}, 180_000);

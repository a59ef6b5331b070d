/**
 * A container that dies while the Docker API is unreachable (issue 12, item 13). The server talks
 * to the engine through a socket proxy this test cuts for 20 s (test/helpers/docker-socket-proxy.ts);
 * meanwhile the test kills an endpoint's container and a training job's container through the
 * real socket. Once the proxy relays again, the dead endpoint container must be removed and
 * replaced (the endpoint serves again), and the job must end Failed for its container's exit —
 * not for the outage — with its container removed too. Before, retiring the dead instance and
 * cleaning up the job each tried once to remove the container while the engine was unreachable,
 * and nothing ever tried again: exited containers stayed on the host for good.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { startSlipway, type SlipwayServer } from '../../../src/server/app.js';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startDockerSocketProxy, type DockerSocketProxy } from '../../helpers/docker-socket-proxy.js';
import { removeContainersOf } from '../../helpers/server.js';
import { baseJob, clients as trainingClients, createJob, describe as describeJob, makeBucket, uniq, waitFor } from '../training/helpers.js';
import { buildModelServer, clients, containersOf, deleteAllEndpoints, deploySimple, sleep } from './helpers.js';

const exec = promisify(execFile);
const OUTAGE_MS = 20_000;

let proxy: DockerSocketProxy;
let home: string;
let server: SlipwayServer;
let sleeper: string;

beforeAll(async () => {
  [sleeper] = await Promise.all([buildFixtureImage('sleeper'), buildModelServer()]);
  proxy = await startDockerSocketProxy();
  home = mkdtempSync(join(tmpdir(), 'slipway-outage-'));
  server = await startSlipway({ home, port: 0, host: '127.0.0.1', runtime: new DockerRuntime({ docker: new Docker({ socketPath: proxy.socketPath }) }) });
}, 180_000);

afterAll(async () => {
  proxy?.restore();
  if (server) {
    await deleteAllEndpoints(clients(server.url).sm, home).catch(() => undefined);
    await server.close();
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  }
  await proxy?.close();
}, 180_000);

/** Whether a container exists at all (any state), asked through the real socket. */
const exists = (id: string) => exec('docker', ['inspect', id]).then(() => true, () => false);

async function jobContainer(job: string): Promise<string> {
  const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=slipway.home=${home}`, '--filter', `label=slipway.name=${job}`]);
  const [id] = stdout.split('\n').filter(Boolean);
  if (!id) throw new Error(`no container for job ${job}`);
  return id;
}

it('removes and replaces an endpoint container, and fails and removes a job container, that died while the engine was unreachable', async () => {
  const { sm, rt } = clients(server.url);
  const { endpoint } = await deploySimple(sm);
  const [dead] = await containersOf(home, endpoint);
  const t = trainingClients(server.url);
  const job = uniq('outage');
  await createJob(t.sm, baseJob(job, sleeper, await makeBucket(t.s3), { HyperParameters: { seconds: '600' } }));
  await waitFor(t.sm, job, { until: (d) => d.SecondaryStatus === 'Training' });
  const jobBox = await jobContainer(job);

  proxy.cut();
  await exec('docker', ['kill', dead!, jobBox]);
  await sleep(OUTAGE_MS);
  // The outage did not fail the job: nothing is known about its container yet.
  expect((await describeJob(t.sm, job)).TrainingJobStatus).toBe('InProgress');
  proxy.restore();

  const deadline = Date.now() + 90_000;
  let state = '';
  for (;;) {
    const [deadLeft, jobLeft, now, d, j] = await Promise.all([
      exists(dead!),
      exists(jobBox),
      containersOf(home, endpoint),
      sm.send(new DescribeEndpointCommand({ EndpointName: endpoint })),
      describeJob(t.sm, job),
    ]);
    const serves = await rt
      .send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: Buffer.from('{}') }))
      .then((r) => r.$metadata.httpStatusCode === 200, () => false);
    state = JSON.stringify({ deadLeft, jobLeft, now, serves, endpoint: d.EndpointStatus, job: j.TrainingJobStatus, reason: j.FailureReason });
    if (!deadLeft && !jobLeft && now.length === 1 && serves && j.TrainingJobStatus === 'Failed') {
      expect(d.EndpointStatus).toBe('InService');
      expect(j.FailureReason).toMatch(/^AlgorithmError: Exit Code: 137/);
      break;
    }
    if (Date.now() > deadline) throw new Error(`not cleaned up after the engine came back: ${state}`);
    await sleep(500);
  }
}, 240_000);

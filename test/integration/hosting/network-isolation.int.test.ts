/**
 * EnableNetworkIsolation with real Docker: a target TCP server runs in its own container on its
 * own network and on the default bridge. From inside an isolated endpoint (served through
 * Slipway) and an isolated training job, connections to it fail; the same probe from a
 * non-isolated endpoint and job connects, so the test can fail. All traffic to the target comes
 * from containers; the host talks only to 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateEndpointCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseJob, clients as trainingClients, createJob, getBytes, makeBucket, untar, waitFor } from '../training/helpers.js';
import { buildImage, clients, containersOf, createConfig, deleteAllEndpoints, rnd, sleep, variant, waitForStatus } from './helpers.js';

const execFileAsync = promisify(execFile);
const docker = async (...args: string[]) => (await execFileAsync('docker', args)).stdout.trim();

const IMAGE = 'slipway-test/net-probe:latest';
const id = Math.random().toString(36).slice(2, 10);
const TARGET_NET = `slipway-nettest-${id}`;
const TARGET = `slipway-nettest-target-${id}`;
const PORT = 9000;
/** Accepts, says "hi", closes. */
const LISTENER = `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", ${PORT})); s.listen(64)
while True:
    c, _ = s.accept(); c.sendall(b"hi"); c.close()
`;

interface Probe {
  connected: boolean;
  received?: string;
  error?: string;
}

let server: TestServer;
let sm: SageMakerClient;
let rt: SageMakerRuntimeClient;
/** The target's address on its own network and on the default bridge (where non-isolated containers live). */
let targetOwnIp: string;
let targetBridgeIp: string;

beforeAll(async () => {
  await buildImage('net-probe', IMAGE);
  await docker('network', 'create', '--label', `slipway.nettest=${id}`, TARGET_NET);
  await docker('run', '-d', '--name', TARGET, '--network', TARGET_NET, 'slipway-base/python:bookworm', 'python3', '-c', LISTENER);
  await docker('network', 'connect', 'bridge', TARGET);
  const nets = JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', TARGET)) as Record<string, { IPAddress: string }>;
  targetOwnIp = nets[TARGET_NET]!.IPAddress;
  targetBridgeIp = nets.bridge!.IPAddress;
  expect(targetOwnIp).not.toBe('');
  expect(targetBridgeIp).not.toBe('');
  server = await startTestServer();
  ({ sm, rt } = clients(server.url));
}, 180_000);

afterAll(async () => {
  if (server) {
    await deleteAllEndpoints(sm, server.home).catch(() => undefined);
    await server.cleanup();
  }
  await docker('rm', '-f', TARGET).catch(() => undefined);
  await docker('network', 'rm', TARGET_NET).catch(() => undefined);
}, 180_000);

async function deploy(isolated: boolean): Promise<string> {
  const model = rnd('m');
  const config = rnd('c');
  const endpoint = rnd(isolated ? 'iso' : 'open');
  await sm.send(
    new CreateModelCommand({
      ModelName: model,
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/slipway',
      PrimaryContainer: { Image: IMAGE },
      EnableNetworkIsolation: isolated,
    }),
  );
  await createConfig(sm, config, [variant('AllTraffic', model)]);
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(sm, endpoint, ['InService']);
  return endpoint;
}

async function probeFrom(endpoint: string, host: string): Promise<Probe> {
  const r = await rt.send(
    new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: JSON.stringify({ host, port: PORT, timeout: 3 }) }),
  );
  return JSON.parse(Buffer.from(r.Body!).toString()) as Probe;
}

describe('EnableNetworkIsolation on endpoints', () => {
  let isolated: string;
  let open: string;

  beforeAll(async () => {
    [isolated, open] = await Promise.all([deploy(true), deploy(false)]);
  }, 180_000);

  it('lets a non-isolated endpoint reach the target container (the control)', async () => {
    expect(await probeFrom(open, targetBridgeIp)).toEqual({ connected: true, received: 'hi' });
  });

  it('serves an isolated endpoint through Slipway while its container reaches no other container', async () => {
    const onBridge = await probeFrom(isolated, targetBridgeIp);
    expect(onBridge.connected).toBe(false);
    const onOwnNet = await probeFrom(isolated, targetOwnIp);
    expect(onOwnNet.connected).toBe(false);
  });

  it('puts the isolated instance on its own bridge without outbound NAT or inter-container traffic', async () => {
    const [cid] = await containersOf(server.home, isolated);
    const nets = Object.keys(JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', cid!)) as object);
    expect(nets).toHaveLength(1);
    expect(nets[0]).toMatch(new RegExp(`^slipway-ep-${isolated}-iso-[0-9a-f]{8}$`));
    const info = JSON.parse(await docker('network', 'inspect', '-f', '{{json .}}', nets[0]!)) as { Internal: boolean; Options: Record<string, string> };
    expect(info.Internal).toBe(false);
    expect(info.Options).toMatchObject({
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
      'com.docker.network.bridge.enable_icc': 'false',
    });
    // The non-isolated endpoint stays on the default bridge.
    const [openCid] = await containersOf(server.home, open);
    expect(Object.keys(JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', openCid!)) as object)).toEqual(['bridge']);
  });

  it('removes the isolated network with the endpoint', async () => {
    const [cid] = await containersOf(server.home, isolated);
    const net = Object.keys(JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', cid!)) as object)[0]!;
    await sm.send(new DeleteEndpointCommand({ EndpointName: isolated }));
    const deadline = Date.now() + 90_000;
    const exists = () => docker('network', 'inspect', net).then(() => true, () => false);
    while (await exists()) {
      if (Date.now() > deadline) throw new Error(`network ${net} still there`);
      await sleep(250);
    }
    expect(await containersOf(server.home, isolated)).toEqual([]);
  }, 120_000);
});

describe('EnableNetworkIsolation on training jobs', () => {
  async function train(isolated: boolean, count: number): Promise<Record<string, Probe>> {
    const { sm: tsm, s3 } = trainingClients(server.url);
    const bucket = await makeBucket(s3);
    const name = rnd(isolated ? 'iso' : 'open');
    await createJob(
      tsm,
      baseJob(name, IMAGE, bucket, {
        EnableNetworkIsolation: isolated,
        Environment: { NET_PROBE_TARGETS: `${targetBridgeIp}:${PORT},${targetOwnIp}:${PORT}` },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: count, VolumeSizeInGB: 1 },
      }),
    );
    const d = await waitFor(tsm, name, { timeoutMs: 150_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    return JSON.parse(files['probe.json']!.toString()) as Record<string, Probe>;
  }

  it('keeps isolated single- and multi-host jobs away from other containers; a normal job reaches them', async () => {
    const [open, single, multi] = await Promise.all([train(false, 1), train(true, 1), train(true, 2)]);
    expect(open[`${targetBridgeIp}:${PORT}`]).toEqual({ connected: true, received: 'hi' });
    for (const r of [single, multi]) {
      expect(r[`${targetBridgeIp}:${PORT}`]!.connected).toBe(false);
      expect(r[`${targetOwnIp}:${PORT}`]!.connected).toBe(false);
    }
  }, 200_000);
});

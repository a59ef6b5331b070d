/**
 * Containers of different resources cannot reach each other or the host (issue 12, item 7), with
 * real Docker, a real server and real SDK clients. Two endpoints (one with two instances) and
 * training jobs run the net-probe image, which tries TCP connections from inside its container:
 * - one endpoint's container cannot connect to the other endpoint's containers (before: all shared
 *   Docker's default bridge, and a POST went straight past auth, metrics and capture), while the
 *   two instances of one endpoint share their network and both serve;
 * - no endpoint or job container reaches a service of the host on 0.0.0.0, nor Slipway's own port
 *   (this server binds 0.0.0.0), through any host address;
 * - they keep their way out: an "outside" host in a network namespace beyond the host's routing
 *   and NAT answers them (and does not answer an isolated endpoint, so that probe can fail).
 * Traffic goes only to this machine's own namespaces, bridges and loopback.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEndpointCommand, CreateModelCommand, DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startSlipway, type SlipwayServer } from '../../../src/server/app.js';
import { removeContainersOf } from '../../helpers/server.js';
import { baseJob, clients as trainingClients, createJob, getBytes, makeBucket, untar, waitFor } from '../training/helpers.js';
import { buildImage, clients, containersOf, createConfig, deleteAllEndpoints, rnd, variant, waitForStatus } from './helpers.js';
import { createOutsideHost, type OutsideHost } from './outside-host.js';

const exec = promisify(execFile);
const docker = async (...args: string[]) => (await exec('docker', args)).stdout.trim();
const IMAGE = 'slipway-test/net-probe:latest';

interface Probe {
  connected: boolean;
  received?: string;
  error?: string;
}

let home: string;
let server: SlipwayServer;
let sm: SageMakerClient;
let rt: SageMakerRuntimeClient;
let outside: OutsideHost;
let hostListener: Server;
let hostPort: number;
/** docker0's address: a host address every container could once reach. */
let docker0: string;

beforeAll(async () => {
  await buildImage('net-probe', IMAGE);
  outside = await createOutsideHost();
  hostListener = createServer((sock) => sock.on('error', () => undefined).end('hi'));
  await new Promise<void>((resolve) => hostListener.listen(0, '0.0.0.0', resolve));
  hostPort = (hostListener.address() as AddressInfo).port;
  docker0 = networkInterfaces().docker0?.find((a) => a.family === 'IPv4')?.address ?? '172.17.0.1';
  home = mkdtempSync(join(tmpdir(), 'slipway-tenants-'));
  // Bound to every address, as an operator exposing Slipway would: containers must still not reach it.
  server = await startSlipway({ home, port: 0, host: '0.0.0.0' });
  ({ sm, rt } = clients(server.url));
}, 180_000);

afterAll(async () => {
  if (server) {
    await deleteAllEndpoints(sm, home).catch(() => undefined);
    await server.close();
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  }
  await new Promise((resolve) => (hostListener ? hostListener.close(resolve) : resolve(undefined)));
  await outside?.remove();
}, 180_000);

async function deploy(count: number, isolated = false): Promise<string> {
  const model = rnd('m');
  const config = rnd('c');
  const endpoint = rnd(isolated ? 'iso' : 'ep');
  await sm.send(
    new CreateModelCommand({
      ModelName: model,
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/slipway',
      PrimaryContainer: { Image: IMAGE },
      EnableNetworkIsolation: isolated,
    }),
  );
  await createConfig(sm, config, [variant('AllTraffic', model, count)]);
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(sm, endpoint, ['InService']);
  return endpoint;
}

async function probeFrom(endpoint: string, host: string, port: number): Promise<Probe> {
  const r = await rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: JSON.stringify({ host, port, timeout: 3 }) }));
  return JSON.parse(Buffer.from(r.Body!).toString()) as Probe;
}

/** Each container's addresses and gateways on its networks. */
async function addressesOf(endpoint: string): Promise<{ ip: string; gateway: string; network: string }[]> {
  const out: { ip: string; gateway: string; network: string }[] = [];
  for (const id of await containersOf(home, endpoint)) {
    const nets = JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', id)) as Record<string, { IPAddress: string; Gateway: string }>;
    for (const [network, n] of Object.entries(nets)) out.push({ ip: n.IPAddress, gateway: n.Gateway, network });
  }
  return out;
}

describe('endpoints of different resources', () => {
  let a: string;
  let b: string;
  let iso: string;

  beforeAll(async () => {
    [a, b, iso] = await Promise.all([deploy(2), deploy(1), deploy(1, true)]);
  }, 180_000);

  it("refuses connections from one endpoint's container to another endpoint's containers", async () => {
    const [aAddrs, bAddrs] = await Promise.all([addressesOf(a), addressesOf(b)]);
    expect(bAddrs).toHaveLength(1);
    const toB = await probeFrom(a, bAddrs[0]!.ip, 8080);
    expect(toB.connected, `${JSON.stringify(aAddrs)} -> ${JSON.stringify(bAddrs)}: ${JSON.stringify(toB)}`).toBe(false);
    for (const x of aAddrs) {
      const toA = await probeFrom(b, x.ip, 8080);
      expect(toA.connected, `${JSON.stringify(bAddrs)} -> ${JSON.stringify(x)}: ${JSON.stringify(toA)}`).toBe(false);
    }
    // Each endpoint has a network of its own.
    expect(new Set(aAddrs.map((x) => x.network)).size).toBe(1);
    expect(aAddrs[0]!.network).not.toBe(bAddrs[0]!.network);
    expect(aAddrs[0]!.network).not.toBe('bridge');
  });

  it("still refuses them when Docker's own inter-network rules for the bridge are gone (as docker/cli#5646 loses them)", async () => {
    const [[aAddr], [bAddr]] = await Promise.all([addressesOf(a), addressesOf(b)]);
    const bridgeOf = async (network: string) => docker('network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', network);
    const bridges = await Promise.all([bridgeOf(aAddr!.network), bridgeOf(bAddr!.network)]);
    for (const br of bridges) expect(br).toMatch(/^slw[0-9a-f]{12}$/);
    // Both ways: the replies of a connection meet the other bridge's rule.
    const dockerRules = bridges.map((br) => ['DOCKER-ISOLATION-STAGE-2', '-o', br, '-j', 'DROP']);
    for (const r of dockerRules) await exec('iptables', ['-w', '10', '-D', ...r]);
    try {
      const p = await probeFrom(a, bAddr!.ip, 8080);
      expect(p.connected, JSON.stringify(p)).toBe(false);
    } finally {
      for (const r of dockerRules) await exec('iptables', ['-w', '10', '-I', ...r]);
    }
  });

  it('keeps the instances of one endpoint together: they share a network, reach each other and both serve', async () => {
    const addrs = await addressesOf(a);
    expect(addrs).toHaveLength(2);
    for (const x of addrs) expect(await probeFrom(a, x.ip, 8080)).toMatchObject({ connected: true });
    const d = await sm.send(new DescribeEndpointCommand({ EndpointName: a }));
    expect(d.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 2, DesiredInstanceCount: 2 });
  });

  it("keeps endpoint containers from the host's services on 0.0.0.0 and from Slipway's own port", async () => {
    const [{ gateway }] = await addressesOf(b);
    for (const host of [gateway!, docker0]) {
      for (const port of [hostPort, server.port]) {
        const p = await probeFrom(b, host, port);
        expect(p.connected, `${host}:${port} ${JSON.stringify(p)}`).toBe(false);
      }
    }
  });

  it('lets endpoint containers reach an address beyond the host, and an isolated one not', async () => {
    expect(await probeFrom(b, outside.address, outside.port)).toEqual({ connected: true, received: 'hi' });
    expect((await probeFrom(iso, outside.address, outside.port)).connected).toBe(false);
  });
});

describe('training jobs', () => {
  async function train(count: number, targets: string[], on: SlipwayServer = server): Promise<Record<string, Probe>> {
    const { sm: tsm, s3 } = trainingClients(on.url);
    const bucket = await makeBucket(s3);
    const name = rnd('job');
    await createJob(
      tsm,
      baseJob(name, IMAGE, bucket, {
        Environment: { NET_PROBE_TARGETS: targets.join(',') },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: count, VolumeSizeInGB: 1 },
      }),
    );
    const d = await waitFor(tsm, name, { timeoutMs: 150_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    return JSON.parse(files['probe.json']!.toString()) as Record<string, Probe>;
  }

  it("keeps single- and multi-host jobs from the host's services and from endpoints, with their way out intact", async () => {
    await deploy(1).then(async (ep) => {
      const [{ ip: epIp }] = await addressesOf(ep);
      const targets = [`${docker0}:${hostPort}`, `${docker0}:${server.port}`, `${epIp}:8080`, `${outside.address}:${outside.port}`];
      const [single, multi] = await Promise.all([train(1, targets), train(2, targets)]);
      for (const r of [single, multi]) {
        expect(r[`${docker0}:${hostPort}`]!.connected, JSON.stringify(r)).toBe(false);
        expect(r[`${docker0}:${server.port}`]!.connected, JSON.stringify(r)).toBe(false);
        expect(r[`${epIp}:8080`]!.connected, JSON.stringify(r)).toBe(false);
        expect(r[`${outside.address}:${outside.port}`], JSON.stringify(r)).toEqual({ connected: true, received: 'hi' });
      }
    });
  }, 200_000);

  it('lets containers reach the host when the operator opts in, still apart from other resources', async () => {
    const ep = await deploy(1);
    const [{ ip: epIp }] = await addressesOf(ep);
    const optedHome = mkdtempSync(join(tmpdir(), 'slipway-hostaccess-'));
    process.env.SLIPWAY_CONTAINER_HOST_ACCESS = 'allow';
    const opted = await startSlipway({ home: optedHome, port: 0, host: '127.0.0.1' }).finally(() => delete process.env.SLIPWAY_CONTAINER_HOST_ACCESS);
    try {
      const r = await train(1, [`${docker0}:${hostPort}`, `${epIp}:8080`], opted);
      expect(r[`${docker0}:${hostPort}`], JSON.stringify(r)).toEqual({ connected: true, received: 'hi' });
      expect(r[`${epIp}:8080`]!.connected, JSON.stringify(r)).toBe(false);
    } finally {
      await opted.close();
      await removeContainersOf(optedHome);
      rmSync(optedHome, { recursive: true, force: true });
    }
  }, 200_000);
});

/**
 * EnableNetworkIsolation with real Docker: a target TCP server runs in its own container on its
 * own network and on the default bridge, another in this test process on the host (0.0.0.0, an
 * ephemeral port), reached from containers through their bridge gateway, and a third on an
 * "outside" host beyond the host's routing (a network namespace, outside-host.ts). From inside an
 * isolated endpoint (served through Slipway) and an isolated training job, connections to any of
 * them fail; the same probe from a non-isolated endpoint and job reaches the outside host, so the
 * test can fail (non-isolated containers are kept from the host and other containers too:
 * tenant-isolation.int.test.ts). All traffic to the targets comes from containers; the host talks
 * only to 127.0.0.1 and its own namespace. The host's guard is a pair of iptables rules per
 * isolated bridge (runtime/docker/host-firewall.ts), which must be gone once the endpoint is.
 */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateEndpointCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { LABELS } from '../../../src/runtime/container-runtime.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { bridgeNameFor, HostFirewall } from '../../../src/runtime/docker/host-firewall.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseJob, clients as trainingClients, createJob, getBytes, makeBucket, untar, waitFor } from '../training/helpers.js';
import { buildImage, clients, containersOf, createConfig, deleteAllEndpoints, rnd, sleep, variant, waitForStatus } from './helpers.js';
import { createOutsideHost, type OutsideHost } from './outside-host.js';

const execFileAsync = promisify(execFile);
const docker = async (...args: string[]) => (await execFileAsync('docker', args)).stdout.trim();
/** Every rule of the filter chains the host firewall uses, IPv4 and IPv6, as `iptables -S` prints them. */
async function firewallRules(): Promise<string> {
  const out: string[] = [];
  for (const bin of ['iptables', 'ip6tables']) {
    for (const chain of ['INPUT', 'DOCKER-USER', 'FORWARD']) {
      out.push(await execFileAsync(bin, ['-w', '10', '-S', chain]).then((r) => r.stdout, () => ''));
    }
  }
  return out.join('\n');
}

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
/** A listener of this process on every host address; containers reach it through their bridge gateway. */
let hostListener: Server | undefined;
let hostPort: number;
/** The default bridge's gateway: one of the host's addresses. */
let bridgeGateway: string;
/** An address beyond the host, where non-isolated containers may go (the internet, for this test). */
let outside: OutsideHost;

function interfaceIpv4(name: string): string | undefined {
  return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}

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
  const listener = createServer((sock) => sock.on('error', () => undefined).end('hi'));
  hostListener = listener;
  await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
  hostPort = (listener.address() as AddressInfo).port;
  // Debian's engine (20.10) leaves Gateway out of the default bridge's IPAM config: then the
  // gateway is the address of the bridge interface the network names.
  bridgeGateway = await docker('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge');
  if (!bridgeGateway) {
    const iface = (await docker('network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'bridge')) || 'docker0';
    bridgeGateway = interfaceIpv4(iface) ?? '';
  }
  expect(bridgeGateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  outside = await createOutsideHost();
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
  await new Promise((resolve) => (hostListener ? hostListener.close(resolve) : resolve(undefined)));
  await outside?.remove();
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

async function probeFrom(endpoint: string, host: string, port = PORT): Promise<Probe> {
  const r = await rt.send(
    new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: JSON.stringify({ host, port, timeout: 3 }) }),
  );
  return JSON.parse(Buffer.from(r.Body!).toString()) as Probe;
}

describe('EnableNetworkIsolation on endpoints', () => {
  let isolated: string;
  let open: string;

  beforeAll(async () => {
    [isolated, open] = await Promise.all([deploy(true), deploy(false)]);
  }, 180_000);

  /** The isolated instance's only network, as `docker network inspect` shows it. */
  async function isolatedNetwork(): Promise<{ name: string; id: string; gateway: string; bridge: string }> {
    const [cid] = await containersOf(server.home, isolated);
    const nets = Object.keys(JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', cid!)) as object);
    expect(nets).toHaveLength(1);
    const info = JSON.parse(await docker('network', 'inspect', '-f', '{{json .}}', nets[0]!)) as {
      Id: string;
      IPAM: { Config: { Gateway: string }[] };
      Options: Record<string, string>;
    };
    return { name: nets[0]!, id: info.Id, gateway: info.IPAM.Config[0]!.Gateway, bridge: info.Options['com.docker.network.bridge.name']! };
  }

  it('lets a non-isolated endpoint reach an address beyond the host (the control)', async () => {
    expect(await probeFrom(open, outside.address, outside.port)).toEqual({ connected: true, received: 'hi' });
  });

  it('keeps an isolated endpoint from every address beyond the host', async () => {
    const p = await probeFrom(isolated, outside.address, outside.port);
    expect(p.connected, JSON.stringify(p)).toBe(false);
  });

  it("keeps an isolated endpoint's container from connecting to the host, while Slipway still reaches it", async () => {
    const net = await isolatedNetwork();
    expect(net.gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // Its own gateway and any other host address (docker0's) are both the host: neither answers.
    const [own, other] = await Promise.all([probeFrom(isolated, net.gateway, hostPort), probeFrom(isolated, bridgeGateway, hostPort)]);
    // Answered at all: the invocations went through the published port past the guard.
    expect(own.connected, JSON.stringify(own)).toBe(false);
    expect(other.connected, JSON.stringify(other)).toBe(false);
    // The guard is there, named after the network and its bridge.
    expect(net.bridge).toMatch(/^slw[0-9a-f]{12}$/);
    const rules = (await firewallRules()).split('\n').filter((l) => l.includes(`slipway-isolation:${net.name}:${net.id.slice(0, 12)}`));
    expect(rules.some((l) => l.startsWith('-A INPUT ') && l.includes(`-i ${net.bridge} `) && l.endsWith('-j DROP')), rules.join('\n')).toBe(true);
    expect(rules.some((l) => /^-A (DOCKER-USER|FORWARD) /.test(l) && l.includes(`-i ${net.bridge} ! -o ${net.bridge} `)), rules.join('\n')).toBe(true);
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
    // The non-isolated endpoint has a bridge of its own too, with outbound NAT, guarded from the host only.
    const [openCid] = await containersOf(server.home, open);
    const openNets = Object.keys(JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', openCid!)) as object);
    expect(openNets).toEqual([expect.stringMatching(new RegExp(`^slipway-ep-${open}-net-[0-9a-f]{8}$`))]);
    const openInfo = JSON.parse(await docker('network', 'inspect', '-f', '{{json .}}', openNets[0]!)) as { Labels: Record<string, string>; Options: Record<string, string> };
    expect(openInfo.Options['com.docker.network.bridge.enable_ip_masquerade']).toBeUndefined();
    expect(openInfo.Labels['slipway.host-access']).toBe('none');
  });

  it('removes the isolated network and its firewall rules with the endpoint', async () => {
    const { name: net } = await isolatedNetwork();
    expect(await firewallRules()).toContain(`slipway-isolation:${net}:`);
    await sm.send(new DeleteEndpointCommand({ EndpointName: isolated }));
    const deadline = Date.now() + 90_000;
    const exists = () => docker('network', 'inspect', net).then(() => true, () => false);
    while (await exists()) {
      if (Date.now() > deadline) throw new Error(`network ${net} still there`);
      await sleep(250);
    }
    expect(await containersOf(server.home, isolated)).toEqual([]);
    // The rules go right after the network.
    while ((await firewallRules()).includes(`slipway-isolation:${net}:`)) {
      if (Date.now() > deadline) throw new Error(`firewall rules of ${net} still there:\n${await firewallRules()}`);
      await sleep(250);
    }
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
        Environment: { NET_PROBE_TARGETS: `${targetBridgeIp}:${PORT},${targetOwnIp}:${PORT},${bridgeGateway}:${hostPort},${outside.address}:${outside.port}` },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: count, VolumeSizeInGB: 1 },
      }),
    );
    const d = await waitFor(tsm, name, { timeoutMs: 150_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    return JSON.parse(files['probe.json']!.toString()) as Record<string, Probe>;
  }

  it('keeps isolated single- and multi-host jobs away from other containers, the host and beyond; a normal job goes out', async () => {
    const [open, single, multi] = await Promise.all([train(false, 1), train(true, 1), train(true, 2)]);
    expect(open[`${outside.address}:${outside.port}`]).toEqual({ connected: true, received: 'hi' });
    for (const r of [single, multi]) {
      expect(r[`${outside.address}:${outside.port}`]!.connected).toBe(false);
      expect(r[`${targetBridgeIp}:${PORT}`]!.connected).toBe(false);
      expect(r[`${targetOwnIp}:${PORT}`]!.connected).toBe(false);
      // The multi-host job's internal network has its gateway on the host too; the host guards it.
      expect(r[`${bridgeGateway}:${hostPort}`]!.connected).toBe(false);
    }
  }, 200_000);
});

describe('host firewall of isolated networks across a restart', () => {
  it('re-installs lost rules of existing networks and sweeps rules of networks that are gone', async () => {
    const net = `slipway-nettest-restart-${id}`;
    const labels = { [LABELS.managed]: 'true', 'slipway.nettest': id };
    const before = new DockerRuntime();
    const netId = await before.createNetwork(net, labels, { outbound: false, interContainer: false });
    try {
      const bridge = bridgeNameFor(net);
      const fw = new HostFirewall();
      // Which incarnations (network ids) have rules, and in which chains. Sets: another Slipway on
      // this host adopting the network at the same moment may add a duplicate.
      const ours = async () => {
        const rules = (await fw.listTagged()).filter((r) => r.network === net);
        return { ids: [...new Set(rules.map((r) => r.networkId))], chains: [...new Set(rules.map((r) => r.chain))].sort() };
      };
      expect(await ours()).toEqual({ ids: [netId.slice(0, 12)], chains: ['DOCKER-USER', 'INPUT'] });
      // While Slipway is down: the rules are lost (a firewall reload), and an earlier network of the
      // same name, removed meanwhile, left its rules on the same bridge.
      await fw.release(net);
      await fw.isolate({ name: net, id: '000000000000feed' }, bridge);
      // (Another server starting meanwhile may already have put the real rules back: every
      // runtime re-installs those of all Slipway networks on this host at its first network call.)
      expect((await ours()).ids).toContain('000000000000');
      // The first network call of a new runtime puts things right.
      const after = new DockerRuntime();
      expect(await after.listNetworks(labels)).toEqual([{ id: netId, name: net }]);
      expect(await ours()).toEqual({ ids: [netId.slice(0, 12)], chains: ['DOCKER-USER', 'INPUT'] });
      await after.removeNetwork(net);
      expect(await ours()).toEqual({ ids: [], chains: [] });
    } finally {
      await docker('network', 'rm', net).catch(() => undefined);
    }
  }, 60_000);
});

/**
 * When the host cannot enforce EnableNetworkIsolation (its firewall refuses, as without root), an
 * isolated endpoint fails with a FailureReason saying so — it is never served unisolated and never
 * retried forever — and no network is left behind. The same holds for the guard that keeps every
 * other container from the host's own services: the endpoint fails and names the opt-out. Real
 * Docker and server; only the host firewall's iptables runner answers "Permission denied", as
 * iptables does for a non-root user.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreateEndpointCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { HostFirewall } from '../../../src/runtime/docker/host-firewall.js';
import { startSlipway, type SlipwayServer } from '../../../src/server/app.js';
import { removeContainersOf } from '../../helpers/server.js';
import { MODEL_SERVER_IMAGE, buildModelServer, clients, createConfig, rnd, variant, waitForStatus } from './helpers.js';

const exec = promisify(execFile);
let server: SlipwayServer;
let home: string;

beforeAll(async () => {
  await buildModelServer();
  home = mkdtempSync(join(tmpdir(), 'slipway-noiso-'));
  const denied = new HostFirewall({
    run: async () => ({ code: 4, stdout: '', stderr: 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)' }),
  });
  server = await startSlipway({ home, port: 0, host: '127.0.0.1', runtime: new DockerRuntime({ firewall: denied }) });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await removeContainersOf(home);
  rmSync(home, { recursive: true, force: true });
});

it('fails an isolated endpoint with a clear reason instead of serving it unisolated', async () => {
  const { sm } = clients(server.url);
  const model = rnd('m');
  const config = rnd('c');
  const endpoint = rnd('iso');
  await sm.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/x', PrimaryContainer: { Image: MODEL_SERVER_IMAGE }, EnableNetworkIsolation: true }));
  await createConfig(sm, config, [variant('AllTraffic', model)]);
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(sm, endpoint, ['Failed']).catch(() => undefined);
  const d = await sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
  expect(d.EndpointStatus).toBe('Failed');
  expect(d.FailureReason).toMatch(/EnableNetworkIsolation could not be enforced on this host: .*Permission denied/);
  const { stdout } = await exec('docker', ['network', 'ls', '-q', '--filter', `label=slipway.home=${home}`]);
  expect(stdout.trim()).toBe('');
  const { stdout: containers } = await exec('docker', ['ps', '-aq', '--filter', `label=slipway.home=${home}`]);
  expect(containers.trim()).toBe('');
}, 120_000);

it('fails a non-isolated endpoint rather than let its containers reach the host, naming the opt-in', async () => {
  const { sm } = clients(server.url);
  const model = rnd('m');
  const config = rnd('c');
  const endpoint = rnd('open');
  await sm.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/x', PrimaryContainer: { Image: MODEL_SERVER_IMAGE } }));
  await createConfig(sm, config, [variant('AllTraffic', model)]);
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(sm, endpoint, ['Failed']).catch(() => undefined);
  const d = await sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
  expect(d.EndpointStatus).toBe('Failed');
  expect(d.FailureReason).toMatch(/kept away from this host's own services: .*Permission denied.*SLIPWAY_CONTAINER_HOST_ACCESS=allow/);
  const { stdout } = await exec('docker', ['network', 'ls', '-q', '--filter', `label=slipway.home=${home}`]);
  expect(stdout.trim()).toBe('');
}, 120_000);

/**
 * Hosting acceptance 6: Slipway killed with SIGKILL under load and started again on the same home
 * adopts the running containers by label, rebuilds its routes and serves again within 2 s; the
 * same endpoints and containers are there. Also an orderly in-process restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEndpointCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { removeContainersOf, startTestServer } from '../../helpers/server.js';
import { buildModelServer, clients, containersOf, createConfig, createModel, deleteAllEndpoints, rnd, sleep, variant, waitForStatus } from './helpers.js';

let home: string;
let proc: ServerProcess | undefined;

beforeAll(async () => {
  await buildModelServer();
  home = mkdtempSync(join(tmpdir(), 'slipway-restart-'));
});

afterAll(async () => {
  if (proc) {
    await deleteAllEndpoints(clients(proc.url).sm, home).catch(() => undefined);
    await proc.stop();
  }
  await removeContainersOf(home);
  rmSync(home, { recursive: true, force: true });
});

async function invokeOnce(url: string, endpoint: string): Promise<string> {
  const r = await clients(url).rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('{}'), ContentType: 'application/json' }));
  return JSON.parse(Buffer.from(r.Body!).toString()).instance as string;
}

describe('restarts', () => {
  it('keeps endpoints serving across kill -9 of the server: containers adopted, invocations resume within 2 s', async () => {
    proc = await startServerProcess(home);
    const { sm } = clients(proc.url);
    const m = rnd('m');
    const cfg = rnd('c');
    const endpoint = rnd('restart');
    await createModel(sm, m, { env: { FIXTURE_QUIET: '1' } });
    await createConfig(sm, cfg, [variant('AllTraffic', m, 2)]);
    await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg }));
    await waitForStatus(sm, endpoint, ['InService']);
    const before = (await containersOf(home, endpoint)).sort();

    // Load, then SIGKILL mid-flight.
    let running = true;
    let ok = 0;
    const loop = (async () => {
      while (running) {
        await invokeOnce(proc!.url, endpoint).then(() => ok++, () => undefined);
      }
    })();
    await sleep(500);
    const port = proc.port;
    await proc.kill9();
    const okBefore = ok;
    proc = await startServerProcess(home, port);
    const upAt = Date.now();
    // First successful invocation after the server answers health.
    let firstOk: number | undefined;
    while (Date.now() - upAt < 10_000) {
      try {
        await invokeOnce(proc.url, endpoint);
        firstOk = Date.now();
        break;
      } catch {
        await sleep(50);
      }
    }
    running = false;
    await loop;
    expect(okBefore).toBeGreaterThan(5);
    expect(firstOk, 'no invocation succeeded after restart').toBeDefined();
    expect(firstOk! - upAt).toBeLessThanOrEqual(2000);

    const d = await clients(proc.url).sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(d.EndpointStatus).toBe('InService');
    expect(d.ProductionVariants![0]!.CurrentInstanceCount).toBe(2);
    expect((await containersOf(home, endpoint)).sort()).toEqual(before);
    // Both adopted instances serve.
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await invokeOnce(proc.url, endpoint));
    expect(seen.size).toBe(2);
  });

  it('adopts containers after an orderly in-process restart and never touches another home', async () => {
    const server = await startTestServer();
    const other = await startTestServer();
    try {
      const { sm } = clients(server.url);
      const m = rnd('m');
      const cfg = rnd('c');
      const endpoint = rnd('orderly');
      await createModel(sm, m, { env: { FIXTURE_QUIET: '1' } });
      await createConfig(sm, cfg, [variant('AllTraffic', m, 1)]);
      await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg }));
      await waitForStatus(sm, endpoint, ['InService']);
      const before = await containersOf(server.home, endpoint);
      const again = await server.restart();
      expect(await invokeOnce(again.url, endpoint)).toBeTruthy();
      expect(await containersOf(again.home, endpoint)).toEqual(before);
      // The other server (another home) did not adopt or remove anything of ours.
      await other.restart().then((o) => o.close());
      expect(await containersOf(again.home, endpoint)).toEqual(before);
      await deleteAllEndpoints(clients(again.url).sm, again.home);
      await again.cleanup();
    } finally {
      await other.cleanup();
      await server.cleanup().catch(() => undefined);
    }
  });
});

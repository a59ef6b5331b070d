/**
 * Hosting acceptance 4 and 5: blue/green UpdateEndpoint under continuous load with zero failed
 * calls, rollback to the old config when the new fleet never gets healthy, replacement of a
 * killed instance while the endpoint stays InService, and DeleteEndpoint with boto3's waiter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEndpointCommand, DescribeEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, testRuntimeOf, type TestServer } from '../../helpers/server.js';
import { buildModelServer, clients, containersOf, createConfig, createModel, deleteAllEndpoints, python, rnd, sleep, variant, waitForStatus } from './helpers.js';

let server: TestServer;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  await buildModelServer();
  server = await startTestServer();
  c = clients(server.url);
});

afterAll(async () => {
  if (!server) return;
  await deleteAllEndpoints(c.sm, server.home);
  await server.cleanup();
});

/** Invokes in `workers` parallel loops until stopped; records every outcome. */
function load(endpoint: string, workers = 4) {
  let running = true;
  const results: { ok: boolean; model?: string; error?: string; at: number }[] = [];
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const r = await c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('{}'), ContentType: 'application/json' }));
        const body = JSON.parse(Buffer.from(r.Body!).toString());
        results.push({ ok: true, model: body.env.ECHO_MODEL, at: Date.now() });
      } catch (err) {
        results.push({ ok: false, error: `${(err as Error).name}: ${(err as Error).message}`, at: Date.now() });
      }
    }
  });
  return {
    results,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

async function endpointWith(models: Record<string, string>, count = 1) {
  const configs: Record<string, string> = {};
  for (const [key, env] of Object.entries(models)) {
    const m = rnd(`m${key}`);
    await createModel(c.sm, m, { env: { ECHO_MODEL: key, FIXTURE_QUIET: '1', ...(env ? { FIXTURE_MODE: env } : {}) } });
    configs[key] = rnd(`c${key}`);
    await createConfig(c.sm, configs[key], [variant('AllTraffic', m, count)]);
  }
  return configs;
}

describe('endpoint lifecycle', () => {
  it('updates blue/green under continuous load with zero failed calls, then rolls back a fleet that never gets healthy', async () => {
    const cfg = await endpointWith({ v1: '', v2: '', bad: 'crash' });
    const endpoint = rnd('bg');
    await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg.v1 }));
    await waitForStatus(c.sm, endpoint, ['InService']);
    const v1Containers = await containersOf(server.home, endpoint);

    const l = load(endpoint);
    await sleep(500);
    await c.sm.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg.v2 }));
    const during = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(during.EndpointStatus).toBe('Updating');
    const d = await waitForStatus(c.sm, endpoint, ['InService']);
    expect(d.EndpointConfigName).toBe(cfg.v2);
    expect(d.FailureReason).toBeUndefined();
    // Traffic reaches the new fleet, and the old containers go away.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await containersOf(server.home, endpoint)).some((id) => v1Containers.includes(id))) await sleep(250);
    await sleep(500);
    const results = await l.stop();
    const failed = results.filter((r) => !r.ok);
    expect(failed, JSON.stringify(failed.slice(0, 3))).toHaveLength(0);
    expect(results.length).toBeGreaterThan(50);
    expect(results.at(-1)!.model).toBe('v2');
    expect(results.some((r) => r.model === 'v1')).toBe(true);
    expect((await containersOf(server.home, endpoint)).some((id) => v1Containers.includes(id))).toBe(false);

    // Now a config whose container exits at start: the endpoint stays on v2.
    const l2 = load(endpoint, 2);
    await c.sm.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg.bad }));
    let after = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    const until = Date.now() + 60_000;
    while (after.EndpointStatus === 'Updating' && Date.now() < until) {
      await sleep(250);
      after = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    }
    const r2 = await l2.stop();
    expect(after.EndpointStatus).toBe('InService');
    expect(after.EndpointConfigName).toBe(cfg.v2);
    expect(after.FailureReason).toMatch(/did not pass the ping health check/);
    expect(after.FailureReason).toMatch(/fatal: could not load the model/);
    expect(r2.filter((r) => !r.ok)).toHaveLength(0);
    expect(r2.every((r) => r.model === 'v2')).toBe(true);
    const again = await c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('{}'), ContentType: 'application/json' }));
    expect(JSON.parse(Buffer.from(again.Body!).toString()).env.ECHO_MODEL).toBe('v2');
  });

  it('replaces a killed instance while staying InService; only calls in flight on it fail', async () => {
    const cfg = await endpointWith({ k: '' }, 2);
    const endpoint = rnd('kill');
    await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg.k }));
    await waitForStatus(c.sm, endpoint, ['InService']);
    const before = await containersOf(server.home, endpoint);
    expect(before).toHaveLength(2);

    const workers = 4;
    const l = load(endpoint, workers);
    await sleep(1000);
    await (await testRuntimeOf()).killContainer(before[0]!, 'SIGKILL');
    // A replacement appears and the endpoint never leaves InService.
    const deadline = Date.now() + 60_000;
    let statuses = new Set<string>();
    for (;;) {
      const d = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
      statuses.add(d.EndpointStatus!);
      const now = await containersOf(server.home, endpoint);
      if (d.ProductionVariants![0]!.CurrentInstanceCount === 2 && !now.includes(before[0]!) && now.length === 2) break;
      if (Date.now() > deadline) throw new Error(`no replacement: ${JSON.stringify(d.ProductionVariants)} ${now}`);
      await sleep(250);
    }
    await sleep(1000);
    const results = await l.stop();
    expect([...statuses]).toEqual(['InService']);
    const failed = results.filter((r) => !r.ok);
    expect(failed.length, JSON.stringify(failed.slice(0, 5))).toBeLessThanOrEqual(workers);
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(50);
  });

  it('deletes an endpoint (boto3 endpoint_deleted waiter) and removes its containers', async () => {
    const cfg = await endpointWith({ d: '' });
    const endpoint = rnd('del');
    await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg.d }));
    await waitForStatus(c.sm, endpoint, ['InService']);
    const out = await python(
      server.url,
      `
import boto3, json
sm = boto3.client('sagemaker')
sm.delete_endpoint(EndpointName='${endpoint}')
sm.get_waiter('endpoint_deleted').wait(EndpointName='${endpoint}', WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
try:
    sm.describe_endpoint(EndpointName='${endpoint}')
except sm.exceptions.ClientError as e:
    print(json.dumps({"code": e.response["Error"]["Code"], "msg": e.response["Error"]["Message"]}))
`,
    );
    const r = JSON.parse(out);
    expect(r.code).toBe('ValidationException');
    expect(r.msg).toBe(`Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/${endpoint}".`);
    expect(await containersOf(server.home, endpoint)).toHaveLength(0);
  });
});

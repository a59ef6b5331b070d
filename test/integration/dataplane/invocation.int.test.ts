/**
 * The data plane's proxy paths that the Docker suites (test/integration/hosting) do not reach:
 * large and unsized responses relayed in pieces, a caller hanging up on a slow model, and a
 * refused instance retried on another. Real HTTP on both sides: node:http servers stand in for
 * the containers, the data plane handler is served by a node:http server as in Slipway.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntimeSurface, type RuntimeSurface } from '../../../src/dataplane/index.js';
import { RoutingTable } from '../../../src/dataplane/routing-table.js';
import { newRequestContext } from '../../../src/protocol/context.js';
import { openDatabase } from '../../../src/storage/sqlite/database.js';
import { SqliteSql } from '../../../src/storage/sql/sqlite-sql.js';
import { MetricStore } from '../../../src/metrics/metric-store.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import type { SlipwayConfig } from '../../../src/platform/config.js';
import type { ResourceStore } from '../../../src/storage/resource-store.js';

type Model = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function post(port: number, path: string, body: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('data plane proxy', () => {
  let db: SqliteSql;
  let store: MetricStore;
  let metrics: Metrics;
  let surface: RuntimeSurface;
  let table: RoutingTable;
  let front: Server;
  let frontPort: number;
  const models: Server[] = [];
  const name = `ep-${Math.random().toString(36).slice(2, 8)}`;

  beforeEach(async () => {
    db = new SqliteSql(openDatabase(':memory:'));
    store = new MetricStore(db);
    metrics = new Metrics(store);
    const resources = {} as ResourceStore;
    table = new RoutingTable();
    surface = await createRuntimeSurface({ config: { region: 'us-east-1', corsOrigins: [], serverless: { idleSeconds: 300, coldStartTimeoutSeconds: 60 } } as unknown as SlipwayConfig, resources, routes: table, metrics });
    ({ server: front, port: frontPort } = await listen((req, res) => {
      void surface.surface.handle(req, res, newRequestContext(), new URL(req.url ?? '/', 'http://localhost'));
    }));
  });

  afterEach(async () => {
    front.closeAllConnections();
    await new Promise((r) => front.close(r));
    await surface.stop();
    for (const m of models.splice(0)) {
      m.closeAllConnections();
      await new Promise((r) => m.close(r));
    }
    await db.close();
  });

  async function deploy(...handlers: (Model | 'refused')[]): Promise<void> {
    const instances = [];
    for (const [i, h] of handlers.entries()) {
      let port: number;
      if (h === 'refused') {
        // A port that was just free: nothing listens, connections are refused.
        const { server, port: p } = await listen(() => undefined);
        await new Promise((r) => server.close(r));
        port = p;
      } else {
        const m = await listen(h);
        models.push(m.server);
        port = m.port;
      }
      instances.push({ instanceId: `i-${i}`, variant: 'AllTraffic', origin: `http://127.0.0.1:${port}`, logStream: `AllTraffic/i-${i}` });
    }
    table.publish({ name, arn: `arn:aws:sagemaker:us-east-1:000000000000:endpoint/${name}`, variants: [{ name: 'AllTraffic', weight: 1, instances }] });
  }

  const invocations = async () => (await store.buckets({ namespace: 'AWS/SageMaker', metric: 'Invocations', dimensions: { EndpointName: name, VariantName: 'AllTraffic' } }, 0, Date.now() + 60_000)).reduce((n, b) => n + b.sampleCount, 0);

  it('relays a response larger than the coalescing limit byte for byte, with its length', async () => {
    const big = Buffer.alloc(300 * 1024, 'xyz');
    await deploy((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length, 'x-amzn-sagemaker-custom-attributes': 'c=1' });
        res.end(big);
      });
    });
    const r = await post(frontPort, `/endpoints/${name}/invocations`, '{}');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(big.length));
    expect(r.headers['x-amzn-sagemaker-custom-attributes']).toBe('c=1');
    expect(r.body.equals(big)).toBe(true);
  });

  it('relays an unsized (chunked) response as it comes', async () => {
    await deploy((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part-1;');
      setTimeout(() => res.end('part-2'), 50);
    });
    const r = await post(frontPort, `/endpoints/${name}/invocations`, '{}');
    expect(r.status).toBe(200);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.headers['content-type']).toBe('text/plain');
    expect(r.body.toString()).toBe('part-1;part-2');
    expect(await invocations()).toBe(1);
  });

  it('cancels the container request when the caller hangs up, frees the instance and counts no invocation', async () => {
    let modelSawClose = false;
    await deploy((req, res) => {
      req.resume();
      res.on('close', () => {
        modelSawClose = true;
      });
    });
    const caller = request({ host: '127.0.0.1', port: frontPort, path: `/endpoints/${name}/invocations`, method: 'POST', headers: { 'content-length': 2 } });
    caller.on('error', () => undefined);
    caller.end('{}');
    const inst = table.lookup(name)!.variants[0]!.instances[0]!;
    await until(() => inst.outstanding === 1);
    caller.destroy();
    await until(() => modelSawClose && inst.outstanding === 0);
    expect(await invocations()).toBe(0);
  });

  it('retries a refused instance on another one and marks it broken', async () => {
    await deploy('refused', (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}'));
    });
    const [refused, healthy] = table.lookup(name)!.variants[0]!.instances;
    const r = await post(frontPort, `/endpoints/${name}/invocations`, '{"x":1}');
    expect(r.status).toBe(200);
    expect(refused!.broken).toBe(true);
    expect(healthy!.outstanding).toBe(0);
    expect(refused!.outstanding).toBe(0);
    expect(await invocations()).toBe(1);
  });

  it('turns a container error into ModelError with the container status and body', async () => {
    await deploy((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(418, { 'content-type': 'text/plain' }).end('short and stout'));
    });
    const r = await post(frontPort, `/endpoints/${name}/invocations`, '{}');
    expect(r.status).toBe(424);
    expect(r.headers['x-amzn-errortype']).toBe('ModelError');
    expect(JSON.parse(r.body.toString())).toMatchObject({ OriginalStatusCode: 418, OriginalMessage: 'short and stout', LogStreamArn: expect.stringContaining(`:log-stream:AllTraffic/i-0`) });
  });
});

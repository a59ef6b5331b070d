/**
 * @module test/cluster/swarm-hosting.cluster.test — an endpoint on a real three-node Swarm
 * (test/helpers/cluster) through Slipway with SLIPWAY_RUNTIME=swarm and the JS SDK: model data
 * staged per instance on the node the scheduler chose, 8080 published in host mode and reached at
 * the node's address, the data plane using instances on several nodes; a worker's engine stopped
 * → its instances replaced on the other nodes while the endpoint stays InService. Gated by
 * SLIPWAY_CLUSTER_TESTS=1; the helper runs cluster files one after another.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as tarCreate } from 'tar';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, type ContainerInfo } from '../../src/runtime/container-runtime.js';
import { BASE_IMAGE } from '../integration/runtime/test-image.js';
import { CLUSTER_TESTS_ENABLED, type Cluster } from '../helpers/cluster/swarm-cluster.js';
import { swarmWithServeImage, type SlipwayOnSwarm } from '../helpers/cluster/slipway-on-swarm.js';
import { clients } from '../helpers/clients.js';
import { until } from '../helpers/poll.js';
import { makeBucket, putText, uniq } from '../integration/training/helpers.js';

const SERVE_IMAGE = 'slipway-test/swarm-serve:1';
/** `serve`: answers /ping, and each invocation with its container's name and the staged model. */
const SERVE = `#!/usr/bin/env python3
import http.server, json, socket
model = open('/opt/ml/model/weights.txt').read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, body):
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.reply(b'{}')
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.reply(json.dumps({'container': socket.gethostname(), 'model': model}).encode())
print('serving', flush=True)
http.server.ThreadingHTTPServer(('0.0.0.0', 8080), H).serve_forever()
`;

describe.skipIf(!CLUSTER_TESTS_ENABLED)('an endpoint on a three-node Swarm (SLIPWAY_RUNTIME=swarm)', () => {
  let cluster: Cluster;
  let slipway: SlipwayOnSwarm;

  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ cluster, slipway, stop } = await swarmWithServeImage(BASE_IMAGE, SERVE_IMAGE, SERVE, 1));
  }, 900_000);

  afterAll(async () => {
    await stop?.();
  }, 180_000);

  it('serves from instances on several nodes and replaces the instances of a stopped worker', async () => {
    const { sm, rt, s3 } = clients(slipway.url);
    const bucket = await makeBucket(s3);
    const dir = mkdtempSync(join(tmpdir(), 'swarm-model-'));
    try {
      writeFileSync(join(dir, 'weights.txt'), 'w=42');
      await tarCreate({ gzip: true, cwd: dir, file: join(dir, 'model.tar.gz') }, ['weights.txt']);
      await putText(s3, bucket, 'model/model.tar.gz', readFileSync(join(dir, 'model.tar.gz')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const name = uniq('swarm-ep');
    await sm.send(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: 'arn:aws:iam::123456789012:role/R', PrimaryContainer: { Image: SERVE_IMAGE, ModelDataUrl: `s3://${bucket}/model/model.tar.gz` } }));
    await sm.send(new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: 3, InstanceType: 'ml.m5.large' }],
    }));
    const t0 = Date.now();
    await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    const status = async () => (await sm.send(new DescribeEndpointCommand({ EndpointName: name }))).EndpointStatus;
    await until('InService', async () => (await status()) === 'InService', { timeoutMs: 300_000, everyMs: 500 });
    console.log(`3-instance swarm endpoint InService after ${Date.now() - t0} ms`);

    const running = async (): Promise<ContainerInfo[]> => slipway.swarm.listContainers({ [LABELS.name]: name });
    const invoke = async () => {
      const r = await rt.send(new InvokeEndpointCommand({ EndpointName: name, Body: Buffer.from('{}'), ContentType: 'application/json' }));
      return JSON.parse(Buffer.from(r.Body!).toString()) as { container: string; model: string };
    };
    const before = await running();
    expect(before).toHaveLength(3);
    const nodes = new Set(before.map((c) => c.node));
    expect(nodes.size).toBeGreaterThanOrEqual(2);
    // Every instance answers, each with the model staged on its own node.
    const seen = new Map<string, number>();
    for (let i = 0; i < 60 && seen.size < 3; i++) {
      const r = await invoke();
      expect(r.model).toBe('w=42');
      seen.set(r.container, (seen.get(r.container) ?? 0) + 1);
    }
    expect(seen.size).toBe(3);

    // A worker with an instance goes away.
    const victim = cluster.nodes.find((n) => n.role === 'worker' && before.some((c) => c.node === n.name))!;
    const t1 = Date.now();
    cluster.stopNode(victim.index);
    let failed = 0;
    const after = await until(
      `three instances off ${victim.name}, serving`,
      async () => {
        expect(await status()).toBe('InService');
        try {
          await invoke();
        } catch {
          failed++;
          return false;
        }
        const now = await running();
        return now.length === 3 && now.every((c) => c.node !== victim.name && c.running) && now;
      },
      { timeoutMs: 240_000, everyMs: 500 },
    );
    console.log(`instances of a stopped worker replaced after ${Date.now() - t1} ms (${failed} failed invocations meanwhile)`);
    expect(after.map((c) => c.node)).not.toContain(victim.name);
    // A replacement joins the route once its ping answers: then three containers answer again.
    const fresh = new Set<string>();
    await until(
      'three instances answering',
      async () => {
        const r = await invoke();
        expect(r.model).toBe('w=42');
        fresh.add(r.container);
        return fresh.size === 3;
      },
      { timeoutMs: 120_000, everyMs: 100 },
    );
    expect(await status()).toBe('InService');
  }, 900_000);
});

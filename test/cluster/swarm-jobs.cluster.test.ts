/**
 * @module test/cluster/swarm-jobs.cluster.test — processing and transform jobs on a real three-node
 * Swarm (test/helpers/cluster) through Slipway with SLIPWAY_RUNTIME=swarm and the JS SDK (issue 15,
 * acceptance 4): a two-instance processing job with ShardedByS3Key input runs one instance per
 * node, each sees its share and the processing config files, and its outputs are uploaded from the
 * nodes; a failing host's message becomes FailureReason, its outputs still uploaded (Pipe inputs:
 * swarm-pipe.cluster.test.ts); a two-instance transform job stages the model per instance, streams every object
 * through the instances' published ports and writes the `.out` objects. Gated by
 * SLIPWAY_CLUSTER_TESTS=1; the helper runs cluster files one after another.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as tarCreate } from 'tar';
import { GetLogEventsCommand, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateModelCommand,
  CreateProcessingJobCommand,
  CreateTransformJobCommand,
  DescribeProcessingJobCommand,
  DescribeTransformJobCommand,
  type CreateProcessingJobCommandInput,
  type DescribeProcessingJobCommandOutput,
  type DescribeTransformJobCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/runtime/container-runtime.js';
import { BASE_IMAGE } from '../integration/runtime/test-image.js';
import { CLUSTER_TESTS_ENABLED, type Cluster } from '../helpers/cluster/swarm-cluster.js';
import { jobLeftNothing, swarmWithServeImage, type SlipwayOnSwarm } from '../helpers/cluster/slipway-on-swarm.js';
import { clients } from '../helpers/clients.js';
import { until } from '../helpers/poll.js';
import { getBytes, makeBucket, putText, ROLE, uniq } from '../integration/training/helpers.js';

/** Each host: its share of data/, the config files, a peer lookup; an output file per host, a message. */
const PROCESS = String.raw`
import json, os, socket, sys, time
rc = json.load(open('/opt/ml/config/resourceconfig.json'))
pc = json.load(open('/opt/ml/config/processingjobconfig.json'))
me = rc['current_host']
data = sorted(os.listdir('/opt/ml/processing/input/data'))
rows = [open('/opt/ml/processing/input/data/' + f).read().strip() for f in data]
print('processing on ' + me + ': ' + ','.join(data), flush=True)
# Every host's name resolves once its task runs (as SageMaker's toolkits do, wait for it); a
# lookup of a name not there yet takes the node's resolver timeout (10 s), so every host stays
# up long enough for its peers' retries.
deadline = time.time() + 120
peers = {}
for h in rc['hosts']:
    while h not in peers:
        try:
            peers[h] = socket.gethostbyname(h)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
os.makedirs('/opt/ml/processing/output/parts', exist_ok=True)
with open('/opt/ml/processing/output/parts/' + me + '.json', 'w') as f:
    json.dump({'host': me, 'hosts': rc['hosts'], 'files': data, 'rows': rows, 'job': pc['ProcessingJobName'],
               'peers': peers}, f)
open('/opt/ml/processing/summary/' + me + '.txt', 'w').write('summary of ' + me)
open('/opt/ml/output/message', 'w').write(('failed on ' if os.environ.get('FAIL') else 'done ') + me + ';')
if os.environ.get('FAIL'):
    sys.exit(2)
time.sleep(25)
`;

const SERVE_IMAGE = 'slipway-test/swarm-transform:1';
/** `serve`: /ping, and each invocation answered with the staged model's weights and the body upper-cased. */
const SERVE = `#!/usr/bin/env python3
import http.server, socket
model = open('/opt/ml/model/weights.txt').read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, body):
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.reply(b'{}' if self.path == '/ping' else b'')
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.reply((model + '|' + socket.gethostname() + '|').encode() + body.upper())
print('serving', flush=True)
http.server.ThreadingHTTPServer(('0.0.0.0', 8080), H).serve_forever()
`;

describe.skipIf(!CLUSTER_TESTS_ENABLED)('processing and transform jobs on a three-node Swarm (SLIPWAY_RUNTIME=swarm)', () => {
  let cluster: Cluster;
  let slipway: SlipwayOnSwarm;

  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ cluster, slipway, stop } = await swarmWithServeImage(BASE_IMAGE, SERVE_IMAGE, SERVE, 1));
  }, 900_000);

  afterAll(async () => {
    await stop?.();
  }, 180_000);

  function processingJob(name: string, bucket: string, count: number, env: Record<string, string> = {}): CreateProcessingJobCommandInput {
    return {
      ProcessingJobName: name,
      RoleArn: ROLE,
      AppSpecification: { ImageUri: BASE_IMAGE, ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/process.py'] },
      Environment: env,
      // 2 vCPUs: a node of this harness (2 CPUs each) holds one instance at a time.
      ProcessingResources: { ClusterConfig: { InstanceCount: count, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
      ProcessingInputs: [
        { InputName: 'code', S3Input: { S3Uri: `s3://${bucket}/code/`, LocalPath: '/opt/ml/processing/input/code', S3DataType: 'S3Prefix', S3InputMode: 'File' } },
        {
          InputName: 'data',
          S3Input: { S3Uri: `s3://${bucket}/data/`, LocalPath: '/opt/ml/processing/input/data', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'ShardedByS3Key' },
        },
      ],
      ProcessingOutputConfig: {
        Outputs: [
          { OutputName: 'parts', S3Output: { S3Uri: `s3://${bucket}/out/${name}/parts`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } },
          { OutputName: 'summary', S3Output: { S3Uri: `s3://${bucket}/out/${name}/summary`, LocalPath: '/opt/ml/processing/summary', S3UploadMode: 'EndOfJob' } },
        ],
      },
    };
  }

  async function processingSetup() {
    const c = clients(slipway.url);
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/process.py', PROCESS);
    for (let i = 0; i < 4; i++) await putText(c.s3, bucket, `data/part-${i}.csv`, `row ${i}\n`);
    return { c, bucket };
  }

  async function processingDone(c: ReturnType<typeof clients>, name: string, timeoutMs = 240_000): Promise<DescribeProcessingJobCommandOutput> {
    return until(
      `${name} ended`,
      async () => {
        const d = await c.sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
        return ['Completed', 'Failed', 'Stopped'].includes(d.ProcessingJobStatus ?? '') && d;
      },
      { timeoutMs, everyMs: 300 },
    );
  }

  it('runs a two-instance processing job with sharded input, one instance per node, and uploads its outputs from the nodes', async () => {
    const { c, bucket } = await processingSetup();
    const name = uniq('swarm-proc');
    const started = Date.now();
    await c.sm.send(new CreateProcessingJobCommand(processingJob(name, bucket, 2)));
    // While it runs, the two instances' tasks are on two different nodes.
    const nodes = new Set<string>();
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      for (const r of await slipway.swarm.listContainers({ [LABELS.name]: name })) if (r.node) nodes.add(r.node);
      const d = await c.sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
      if (d.ProcessingJobStatus !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const d = await processingDone(c, name);
    expect(d.ProcessingJobStatus, d.FailureReason).toBe('Completed');
    console.log(`two-instance swarm processing job: ${Date.now() - started} ms from create to Completed`);
    expect(nodes.size).toBe(2);
    const parts = await Promise.all(['algo-1', 'algo-2'].map(async (h) => JSON.parse((await getBytes(c.s3, bucket, `out/${name}/parts/parts/${h}.json`)).toString()) as Record<string, unknown>));
    // ShardedByS3Key: every object once, split by key order across the two hosts (index modulo).
    expect(parts[0]!.files).toEqual(['part-0.csv', 'part-2.csv']);
    expect(parts[1]!.files).toEqual(['part-1.csv', 'part-3.csv']);
    expect(parts[0]!.rows).toEqual(['row 0', 'row 2']);
    expect(parts[0]!.hosts).toEqual(['algo-1', 'algo-2']);
    expect(parts[1]!.job).toBe(name);
    // Each host resolves the other on the job's overlay, across nodes, to the address the other has.
    const peers = parts.map((p) => p.peers as Record<string, string>);
    expect(peers[0]!['algo-2']).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(peers[0]).toEqual(peers[1]);
    expect((await getBytes(c.s3, bucket, `out/${name}/summary/algo-2.txt`)).toString()).toBe('summary of algo-2');
    // Inputs are not sent back with the outputs.
    await expect(getBytes(c.s3, bucket, `out/${name}/parts/input/code/process.py`)).rejects.toThrow();
    expect(d.ExitMessage).toContain('done algo-1;');
    expect(d.ExitMessage).toContain('done algo-2;');
    // Each host's container output reached its log stream through the manager.
    const streams = await c.logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/ProcessingJobs', logStreamNamePrefix: `${name}/` }));
    expect(streams.logStreams).toHaveLength(2);
    for (const s of streams.logStreams!) {
      const ev = await c.logs.send(new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/ProcessingJobs', logStreamName: s.logStreamName!, startFromHead: true }));
      expect(ev.events!.map((e) => e.message).join('\n')).toMatch(/processing on algo-[12]: part-/);
    }
    await jobLeftNothing(cluster, slipway.swarm, name);
  }, 600_000);

  it('reads the failing host message from its node into FailureReason and still uploads its outputs', async () => {
    const { c, bucket } = await processingSetup();
    const name = uniq('swarm-proc-fail');
    await c.sm.send(new CreateProcessingJobCommand(processingJob(name, bucket, 1, { FAIL: '1' })));
    const d = await processingDone(c, name);
    expect(d.ProcessingJobStatus).toBe('Failed');
    expect(d.FailureReason).toContain('failed on algo-1;');
    expect(d.ExitMessage).toContain('failed on algo-1;');
    const part = JSON.parse((await getBytes(c.s3, bucket, `out/${name}/parts/parts/algo-1.json`)).toString()) as { files: string[] };
    expect(part.files).toEqual(['part-0.csv', 'part-1.csv', 'part-2.csv', 'part-3.csv']);
    await jobLeftNothing(cluster, slipway.swarm, name);
  }, 300_000);

  it('runs a two-instance transform job: the model staged per instance, every object through the nodes, .out objects written', async () => {
    const { sm, s3 } = clients(slipway.url);
    const bucket = await makeBucket(s3);
    const dir = mkdtempSync(join(tmpdir(), 'swarm-tmodel-'));
    try {
      writeFileSync(join(dir, 'weights.txt'), 'w=7');
      await tarCreate({ gzip: true, cwd: dir, file: join(dir, 'model.tar.gz') }, ['weights.txt']);
      await putText(s3, bucket, 'model/model.tar.gz', readFileSync(join(dir, 'model.tar.gz')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const inputs = ['a.txt', 'b.txt', 'sub/c.txt', 'sub/d.txt'];
    for (const k of inputs) await putText(s3, bucket, `in/${k}`, `hello ${k}`);
    const name = uniq('swarm-tj');
    await sm.send(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: SERVE_IMAGE, ModelDataUrl: `s3://${bucket}/model/model.tar.gz` } }));
    const started = Date.now();
    await sm.send(
      new CreateTransformJobCommand({
        TransformJobName: name,
        ModelName: name,
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/in/` } }, ContentType: 'text/plain' },
        TransformOutput: { S3OutputPath: `s3://${bucket}/out/` },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 2 },
      }),
    );
    const d = await until(
      `${name} ended`,
      async (): Promise<DescribeTransformJobCommandOutput | false> => {
        const r = await sm.send(new DescribeTransformJobCommand({ TransformJobName: name }));
        return ['Completed', 'Failed', 'Stopped'].includes(r.TransformJobStatus ?? '') && r;
      },
      { timeoutMs: 300_000, everyMs: 300 },
    );
    expect(d.TransformJobStatus, d.FailureReason).toBe('Completed');
    console.log(`two-instance swarm transform job: ${Date.now() - started} ms from create to Completed`);
    const answeredBy = new Set<string>();
    for (const k of inputs) {
      const [model, container, body] = (await getBytes(s3, bucket, `out/${k}.out`)).toString().split('|');
      expect(model).toBe('w=7');
      expect(body).toBe(`HELLO ${k.toUpperCase()}`);
      answeredBy.add(container!);
    }
    // Objects are split across the two instances (index modulo), each a container of its own.
    expect(answeredBy.size).toBe(2);
    await jobLeftNothing(cluster, slipway.swarm, name);
  }, 600_000);
});

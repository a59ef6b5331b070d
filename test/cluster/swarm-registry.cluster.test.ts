/**
 * @module test/cluster/swarm-registry.cluster.test — nodes pull from Slipway's registry (issue 15,
 * docs/cluster.md "Images"): an image built on this host and pushed as `build_and_push.sh` does
 * (ECR repository through the aws CLI, `aws ecr get-login-password | docker login`, `docker push`)
 * runs as a two-host training job and a two-instance endpoint on a three-node Swarm whose nodes
 * never held it: each node that runs a task pulls it by digest from the address nodes reach Slipway
 * at, with the short-lived token Slipway hands Swarm (authentication is on). An image only in the
 * manager's engine — another image under the same name on a worker — is refused with the registry
 * to push it to, and nothing is created. Gated by SLIPWAY_CLUSTER_TESTS=1.
 *
 * The image is one static binary FROM scratch (test/fixtures/images/static-byoc, built with Go):
 * no node can hold any of its layers beforehand, and a push takes a second instead of the base
 * image's minute of gzip.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DeleteEndpointCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/runtime/container-runtime.js';
import { BASE_IMAGE } from '../integration/runtime/test-image.js';
import { CLUSTER_TESTS_ENABLED, startCluster, type Cluster, type ClusterNode } from '../helpers/cluster/swarm-cluster.js';
import { startSlipwayOnSwarm, type SlipwayOnSwarm } from '../helpers/cluster/slipway-on-swarm.js';
import { awsEnv } from '../helpers/aws-env.js';
import { clients } from '../helpers/clients.js';
import { until } from '../helpers/poll.js';
import { baseJob, createJob, getBytes, makeBucket, untar, uniq, waitFor } from '../integration/training/helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/images/static-byoc/', import.meta.url));
const ROLE = 'arn:aws:iam::123456789012:role/R';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function must(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const r = await run(cmd, args, env, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.out}`);
  return r.out;
}

describe.skipIf(!CLUSTER_TESTS_ENABLED)("nodes pull from Slipway's registry (SLIPWAY_RUNTIME=swarm)", () => {
  let cluster: Cluster;
  let slipway: SlipwayOnSwarm;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const id = randomBytes(4).toString('hex');
  const repo = `byoc/static-${id}`;
  const localTag = `slipway-test/static-byoc-${id}:v1`;
  let pushed: string;
  let digest: string;
  /** `host:port` nodes pull from: SLIPWAY_ADVERTISE_URL's. */
  let nodeRegistry: string;

  /** Repo digests a node holds for the pushed repository (`docker image ls --digests`). */
  const digestsOn = (node: ClusterNode): string[] =>
    cluster
      .docker(node, ['image', 'ls', '--digests', '--format', '{{.Repository}}@{{.Digest}}'])
      .split('\n')
      .filter((l) => l.includes(repo));

  beforeAll(async () => {
    cluster = await startCluster({ workers: 2, images: [BASE_IMAGE] });
    // Authentication on: nodes get in only with the token Slipway gives Swarm.
    slipway = await startSlipwayOnSwarm(cluster, { credentials: { slipway: 'slipway' } });
    nodeRegistry = `${cluster.hostAddress}:${slipway.server.port}`;
    work = mkdtempSync(join(tmpdir(), 'slipway-swarm-registry-'));
    env = { ...awsEnv(slipway.url), DOCKER_CONFIG: join(work, 'docker-config') };

    // build_and_push.sh: build on this host, create the repository, log in, tag, push.
    const ctx = join(work, 'image');
    execFileSync('mkdir', ['-p', ctx]);
    copyFileSync(join(FIXTURE, 'Dockerfile'), join(ctx, 'Dockerfile'));
    await must('go', ['build', '-trimpath', '-ldflags=-s', '-o', join(ctx, 'byoc'), join(FIXTURE, 'main.go')], { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' });
    await must('docker', ['build', '-q', '--label', `slipway.test.nonce=${id}`, '-t', localTag, ctx], env);
    await must('aws', ['ecr', 'create-repository', '--repository-name', repo], env);
    const password = (await must('aws', ['ecr', 'get-login-password'], env)).trim();
    const host = `127.0.0.1:${slipway.server.port}`;
    expect(await must('docker', ['login', '--username', 'AWS', '--password-stdin', host], env, password)).toContain('Login Succeeded');
    pushed = `${host}/${repo}:v1`;
    await must('docker', ['tag', localTag, pushed], env);
    const out = await must('docker', ['push', pushed], env);
    digest = /digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!;
  }, 900_000);

  afterAll(async () => {
    await slipway?.close();
    cluster?.down();
    await run('docker', ['rmi', '-f', localTag, pushed ?? localTag], process.env);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 180_000);

  it('no node holds the image before a task needs it, and a node cannot pull it without the token', async () => {
    for (const node of cluster.nodes) expect(digestsOn(node), node.name).toEqual([]);
    // What a task pulls, pulled by hand without credentials: the registry refuses (auth is on).
    const anonymous = await run('docker', ['-H', cluster.nodes[1]!.dockerHost, 'pull', `${nodeRegistry}/${repo}@${digest}`], process.env);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.out).toMatch(/no basic auth credentials|unauthorized|authentication required/i);
  });

  it('runs a two-host training job: both hosts pull the pushed image by digest on their own node', async () => {
    const { sm, s3 } = clients(slipway.url);
    const bucket = await makeBucket(s3);
    const name = uniq('swarm-reg-job');
    // The URI as tutorials write it (ECR host name): Slipway's registry is single-account.
    const image = `000000000000.dkr.ecr.us-east-1.amazonaws.com/${repo}:v1`;
    await createJob(sm, baseJob(name, image, bucket, { ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 1 } }));
    // Hosts run for a moment: every look at the job's containers (ended ones too) until clean-up.
    const nodes = new Set<string>();
    const images = new Set<string>();
    await until(
      'the job ended',
      async () => {
        for (const c of await slipway.swarm.listContainers({ [LABELS.name]: name }, { all: true })) {
          if (c.node) nodes.add(c.node);
          images.add(c.image);
        }
        const d = await waitFor(sm, name, { until: () => true });
        return d.TrainingJobStatus !== 'InProgress';
      },
      { timeoutMs: 300_000, everyMs: 300 },
    );
    const d = await waitFor(sm, name, { timeoutMs: 10_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.AlgorithmSpecification?.TrainingImage).toBe(image);
    // The services named the image as every node pulls it: Slipway's advertised address, by digest.
    expect([...images]).toEqual([`${nodeRegistry}/${repo}@${digest}`]);
    expect(nodes.size).toBe(2);
    for (const n of nodes) expect(digestsOn(cluster.nodes.find((x) => x.name === n)!), n).toContain(`${nodeRegistry}/${repo}@${digest}`);
    const model = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(model['algo-1.txt']?.toString()).toBe('trained by algo-1');
    expect(model['algo-2.txt']?.toString()).toBe('trained by algo-2');

    // A two-instance endpoint of the same image, named as pushed (127.0.0.1:<port>), with that model.
    const ep = uniq('swarm-reg-ep');
    await sm.send(
      new CreateModelCommand({ ModelName: ep, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: pushed, ModelDataUrl: `s3://${bucket}/output/${name}/output/model.tar.gz` } }),
    );
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: ep,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: ep, InitialInstanceCount: 2, InstanceType: 'ml.m5.large' }],
      }),
    );
    await sm.send(new CreateEndpointCommand({ EndpointName: ep, EndpointConfigName: ep }));
    const described = await until(
      'InService',
      async () => {
        const e = await sm.send(new DescribeEndpointCommand({ EndpointName: ep }));
        expect(e.EndpointStatus, e.FailureReason).not.toBe('Failed');
        return e.EndpointStatus === 'InService' && e;
      },
      { timeoutMs: 300_000, everyMs: 500 },
    );
    // ResolvedImage as on one engine: the host as given, the pushed digest.
    expect(described.ProductionVariants?.[0]?.DeployedImages?.[0]).toMatchObject({ SpecifiedImage: pushed, ResolvedImage: `127.0.0.1:${slipway.server.port}/${repo}@${digest}` });
    const instances = await slipway.swarm.listContainers({ [LABELS.name]: ep });
    expect(instances).toHaveLength(2);
    for (const i of instances) {
      expect(i.image).toBe(`${nodeRegistry}/${repo}@${digest}`);
      expect(digestsOn(cluster.nodes.find((x) => x.name === i.node)!), i.node).toContain(`${nodeRegistry}/${repo}@${digest}`);
    }
    const { rt } = clients(slipway.url);
    const hosts = new Set<string>();
    for (let k = 0; k < 40 && hosts.size < 2; k++) {
      const r = await rt.send(new InvokeEndpointCommand({ EndpointName: ep, Body: Buffer.from('hi'), ContentType: 'text/plain' }));
      const body = JSON.parse(Buffer.from(r.Body!).toString()) as { host: string; model: string; echo: string };
      expect(body).toMatchObject({ model: 'trained by algo-1', echo: 'hi' });
      hosts.add(body.host);
    }
    expect(hosts.size).toBe(2);
    console.log(`registry image: job hosts on ${[...nodes].join(', ')}; endpoint instances on ${instances.map((i) => i.node).join(', ')}`);
    await sm.send(new DeleteEndpointCommand({ EndpointName: ep }));
  }, 900_000);

  it("refuses an image only in the manager's engine (another image of that name on a worker), creating nothing", async () => {
    const { sm, s3 } = clients(slipway.url);
    const bucket = await makeBucket(s3);
    const tag = `slipway-test/local-only-${id}:v1`;
    cluster.docker(cluster.manager, ['build', '-q', '-t', tag, '-'], `FROM ${BASE_IMAGE}\nLABEL slipway.test=manager-${id}\n`);
    cluster.docker(cluster.nodes[1]!, ['build', '-q', '-t', tag, '-'], `FROM ${BASE_IMAGE}\nLABEL slipway.test=worker-${id}\n`);
    try {
      const services = () => cluster.docker(cluster.manager, ['service', 'ls', '-q']).split('\n').filter(Boolean);
      const servicesBefore = services();
      const name = uniq('swarm-local-job');
      await createJob(sm, baseJob(name, tag, bucket));
      const d = await waitFor(sm, name, { timeoutMs: 60_000 });
      expect(d.TrainingJobStatus).toBe('Failed');
      expect(d.FailureReason).toBe(
        `ClientError: The image '${tag}' is only in the Swarm manager's engine, not on every node (not found on: n1, n2), so another node would run a different image of that name or none. ` +
          `Push it to ${nodeRegistry}/slipway-test/local-only-${id} (docker tag ${tag} ${nodeRegistry}/slipway-test/local-only-${id}:v1 && docker push ${nodeRegistry}/slipway-test/local-only-${id}:v1) so every node can pull it, and name that URI.`,
      );

      const ep = uniq('swarm-local-ep');
      await sm.send(new CreateModelCommand({ ModelName: ep, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: tag } }));
      await sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: ep,
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: ep, InitialInstanceCount: 2, InstanceType: 'ml.m5.large' }],
        }),
      );
      await sm.send(new CreateEndpointCommand({ EndpointName: ep, EndpointConfigName: ep }));
      const e = await until(
        'Failed',
        async () => {
          const r = await sm.send(new DescribeEndpointCommand({ EndpointName: ep }));
          return r.EndpointStatus === 'Failed' && r;
        },
        { timeoutMs: 60_000, everyMs: 300 },
      );
      expect(e.FailureReason).toContain(`The image '${tag}' is only in the Swarm manager's engine`);
      expect(e.FailureReason).toContain(`Push it to ${nodeRegistry}/slipway-test/local-only-${id}`);

      // Nothing was made for either: no service, no network, no volume on any node.
      expect(await slipway.swarm.listContainers({ [LABELS.name]: name }, { all: true })).toEqual([]);
      expect(await slipway.swarm.listContainers({ [LABELS.name]: ep }, { all: true })).toEqual([]);
      // (The endpoint deleted by the test before may still be going away: no service is new.)
      expect(services().filter((x) => !servicesBefore.includes(x))).toEqual([]);
      expect(await slipway.swarm.listNetworks({ [LABELS.name]: name })).toEqual([]);
      for (const n of cluster.nodes) expect(cluster.docker(n, ['volume', 'ls', '-q']), n.name).not.toMatch(new RegExp(`${name}|${ep}`, 'i'));
    } finally {
      for (const n of [cluster.manager, cluster.nodes[1]!]) cluster.docker(n, ['image', 'rm', '-f', tag]);
    }
  }, 300_000);
});

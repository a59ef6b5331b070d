/**
 * @module test/cluster/swarm-runtime.cluster.test — SwarmRuntime on a real three-node Swarm
 * (test/helpers/cluster: a manager and two workers, each an extra dockerd in its own network
 * namespace; the host's engine is not touched). Runs the ContainerRuntime contract suite for what
 * applies, then what only a cluster has: aliases across nodes, host-mode ports on a worker,
 * refusals, and a node going away. Gated by SLIPWAY_CLUSTER_TESTS=1 (.ci/run sets it).
 *
 * All cluster tests live in this one file, so they never share the harness with another file.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RuntimeIsolationError,
  RuntimeUnsupportedError,
  portUrl,
  type ContainerRuntime,
  type ContainerSpec,
  type LogLine,
} from '../../src/runtime/container-runtime.js';
import { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { containerRuntimeContract } from '../integration/runtime/container-runtime-contract.js';
import { BASE_IMAGE } from '../integration/runtime/test-image.js';
import { CLUSTER_TESTS_ENABLED, startCluster, type Cluster, type ClusterNode } from '../helpers/cluster/swarm-cluster.js';
import { copyImage } from '../helpers/cluster/slipway-on-swarm.js';

const TEST_LABEL = 'slipway.test';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function collect(iter: AsyncIterable<LogLine>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of iter) out.push(line.message);
  return out;
}

describe.skipIf(!CLUSTER_TESTS_ENABLED)('SwarmRuntime on a three-node Swarm', () => {
  let cluster: Cluster;
  const rt = () => new SwarmRuntime({ docker: new Docker({ socketPath: cluster.manager.dockerHost.slice('unix://'.length) }), pollMs: 100 });

  beforeAll(async () => {
    cluster = await startCluster({ workers: 2, images: [BASE_IMAGE] });
  }, 900_000);

  afterAll(() => {
    cluster?.down();
  }, 180_000);

  // Images built or tagged for a test are on every node with one id, as a registry pull would give them.
  const onEveryNode = (args: string[], input?: string) => {
    for (const n of cluster.nodes) cluster.docker(n, args, input);
  };

  containerRuntimeContract(
    'SwarmRuntime',
    rt,
    () => ({
      baseImage: BASE_IMAGE,
      // Built once and copied: services name local images by id, and a node holding another build
      // of the tag is refused (docs/cluster.md, "Images"); separate builds differ in id.
      buildImage: (dockerfile, tag) => {
        cluster.docker(cluster.manager, ['build', '-q', '-t', tag, '-'], dockerfile);
        for (const n of cluster.nodes) if (n !== cluster.manager) copyImage(cluster.manager, n, tag);
        return tag;
      },
      tagImage: (source, target) => onEveryNode(['tag', source, target]),
      removeImage: (ref) => {
        for (const n of cluster.nodes) {
          try {
            cluster.docker(n, ['image', 'rm', ref]);
          } catch {
            // missing is fine
          }
        }
      },
    }),
    {
      'publishes a container port on 127.0.0.1 and serves HTTP on it':
        "it serves a bind-mounted host directory (refused on a cluster) at 127.0.0.1; ports open on the task's node (see 'host-mode port on a worker')",
      'publishes ports from a network without outbound or inter-container traffic':
        "an overlay cannot cut outbound or member traffic while publishing; refused with RuntimeIsolationError (see 'refuses')",
      'runs without any network when networkDisabled':
        "Swarm services have no 'none' network; the container gets an internal overlay of its own (see 'networkDisabled')",
      'mounts binds read-only or writable': "this host's directories do not exist on other nodes; refused with RuntimeUnsupportedError (see 'refuses')",
    },
  );

  describe('cluster behaviour', () => {
    let r: ContainerRuntime;
    let testId: string;
    let seq = 0;
    const node = (name: string): ClusterNode => cluster.nodes.find((n) => n.name === name)!;
    const spec = (hint: string, s: Partial<ContainerSpec>): ContainerSpec => ({
      name: `slipway-test-${testId}-${hint}-${++seq}`,
      image: BASE_IMAGE,
      ...s,
      labels: { [TEST_LABEL]: testId, ...(s.labels ?? {}) },
    });
    const shell = (script: string) => ({ entrypoint: ['/bin/sh', '-c', script], cmd: [] as string[] });
    const on = (nodeName: string) => ({ placement: { nodeLabels: { 'slipway.node': nodeName } } });
    const run = async (s: ContainerSpec) => {
      const id = await r.createContainer(s);
      await r.startContainer(id);
      return id;
    };
    const running = (id: string) => until(`${id} running`, async () => {
      const info = await r.inspectContainer(id);
      return info?.running ? info : undefined;
    });

    beforeAll(() => {
      r = rt();
    });
    afterEach(async () => {
      for (const c of await r.listContainers({ [TEST_LABEL]: testId }, { all: true })) await r.removeContainer(c.id, { force: true });
      for (const n of await r.listNetworks({ [TEST_LABEL]: testId })) await r.removeNetwork(n.name);
    });
    const it_ = (title: string, fn: () => Promise<void>, timeout?: number) =>
      it(title, async () => {
        testId = randomBytes(5).toString('hex');
        await fn();
      }, timeout);

    it_('two containers on different nodes reach each other by alias', async () => {
      const net = `slipway-test-${testId}-net`;
      await r.createNetwork(net, { [TEST_LABEL]: testId });
      const server = await run(spec('algo-2', { ...shell('exec python3 -m http.server 8080'), ...on('n2'), network: { name: net, aliases: ['algo-2'] }, hostname: 'algo-2' }));
      const client = await run(
        spec('algo-1', {
          ...shell(
            'until python3 -c "import urllib.request as u; print(u.urlopen(\'http://algo-2:8080/\', timeout=2).status)" 2>/dev/null; do sleep 0.2; done',
          ),
          ...on('n1'),
          network: { name: net, aliases: ['algo-1'] },
        }),
      );
      const { exitCode } = await r.waitContainer(client, AbortSignal.timeout(60_000));
      expect(exitCode).toBe(0);
      expect(await collect(r.followLogs(client))).toEqual(['200']);
      expect((await r.inspectContainer(client))?.node).toBe('n1');
      expect((await r.inspectContainer(server))?.node).toBe('n2');
    });

    it_("host-mode port on a worker is reachable from the host at the node's address", async () => {
      const id = await run(spec('web', { ...shell('echo hello-from-n2 > /tmp/i.txt; exec python3 -m http.server 8080 --directory /tmp'), ...on('n2'), publishPorts: [8080], restart: 'always' }));
      const info = await running(id);
      expect(info.node).toBe('n2');
      expect(info.portHost).toBe(node('n2').address);
      const url = portUrl(info, 8080)!;
      expect(url).toMatch(new RegExp(`^http://${node('n2').address.replace(/\./g, '\\.')}:\\d+$`));
      const body = await until('an answer', async () => {
        const res = await fetch(`${url}/i.txt`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? res.text() : undefined;
      });
      expect(body).toBe('hello-from-n2\n');
    });

    it_('refuses what a cluster cannot run faithfully, having made nothing', async () => {
      const bind = r.createContainer(spec('bind', { ...shell('true'), binds: [{ hostPath: '/tmp', containerPath: '/data' }] }));
      await expect(bind).rejects.toBeInstanceOf(RuntimeUnsupportedError);
      await expect(bind).rejects.toThrow(/cannot bind-mount host directories/);
      await expect(r.createNetwork(`slipway-test-${testId}-closed`, { [TEST_LABEL]: testId }, { outbound: false })).rejects.toBeInstanceOf(RuntimeIsolationError);
      await expect(r.createNetwork(`slipway-test-${testId}-flat`, { [TEST_LABEL]: testId }, { interContainer: false })).rejects.toBeInstanceOf(RuntimeIsolationError);
      expect(await r.listContainers({ [TEST_LABEL]: testId }, { all: true })).toEqual([]);
      expect(await r.listNetworks({ [TEST_LABEL]: testId })).toEqual([]);
    });

    it_('networkDisabled: loopback and one interface that reaches nothing', async () => {
      const net = `slipway-test-${testId}-open`;
      await r.createNetwork(net, { [TEST_LABEL]: testId });
      await run(spec('peer', { ...shell('exec python3 -m http.server 8080'), network: { name: net, aliases: ['peer'] }, ...on('n2') }));
      // A TCP connect to the peer by alias, tried `tries` times a quarter second apart: "open" or "closed".
      const probe = (tries: number) =>
        `python3 -c "import socket,time\nfor i in range(${tries}):\n try:\n  socket.create_connection(('peer',8080),2); print('open'); break\n except OSError:\n  time.sleep(0.25)\nelse: print('closed')"`;
      // The same probe with the network connects (the server may still be starting: retried), so the check below can fail.
      const open = await run(spec('net', { ...shell(probe(40)), network: { name: net }, ...on('n1') }));
      expect(await r.waitContainer(open, AbortSignal.timeout(60_000))).toEqual({ exitCode: 0 });
      expect(await collect(r.followLogs(open))).toEqual(['open']);
      const id = await run(spec('nonet', { ...shell(`ls /sys/class/net | wc -l; ${probe(1)}`), networkDisabled: true, ...on('n1') }));
      expect(await r.waitContainer(id, AbortSignal.timeout(60_000))).toEqual({ exitCode: 0 });
      expect(await collect(r.followLogs(id))).toEqual(['2', 'closed']);
    });

    it_('a container no node can take waits as created with Swarm\'s reason; an image missing on its node is reported ended', async () => {
      // Reservations reach the scheduler: no node advertises a GPU, so the task stays pending.
      const short = new SwarmRuntime({ docker: new Docker({ socketPath: cluster.manager.dockerHost.slice('unix://'.length) }), pollMs: 100, startWaitMs: 3_000 });
      const gpu = await r.createContainer(spec('gpu', { ...shell('true'), placement: { reserve: { gpus: 1 } } }));
      const asked = Date.now();
      await short.startContainer(gpu);
      expect(Date.now() - asked).toBeLessThan(10_000);
      const waiting = await until('the scheduler\'s reason', async () => {
        const i = await r.inspectContainer(gpu);
        return i?.reason ? i : undefined;
      });
      expect(waiting).toMatchObject({ state: 'created', running: false, exitCode: null });
      expect(waiting.reason).toMatch(/insufficient resources|no suitable node/);
      // An image only the manager has (its own id: a tag of an image every node holds would run, since
      // services name local images by id): the worker cannot start the task.
      const tag = `slipway-test-only-manager-${testId}:v1`;
      cluster.docker(cluster.manager, ['build', '-q', '-t', tag, '-'], `FROM ${BASE_IMAGE}\nLABEL slipway.test=${testId}\n`);
      try {
        const lonely = await run(spec('lonely', { image: tag, ...shell('true'), ...on('n1') }));
        const info = await until('the task reported ended', async () => {
          const i = await r.inspectContainer(lonely);
          return i && i.state !== 'created' ? i : undefined;
        });
        expect(info).toMatchObject({ running: false, exitCode: null, node: 'n1' });
        expect(info.reason).toMatch(/No such image|not found|pull access denied|does not exist/i);
        expect(await r.waitContainer(lonely)).toEqual({ exitCode: -1 });
      } finally {
        cluster.docker(cluster.manager, ['image', 'rm', tag]);
      }
    });

    it_(
      "a stopped node: its service task is rescheduled on another node, its job task is reported failed",
      async () => {
        // Any worker may run the service, so it can move once its node is gone.
        for (const n of ['n1', 'n2']) cluster.docker(cluster.manager, ['node', 'update', '--label-add', `slipway.test.pool=${testId}`, node(n).id]);
        const movable = await run(spec('svc', { ...shell('exec python3 -m http.server 8080'), placement: { nodeLabels: { 'slipway.test.pool': testId } }, publishPorts: [8080], restart: 'always' }));
        const first = await running(movable);
        const lost = first.node!;
        expect(['n1', 'n2']).toContain(lost);
        const other = lost === 'n1' ? 'n2' : 'n1';
        // A job on the same node: Swarm never reruns it (SageMaker does not rerun a host either).
        const job = await run(spec('job', { ...shell('echo started; sleep 1000'), ...on(lost) }));
        await running(job);
        const started = Date.now();
        cluster.stopNode(node(lost).index);
        const moved = await until('the service task on another node', async () => {
          const info = await r.inspectContainer(movable);
          return info?.running && info.node === other ? info : undefined;
        }, 60_000);
        const movedAfterMs = Date.now() - started;
        const body = await until('the moved task answers', async () => (await fetch(portUrl(moved, 8080)!, { signal: AbortSignal.timeout(2_000) })).status, 30_000);
        expect(body).toBe(200);
        expect(moved.portHost).toBe(node(other).address);
        const info = await until('the job reported ended', async () => {
          const i = await r.inspectContainer(job);
          return i && !i.running ? i : undefined;
        });
        expect(info).toMatchObject({ running: false, state: 'dead', exitCode: null, node: lost });
        expect(info.reason).toMatch(new RegExp(`node ${lost} .* is (down|unknown|disconnected)`));
        expect(await r.waitContainer(job)).toEqual({ exitCode: -1 });
        console.log(`swarm: service task rescheduled and running ${movedAfterMs} ms after node ${lost}'s engine stopped`);
      },
      180_000,
    );
  });
});

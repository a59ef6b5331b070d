/**
 * @module test/helpers/cluster/slipway-on-swarm — an in-process Slipway whose runtime is the
 * harness's Swarm (SLIPWAY_RUNTIME=swarm as the composition root would build it), listening where
 * the nodes reach it (the host's bridge address) and advertising that URL to stagers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { startSlipway, type SlipwayServer } from '../../../src/server/app.js';
import { SwarmRuntime } from '../../../src/runtime/swarm/swarm-runtime.js';
import { startCluster, type Cluster, type ClusterNode } from './swarm-cluster.js';
import { freePort } from '../free-port.js';
import { until } from '../poll.js';
import { LABELS, type ContainerRuntime } from '../../../src/runtime/container-runtime.js';
import { execFileSync } from 'node:child_process';

/** `docker save` on one node piped into `docker load` on another (through a pipe, not this process's memory). */
export function copyImage(from: ClusterNode, to: ClusterNode, image: string): void {
  execFileSync('sh', ['-c', 'docker -H "$1" save "$3" | docker -H "$2" load -q', 'copy-image', from.dockerHost, to.dockerHost, image], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
}

export interface SlipwayOnSwarm {
  server: SlipwayServer;
  swarm: SwarmRuntime;
  /** For clients on this host. */
  url: string;
  close(): Promise<void>;
}

/** `credentials` (access key id → secret) turn Slipway's authentication on, its registry's included. */
export async function startSlipwayOnSwarm(cluster: Cluster, opts: { credentials?: Record<string, string> } = {}): Promise<SlipwayOnSwarm> {
  const swarm = new SwarmRuntime({ docker: new Docker({ socketPath: cluster.manager.dockerHost.slice('unix://'.length) }), pollMs: 200 });
  const home = mkdtempSync(join(tmpdir(), 'slipway-swarm-'));
  // Overlays cannot keep containers off the host (docs/cluster.md, "Isolation in cluster mode").
  const saved = process.env.SLIPWAY_CONTAINER_HOST_ACCESS;
  process.env.SLIPWAY_CONTAINER_HOST_ACCESS = 'allow';
  const restore = () => {
    if (saved === undefined) delete process.env.SLIPWAY_CONTAINER_HOST_ACCESS;
    else process.env.SLIPWAY_CONTAINER_HOST_ACCESS = saved;
  };
  try {
    const port = await freePort('0.0.0.0');
    const server = await startSlipway({ home, host: '0.0.0.0', port, runtime: swarm, advertiseUrl: `http://${cluster.hostAddress}:${port}`, ...(opts.credentials ? { credentials: opts.credentials } : {}) });
    return {
      server,
      swarm,
      url: `http://127.0.0.1:${server.port}`,
      close: async () => {
        await server.close();
        restore();
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (err) {
    restore();
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A cluster of two workers and a manager whose nodes hold the base image and `serveImage` (the base
 * image with `serve` as its serve program, built on the manager and copied to every node: the same
 * image id everywhere, which the Swarm runtime checks before it runs a local image), and Slipway on
 * it. `stop` closes Slipway and removes the cluster.
 */
export async function swarmWithServeImage(baseImage: string, serveImage: string, serve: string, slot?: number): Promise<{ cluster: Cluster; slipway: SlipwayOnSwarm; stop(): Promise<void> }> {
  const cluster = await startCluster({ workers: 2, images: [baseImage], ...(slot !== undefined ? { slot } : {}) });
  const dockerfile = `FROM ${baseImage}\nRUN echo ${Buffer.from(serve).toString('base64')} | base64 -d > /usr/local/bin/serve && chmod 755 /usr/local/bin/serve\n`;
  cluster.docker(cluster.manager, ['build', '-q', '-t', serveImage, '-'], dockerfile);
  for (const node of cluster.nodes) if (node !== cluster.manager) copyImage(cluster.manager, node, serveImage);
  const slipway = await startSlipwayOnSwarm(cluster);
  return {
    cluster,
    slipway,
    stop: async () => {
      await slipway.close();
      cluster.down();
    },
  };
}

/**
 * Waits until nothing of job `name` is left on the cluster: its services, the staging helpers
 * (stager, feeder, uploader), its volumes on every node and, with `containers`, its containers there.
 */
export async function jobLeftNothing(cluster: Cluster, runtime: ContainerRuntime, name: string, opts: { containers?: boolean } = {}): Promise<void> {
  const lower = name.toLowerCase();
  await until(
    'the job cleaned up',
    async () =>
      (await runtime.listContainers({ [LABELS.name]: name }, { all: true })).length === 0 &&
      cluster.docker(cluster.manager, ['service', 'ls', '-q', '--filter', 'label=slipway.swarm.helper-of']).trim() === '' &&
      cluster.nodes.every(
        (n) =>
          !cluster.docker(n, ['volume', 'ls', '-q']).toLowerCase().includes(lower) &&
          (!opts.containers || cluster.docker(n, ['ps', '-aq', '--filter', `name=${name}`]).trim() === ''),
      ),
    { timeoutMs: 60_000, everyMs: 500 },
  );
}

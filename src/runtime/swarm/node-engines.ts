/**
 * @module runtime/swarm/node-engines — reaching the engine of the node that runs a task, for what
 * a Swarm manager cannot do: deliver a signal, stop with a grace chosen now, read stats, OOM flag
 * and exact times. The manager's own node is reached through the manager's client; any other
 * node through the address in its `slipway.engine` node label (set by managers only, so a node
 * cannot point Slipway elsewhere). Nodes without the label are out of reach and the runtime falls
 * back to what the manager offers (docs/cluster.md, "Signals and stops").
 *
 * Label values: `unix:///path/docker.sock`, or `tcp://host:port` (TLS with the docker CLI's
 * DOCKER_TLS_VERIFY / DOCKER_CERT_PATH when set).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerRuntime } from '../docker/docker-runtime.js';
import type { RawNode } from './swarm-mapping.js';

/** Node label (in the node's Spec, which only managers write) with the address of the node's engine. */
export const ENGINE_LABEL = 'slipway.engine';

/** A client for an engine address, or undefined for an address this module does not take. */
export function clientFor(address: string, env: NodeJS.ProcessEnv = process.env): Docker | undefined {
  if (address.startsWith('unix://')) {
    const socketPath = address.slice('unix://'.length);
    return socketPath.startsWith('/') ? new Docker({ socketPath }) : undefined;
  }
  const m = /^tcp:\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(address);
  if (!m) return undefined;
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  const certs = env.DOCKER_TLS_VERIFY && env.DOCKER_CERT_PATH ? env.DOCKER_CERT_PATH : undefined;
  if (!certs) return new Docker({ host, port, protocol: 'http' });
  const read = (f: string) => readFileSync(join(certs, f));
  return new Docker({ host, port, protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') });
}

/**
 * Node id → a `DockerRuntime` on that node's engine (container-level calls only: the containers
 * there are Swarm's, named by task). Clients are kept per address.
 */
export class NodeEngines {
  private readonly byAddress = new Map<string, DockerRuntime>();

  constructor(
    private readonly managerNodeId: () => Promise<string>,
    private readonly manager: DockerRuntime,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async forNode(node: RawNode | undefined): Promise<DockerRuntime | undefined> {
    if (!node) return undefined;
    if (node.ID === (await this.managerNodeId())) return this.manager;
    const address = node.Spec?.Labels?.[ENGINE_LABEL];
    if (!address) return undefined;
    let rt = this.byAddress.get(address);
    if (!rt) {
      const docker = clientFor(address, this.env);
      if (!docker) return undefined;
      // No network calls on this runtime: its pool and firewall are never used.
      rt = new DockerRuntime({ docker, networkPool: false, pingTimeoutMs: 2_000 });
      this.byAddress.set(address, rt);
    }
    return rt;
  }
}

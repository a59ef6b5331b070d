/**
 * @module runtime/swarm/swarm-networks — the network side of SwarmRuntime: attachable overlay
 * networks that span the nodes, so `algo-N` aliases resolve and connect across machines.
 *
 * What an overlay can promise is less than a host bridge: `internal` (no gateway at all) is
 * enforced by the overlay itself, but there is no switch for "no outbound but published ports",
 * "no traffic between members" or "not to the node's own addresses" (the Docker runtime does
 * those with bridge options and this host's firewall). Those are refused with
 * RuntimeIsolationError rather than handed out weaker (docs/cluster.md, "Isolation").
 */
import type Docker from 'dockerode';
import { RuntimeError, RuntimeIsolationError, type NetworkOptions } from '../container-runtime.js';
import { engineMessage, engineStatus, translateError } from '../docker/docker-mapping.js';
import { labelFilter, pause } from '../engine-helpers.js';

interface RawNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
}

export class SwarmNetworks {
  constructor(
    private readonly docker: Docker,
    /** How long `remove` retries while Swarm still tears down the members' endpoints. */
    private readonly removeWaitMs = 30_000,
  ) {}

  async create(name: string, labels: Record<string, string> = {}, opts: NetworkOptions = {}): Promise<string> {
    const refused = unenforceable(opts);
    if (refused) throw new RuntimeIsolationError(`create network ${name}: ${refused}`);
    const existing = await this.inspect(name);
    if (existing) return this.adopt(name, existing, opts);
    try {
      const net = await this.docker.createNetwork({
        Name: name,
        Driver: 'overlay',
        Attachable: true,
        CheckDuplicate: true,
        Internal: opts.internal ?? false,
        Labels: { ...labels },
      } as Docker.NetworkCreateOptions);
      return net.id;
    } catch (err) {
      // Made by a concurrent retry a moment ago: that one is ours too.
      if (engineStatus(err) === 409 || /already exists/i.test(engineMessage(err))) {
        const raced = await this.inspect(name);
        if (raced) return this.adopt(name, raced, opts);
      }
      throw translateError(err, `create network ${name}`);
    }
  }

  /**
   * Removes the network; succeeds when it is already gone; waits while members are still leaving.
   * The manager deletes a swarm network asynchronously (inspect still finds it a moment after the
   * delete, and a second delete then says "not found" with a 500), so this returns once it is gone.
   */
  async remove(name: string): Promise<void> {
    const deadline = Date.now() + this.removeWaitMs;
    let deleted = false;
    for (;;) {
      try {
        const raw = await this.inspect(name);
        if (!raw) return;
        if (!deleted) {
          await this.docker.getNetwork(raw.Id).remove();
          deleted = true;
        }
      } catch (err) {
        if (engineStatus(err) === 404 || /not found/i.test(engineMessage(err))) return;
        const busy = /in use|active endpoints/i.test(engineMessage(err));
        if (!busy || Date.now() > deadline) throw translateError(err, `remove network ${name}`);
      }
      if (Date.now() > deadline) throw new RuntimeError(`remove network ${name}: still there ${this.removeWaitMs} ms after its removal`);
      await pause(100);
    }
  }

  async list(labels: Record<string, string>): Promise<{ id: string; name: string }[]> {
    try {
      const nets = (await this.docker.listNetworks({ filters: labelFilter(labels) })) as unknown as RawNetwork[];
      return nets.map((n) => ({ id: n.Id, name: n.Name }));
    } catch (err) {
      throw translateError(err, 'list networks');
    }
  }

  /** The swarm-scoped network with exactly this name or id, or undefined. */
  async inspect(nameOrId: string): Promise<RawNetwork | undefined> {
    try {
      // scope=swarm: the cluster's object, not a node's local copy of it.
      const net = this.docker.getNetwork(nameOrId) as unknown as { inspect(o: { scope: string }): Promise<RawNetwork> };
      const info = await net.inspect({ scope: 'swarm' });
      // Inspect also matches id prefixes; only an exact name or full id counts.
      return info.Name === nameOrId || info.Id === nameOrId ? info : undefined;
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw translateError(err, `inspect network ${nameOrId}`);
    }
  }

  private adopt(name: string, raw: RawNetwork, opts: NetworkOptions): string {
    // The manager can answer an inspect of a network it is still allocating with no Driver yet.
    if ((raw.Driver && raw.Driver !== 'overlay') || raw.Scope !== 'swarm') {
      throw new RuntimeError(`create network ${name}: a ${raw.Scope ?? 'local'} ${raw.Driver ?? ''} network of that name exists; Swarm tasks need an overlay network`);
    }
    if ((opts.internal ?? false) !== (raw.Internal ?? false)) {
      throw new RuntimeIsolationError(`create network ${name}: the existing network is ${raw.Internal ? '' : 'not '}internal; remove it`);
    }
    return raw.Id;
  }
}

/**
 * Why an overlay cannot give what `opts` asks, or undefined when it can. An internal overlay has no
 * gateway: no way out and no way to any node, which covers `outbound` and `host` too.
 */
export function unenforceable(opts: NetworkOptions): string | undefined {
  if (opts.interContainer === false) {
    return 'Swarm overlay networks cannot stop members from reaching each other (no inter-container switch); give each member its own network';
  }
  if (opts.internal) return undefined;
  if (opts.outbound === false) {
    return 'Swarm overlay networks cannot cut outbound traffic while ports stay published (only internal networks, which publish nothing, have no way out)';
  }
  if (opts.host === false) {
    return "Swarm overlay networks cannot keep members from their node's own addresses without a firewall on every node (set SLIPWAY_CONTAINER_HOST_ACCESS=allow, or see docs/cluster.md)";
  }
  return undefined;
}

/**
 * @module runtime/docker/docker-networks — the network side of DockerRuntime: bridges on blocks
 * of Slipway's address pool (subnet-pool.ts), guarded by the host firewall (host-firewall.ts)
 * when their members must not reach the host, and the firewall's rules kept in step with the
 * networks that exist (put back after a restart, swept once a network is gone).
 */
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { LABELS, RuntimeError, type NetworkOptions } from '../container-runtime.js';
import { labelFilter } from '../engine-helpers.js';
import { engineMessage, engineStatus, hostIsolationOf, isolatesFromHost, toNetworkCreateOptions, translateError, type RawNetworkInspect } from './docker-mapping.js';
import type { HostFirewall } from './host-firewall.js';
import { formatCidr, parseCidrs, type Cidr } from '../../platform/cidr.js';
import { gatewayOf, parseRouteTable, pickBlock } from './subnet-pool.js';

/**
 * What DockerRuntime's network methods promise (see its doc comment): `create` is idempotent and
 * never hands out a network it could not guard as asked; `remove` succeeds for a network already
 * gone and takes its rules away after it.
 */
export class DockerNetworks {
  /** Blocks of networks being created by this runtime right now (not listed by the engine yet). */
  private readonly claimedBlocks = new Set<string>();
  private firewallResumed?: Promise<void>;

  constructor(
    private readonly docker: Docker,
    private readonly firewall: HostFirewall,
    private readonly pool?: { pool: Cidr; blockPrefix: number },
  ) {}

  async create(name: string, labels: Record<string, string> = {}, opts: NetworkOptions = {}): Promise<string> {
    await this.resumeFirewall();
    // Most calls are for a network made before (each instance start asks): find it without picking a block.
    const existing = await this.inspectNetwork(name);
    const { id, created } = existing ? { id: existing.Id, created: false } : await this.createBridge(name, labels, opts);
    if (isolatesFromHost(opts)) {
      try {
        // Read back rather than recompute: a network adopted from before bridges were named has Docker's own bridge name.
        const raw = await this.inspectNetwork(id);
        const iso = raw ? hostIsolationOf(raw) : undefined;
        if (!iso) throw new RuntimeError(`create network ${name}: the existing network is not isolated (outbound NAT or not a bridge); remove it`);
        await this.firewall.isolate({ name, id }, iso.bridge, { ipv6: iso.ipv6, forward: iso.forward, ...this.peers(raw!) });
      } catch (err) {
        // Nothing can have joined a network made a moment ago: take it away rather than leave it unguarded.
        if (created) await this.docker.getNetwork(id).remove().catch(() => undefined);
        throw translateError(err, `create network ${name}`);
      }
    }
    return id;
  }

  async remove(name: string): Promise<void> {
    await this.resumeFirewall();
    const raw = await this.inspectNetwork(name).catch(() => undefined);
    try {
      await this.docker.getNetwork(name).remove();
    } catch (err) {
      if (engineStatus(err) !== 404) throw translateError(err, `remove network ${name}`);
    }
    // Rules go only after the network (and so every member) has: never a guarded network without its guard.
    // A network already gone may have left rules behind, so those are looked for too.
    if (!raw) await this.firewall.release(name);
    else if (hostIsolationOf(raw)) await this.firewall.release(raw.Name, raw.Id);
  }

  async list(labels: Record<string, string>): Promise<{ id: string; name: string }[]> {
    await this.resumeFirewall();
    try {
      const nets = await this.docker.listNetworks({ filters: labelFilter(labels) });
      return nets.map((n) => ({ id: n.Id, name: n.Name }));
    } catch (err) {
      throw translateError(err, 'list networks');
    }
  }

  /** The pool and the network's own subnet, for the rule that keeps it from the pool's other networks. */
  private peers(raw: RawNetworkInspect): { peers?: { pool: string; own: string } } {
    const own = parseCidrs((raw.IPAM?.Config ?? []).map((c) => c.Subnet ?? ''))[0];
    return this.pool && own ? { peers: { pool: formatCidr(this.pool.pool), own: formatCidr(own) } } : {};
  }

  /**
   * Creates the bridge (on a free block of the pool), or finds the one a previous attempt made.
   * Another server taking the same block at the same moment makes the engine answer "Pool
   * overlaps"; then the next free block is tried.
   */
  private async createBridge(name: string, labels: Record<string, string>, opts: NetworkOptions): Promise<{ id: string; created: boolean }> {
    const tried: Cidr[] = [];
    for (let attempt = 0; ; attempt++) {
      const block = this.pool ? await this.freeBlock(name, tried) : undefined;
      const key = block ? formatCidr(block) : '';
      if (block) this.claimedBlocks.add(key);
      try {
        const subnet = block ? { subnet: key, gateway: gatewayOf(block) } : undefined;
        return { id: (await this.docker.createNetwork(toNetworkCreateOptions(name, labels, opts, subnet))).id, created: true };
      } catch (err) {
        if (engineStatus(err) === 409) {
          const existing = (await this.inspectNetwork(name))?.Id;
          if (existing) return { id: existing, created: false };
        }
        if (block && attempt < 8 && /overlap/i.test(engineMessage(err))) {
          tried.push(block);
          continue;
        }
        throw translateError(err, `create network ${name}`);
      } finally {
        if (block) this.claimedBlocks.delete(key);
      }
    }
  }

  /** A block of the pool that no network, host route, block being created here or block in `tried` uses. */
  private async freeBlock(name: string, tried: Cidr[]): Promise<Cidr> {
    const { pool, blockPrefix } = this.pool!;
    let nets: RawNetworkInspect[];
    try {
      nets = (await this.docker.listNetworks()) as unknown as RawNetworkInspect[];
    } catch (err) {
      throw translateError(err, `create network ${name}`);
    }
    const routes = parseRouteTable(await readFile('/proc/net/route', 'utf8').catch(() => ''));
    const used = [...tried, ...routes, ...parseCidrs([...this.claimedBlocks, ...nets.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? ''))])];
    const block = pickBlock(pool, blockPrefix, used, name);
    if (!block) {
      throw new RuntimeError(
        `create network ${name}: no free /${blockPrefix} block is left in the network pool ${formatCidr(pool)} (${nets.length} networks on the engine); widen SLIPWAY_NETWORK_POOL`,
      );
    }
    return block;
  }

  /** The network with exactly this name or id, or undefined. */
  private async inspectNetwork(nameOrId: string): Promise<RawNetworkInspect | undefined> {
    try {
      const info = (await this.docker.getNetwork(nameOrId).inspect()) as RawNetworkInspect;
      // Inspect also matches id prefixes; only an exact name or full id counts as "ours".
      return info.Name === nameOrId || info.Id === nameOrId ? info : undefined;
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw translateError(err, `inspect network ${nameOrId}`);
    }
  }

  /** Whether a network whose id starts with `prefix` exists; engine errors count as "exists" (keep its rules). */
  private async networkIdExists(prefix: string): Promise<boolean> {
    try {
      const info = (await this.docker.getNetwork(prefix).inspect()) as RawNetworkInspect;
      return info.Id.startsWith(prefix);
    } catch (err) {
      return engineStatus(err) !== 404;
    }
  }

  /**
   * Once per runtime, before its first network call: re-installs the rules of Slipway's isolated
   * networks (a restart after an upgrade, or a host firewall reload, may have lost them) and
   * removes rules of networks that no longer exist (by id: names and bridges come back, ids do
   * not). Best effort: a host without iptables still runs
   * everything that is not isolated, and `createNetwork` reports the problem where it matters.
   */
  private resumeFirewall(): Promise<void> {
    this.firewallResumed ??= (async () => {
      const nets = (await this.docker.listNetworks({ filters: labelFilter({ [LABELS.managed]: 'true' }) })) as unknown as RawNetworkInspect[];
      for (const n of nets) {
        const iso = hostIsolationOf(n);
        if (iso) await this.firewall.isolate({ name: n.Name, id: n.Id }, iso.bridge, { ipv6: iso.ipv6, forward: iso.forward, ...this.peers(n) }).catch(() => undefined);
      }
      // Stale: no network has the rule's id any more (ids are never reused, unlike names and bridges).
      await this.firewall.sweep(async (rule) => !(await this.networkIdExists(rule.networkId)));
    })().catch(() => undefined);
    return this.firewallResumed;
  }
}

/**
 * @module runtime/docker/host-firewall — the host's side of network isolation: iptables rules
 * that stop members of an isolated Docker bridge from opening connections to the host itself or
 * through it, installed when such a network is created or adopted, removed with it, and swept
 * when their network is gone.
 *
 * Why: a bridge without NAT (`enable_ip_masquerade=false`) or an `Internal` one still lets its
 * containers connect to every address of the host through the bridge gateway (a host service on
 * 0.0.0.0, docker0's address, …), and a NAT-less bridge still forwards packets off the host with
 * the container's own source address. SageMaker's network isolation allows no outbound calls at
 * all, so for each isolated bridge BR the host gets:
 *
 *   filter INPUT        -i BR            ! ESTABLISHED,RELATED  → DROP   (nothing new to the host)
 *   filter DOCKER-USER  -i BR ! -o BR    ! ESTABLISHED,RELATED  → DROP   (nothing new through it)
 *
 * Every other Slipway bridge (an endpoint's or a job's own network, outbound allowed) keeps its
 * way out — its containers reach the internet, as SageMaker's non-isolated containers do — but
 * gets the INPUT rule, so they no longer reach the host's own services (Slipway's port, the Docker
 * API on TCP, a database on 0.0.0.0), and a forward rule for the other networks of Slipway's
 * address pool (subnet-pool.ts), so they reach no other resource's containers:
 *
 *   filter DOCKER-USER  -i BR -d POOL    ! ESTABLISHED,RELATED ! ctorigdst OWN_SUBNET → DROP
 *
 * Docker's own DOCKER-ISOLATION chains do that too, but not dependably: engines have lost other
 * networks' rules when one network was removed (docker/cli#5646), and Docker 28 dropped the
 * chains (moby/moby#49981).
 *
 * Replies keep flowing: Slipway's requests to the published 127.0.0.1 port reach the container
 * through docker-proxy (or DNAT), so the container's answers belong to connections the host
 * opened. Traffic inside the bridge (`-o BR`) is left to Docker (`enable_icc`), so the hosts of an
 * isolated multi-host training job still reach each other. DOCKER-USER is the chain Docker runs
 * before its own FORWARD accepts; where it is missing (Docker not managing iptables) FORWARD's top
 * is used. Rules are inserted at the top of their chain so no earlier ACCEPT can bypass them.
 *
 * Each rule carries the comment `slipway-isolation:<network>:<network id, 12 digits>` so it can be
 * found again without any state of ours. The id keeps incarnations apart: a network removed and
 * made again under the same name (same bridge) has its own rules, so a sweep of the old one's
 * leftovers never takes the new one's guard away. A leftover rule is harmless meanwhile: it
 * names a bridge that is gone, or one that wants exactly that rule. IPv6: Docker disables IPv6 inside containers on networks without
 * `EnableIPv6` (seen on 20.10: `disable_ipv6=1` on the container's eth0, although the host side of
 * the bridge has a link-local address), so ip6tables rules are added only for IPv6-enabled
 * networks; cleanup looks at both families.
 *
 * iptables runs as a child process (execFile, no shell) in Slipway's own network namespace, which
 * must be the engine's: a bridge that is not visible in /sys/class/net means the engine runs
 * elsewhere and the rules could not apply, so isolation fails instead of silently not holding.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { RuntimeIsolationError } from '../container-runtime.js';

/** Prefix of every rule comment; what the sweep looks for. */
export const RULE_TAG = 'slipway-isolation';
/** Prefix of bridge interfaces Slipway names; with 12 hex digits it fits Linux's 15-character limit. */
export const BRIDGE_PREFIX = 'slw';
const IFNAMSIZ = 15;
const COMMENT_MAX = 255;

export type IpFamily = 'ipv4' | 'ipv6';

/** One rule: the chain it lives in and its match/target arguments (as for `-C`, `-I chain 1`, `-D`). */
export interface FirewallRule {
  family: IpFamily;
  chain: string;
  spec: string[];
}

/** A tagged rule found in a chain listing. */
export interface TaggedRule extends FirewallRule {
  bridge: string;
  network: string;
  /** First 12 digits of the network id. */
  networkId: string;
}

/** A network as the rules name it. */
export interface NetworkRef {
  name: string;
  id: string;
}

export class HostFirewallError extends RuntimeIsolationError {
  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'HostFirewallError';
  }
}

/**
 * The bridge interface name for a network: deterministic, so a rule can name the interface before
 * Docker creates it and the same network gets the same name after a restart. `slw` + 12 hex
 * digits of SHA-256 (48 bits) of the network name = 15 characters.
 */
export function bridgeNameFor(network: string): string {
  return `${BRIDGE_PREFIX}${createHash('sha256').update(network).digest('hex').slice(0, IFNAMSIZ - BRIDGE_PREFIX.length)}`;
}

/**
 * The comment naming Slipway and the network (Docker network names never contain ':'); an
 * over-long name is replaced by its hash (iptables allows 256 bytes).
 */
export function ruleComment(network: NetworkRef): string {
  const id = network.id.slice(0, 12);
  const comment = `${RULE_TAG}:${network.name}:${id}`;
  if (comment.length <= COMMENT_MAX) return comment;
  return `${RULE_TAG}:sha256-${createHash('sha256').update(network.name).digest('hex')}:${id}`;
}

/** Which rules a guarded bridge gets beyond the INPUT one (see the module comment). */
export interface GuardOptions {
  /** Default true: no new connection through the host at all. False: members keep their way out. */
  forward?: boolean;
  /**
   * With `forward: false`: Slipway's address pool and this bridge's own subnet (IPv4 CIDRs). New
   * connections to any other address of the pool — another resource's network — are dropped.
   */
  peers?: { pool: string; own: string };
}

/** The rules isolating `bridge`; `forwardChain` is DOCKER-USER unless that chain is missing. */
export function isolationRules(bridge: string, network: NetworkRef, family: IpFamily, forwardChain: string, opts: GuardOptions = {}): FirewallRule[] {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new HostFirewallError(`invalid bridge interface name ${JSON.stringify(bridge)}`);
  const cidr = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
  if (opts.peers && !(cidr.test(opts.peers.pool) && cidr.test(opts.peers.own))) throw new HostFirewallError(`invalid subnets ${JSON.stringify(opts.peers)}`);
  const notReply = ['-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED'];
  const tail = ['-m', 'comment', '--comment', ruleComment(network), '-j', 'DROP'];
  const rules: FirewallRule[] = [{ family, chain: 'INPUT', spec: ['-i', bridge, ...notReply, ...tail] }];
  if (opts.forward ?? true) rules.push({ family, chain: forwardChain, spec: ['-i', bridge, '!', '-o', bridge, ...notReply, ...tail] });
  else if (opts.peers && family === 'ipv4') {
    // One rule, no ordering to keep: for a new connection its original destination is its destination.
    rules.push({ family, chain: forwardChain, spec: ['-i', bridge, '-d', opts.peers.pool, ...notReply, '!', '--ctorigdst', opts.peers.own, ...tail] });
  }
  return rules;
}

/** Splits one `iptables -S` line into arguments; the nft backend double-quotes comments. */
export function splitRuleLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) cur += line[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

/** The Slipway-tagged rules in `iptables -S CHAIN` output (`-A CHAIN …` lines). */
export function parseTaggedRules(listing: string, family: IpFamily): TaggedRule[] {
  const rules: TaggedRule[] = [];
  for (const line of listing.split('\n')) {
    if (!line.startsWith('-A ') || !line.includes(RULE_TAG)) continue;
    const args = splitRuleLine(line.trim());
    const chain = args[1];
    const ci = args.indexOf('--comment');
    const comment = ci >= 0 ? args[ci + 1] : undefined;
    const ii = args.indexOf('-i');
    const bridge = ii >= 0 ? args[ii + 1] : undefined;
    const [tag, network, networkId] = (comment ?? '').split(':');
    if (!chain || tag !== RULE_TAG || !network || !networkId || !bridge) continue;
    rules.push({ family, chain, spec: args.slice(2), bridge, network, networkId });
  }
  return rules;
}

/** Outcome of one iptables run; a missing binary gives code -1. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (file: string, args: string[]) => Promise<CommandResult>;

const BINARIES: Record<IpFamily, string[]> = {
  ipv4: ['iptables', '/usr/sbin/iptables', '/sbin/iptables'],
  ipv6: ['ip6tables', '/usr/sbin/ip6tables', '/sbin/ip6tables'],
};

/** execFile without a shell; never rejects (the caller reads the code). */
export const execRunner: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown };
      if (e.code === 'ENOENT') return resolve({ code: -1, stdout: '', stderr: `${file}: not found` });
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout: stdout ?? '', stderr: (stderr || e.message || '').toString() });
    });
  });

/** `iptables -C` says this when the rule (not the command) is the problem. */
const RULE_ABSENT = /does a matching rule exist|bad rule/i;

export interface HostFirewallOptions {
  run?: CommandRunner;
  /** Whether a network interface exists in this namespace. Default: /sys/class/net/<name>. */
  interfaceExists?: (name: string) => Promise<boolean>;
}

/**
 * Installs, removes and sweeps the isolation rules. What callers can rely on:
 * - `isolate` is idempotent (checks with `-C` before inserting) and throws `HostFirewallError`
 *   when the rules cannot be put in place (no iptables, not permitted, bridge not visible here).
 * - `release` removes the tagged rules of a network (duplicates included) and never throws.
 * - `sweep` removes the tagged rules its predicate calls stale (default: their bridge is gone)
 *   and never throws.
 */
export class HostFirewall {
  private readonly run: CommandRunner;
  private readonly interfaceExists: (name: string) => Promise<boolean>;
  private readonly binaries = new Map<IpFamily, string>();

  constructor(opts: HostFirewallOptions = {}) {
    this.run = opts.run ?? execRunner;
    this.interfaceExists =
      opts.interfaceExists ??
      ((name) =>
        access(`/sys/class/net/${name}`).then(
          () => true,
          () => false,
        ));
  }

  /** `forward: false`: guard the host (and, given `peers`, the other networks of the pool), leaving the way out open. */
  async isolate(network: NetworkRef, bridge: string, opts: { ipv6?: boolean } & GuardOptions = {}): Promise<void> {
    const fail = (detail: string, cause?: unknown) =>
      new HostFirewallError(`network isolation could not be enforced for network ${network.name} (bridge ${bridge}): ${detail}`, cause);
    if (!(await this.interfaceExists(bridge))) {
      throw fail(`the bridge is not visible in this host's network namespace; Slipway must run on the Docker engine's host, as root, to firewall it`);
    }
    for (const family of opts.ipv6 ? (['ipv4', 'ipv6'] as const) : (['ipv4'] as const)) {
      const forward = (await this.chainExists(family, 'DOCKER-USER')) ? 'DOCKER-USER' : 'FORWARD';
      for (const rule of isolationRules(bridge, network, family, forward, opts)) {
        const check = await this.iptables(family, ['-C', rule.chain, ...rule.spec]);
        if (check.code === 0) continue;
        if (check.code < 0 || !RULE_ABSENT.test(check.stderr)) throw fail(`iptables -C ${rule.chain} failed: ${describe(check)}`);
        const add = await this.iptables(family, ['-I', rule.chain, '1', ...rule.spec]);
        if (add.code !== 0) throw fail(`iptables -I ${rule.chain} failed: ${describe(add)}`);
      }
    }
  }

  /** Removes the tagged rules of the network called `name` (of one incarnation when `id` is given), both families. */
  async release(name: string, id?: string): Promise<void> {
    const wanted = ruleComment({ name, id: id ?? '' }).split(':')[1];
    for (const rule of await this.listTagged()) {
      if (rule.network === wanted && (id === undefined || rule.networkId === id.slice(0, 12))) await this.delete(rule);
    }
  }

  /**
   * Removes tagged rules that `stale` picks (default: their bridge is gone) — those of networks
   * removed while Slipway was not running. Returns how many rules went.
   */
  async sweep(stale?: (rule: TaggedRule) => Promise<boolean>): Promise<number> {
    const isStale = stale ?? (async (rule: TaggedRule) => !(await this.interfaceExists(rule.bridge)));
    let removed = 0;
    for (const rule of await this.listTagged()) {
      if (!(await isStale(rule).catch(() => false))) continue;
      await this.delete(rule);
      removed++;
    }
    return removed;
  }

  /** Every tagged rule in INPUT, DOCKER-USER and FORWARD of both families; unreadable chains are skipped. */
  async listTagged(): Promise<TaggedRule[]> {
    const out: TaggedRule[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const chain of ['INPUT', 'DOCKER-USER', 'FORWARD']) {
        const r = await this.iptables(family, ['-S', chain]);
        if (r.code === 0) out.push(...parseTaggedRules(r.stdout, family));
      }
    }
    return out;
  }

  private async delete(rule: FirewallRule): Promise<void> {
    // Until -D fails: concurrent installers may have left duplicates.
    for (let i = 0; i < 8; i++) {
      const r = await this.iptables(rule.family, ['-D', rule.chain, ...rule.spec]);
      if (r.code !== 0) return;
    }
  }

  private async chainExists(family: IpFamily, chain: string): Promise<boolean> {
    return (await this.iptables(family, ['-S', chain])).code === 0;
  }

  /** Runs iptables/ip6tables with the xtables lock wait; finds the binary outside PATH too (/usr/sbin). */
  private async iptables(family: IpFamily, args: string[]): Promise<CommandResult> {
    const full = ['-w', '10', ...args];
    const known = this.binaries.get(family);
    if (known) return this.run(known, full);
    let last: CommandResult = { code: -1, stdout: '', stderr: `${BINARIES[family][0]}: not found` };
    for (const bin of BINARIES[family]) {
      last = await this.run(bin, full);
      if (last.code >= 0) {
        this.binaries.set(family, bin);
        return last;
      }
    }
    return last;
  }
}

function describe(r: CommandResult): string {
  const text = (r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' ');
  return r.code < 0 ? `${text} (is iptables installed?)` : `exit ${r.code}: ${text}`;
}

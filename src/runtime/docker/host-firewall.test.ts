import { describe, expect, it } from 'vitest';
import {
  bridgeNameFor,
  HostFirewall,
  HostFirewallError,
  isolationRules,
  parseTaggedRules,
  ruleComment,
  splitRuleLine,
  type CommandResult,
} from './host-firewall.js';

const NET = { name: 'slipway-ep-my-endpoint-iso-1a2b3c4d', id: '0123456789abcdef0123456789abcdef' };

describe('bridgeNameFor', () => {
  it('gives a deterministic name within the 15-character interface limit', () => {
    const a = bridgeNameFor(NET.name);
    expect(a).toMatch(/^slw[0-9a-f]{12}$/);
    expect(a.length).toBeLessThanOrEqual(15);
    expect(bridgeNameFor(NET.name)).toBe(a);
    expect(bridgeNameFor(`${NET.name}x`)).not.toBe(a);
  });
});

describe('ruleComment', () => {
  it('names Slipway, the network and its id', () => {
    expect(ruleComment(NET)).toBe('slipway-isolation:slipway-ep-my-endpoint-iso-1a2b3c4d:0123456789ab');
  });

  it('hashes names that would overflow the 256-byte comment limit', () => {
    const c = ruleComment({ name: 'n'.repeat(300), id: NET.id });
    expect(c.length).toBeLessThanOrEqual(255);
    expect(c).toMatch(/^slipway-isolation:sha256-[0-9a-f]{64}:0123456789ab$/);
  });
});

describe('isolationRules', () => {
  it('drops new connections into the host and through it, letting replies and in-bridge traffic pass', () => {
    const rules = isolationRules('slwabc', NET, 'ipv4', 'DOCKER-USER');
    const tail = ['-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED', '-m', 'comment', '--comment', ruleComment(NET), '-j', 'DROP'];
    expect(rules).toEqual([
      { family: 'ipv4', chain: 'INPUT', spec: ['-i', 'slwabc', ...tail] },
      { family: 'ipv4', chain: 'DOCKER-USER', spec: ['-i', 'slwabc', '!', '-o', 'slwabc', ...tail] },
    ]);
  });

  it('guards the host and the other networks of the pool when members keep their way out', () => {
    expect(isolationRules('slwabc', NET, 'ipv4', 'DOCKER-USER', { forward: false }).map((r) => r.chain)).toEqual(['INPUT']);
    const rules = isolationRules('slwabc', NET, 'ipv4', 'DOCKER-USER', { forward: false, peers: { pool: '10.213.0.0/16', own: '10.213.7.0/24' } });
    expect(rules.map((r) => r.chain)).toEqual(['INPUT', 'DOCKER-USER']);
    expect(rules[1]!.spec).toEqual([
      '-i', 'slwabc', '-d', '10.213.0.0/16', '-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED', '!', '--ctorigdst', '10.213.7.0/24',
      '-m', 'comment', '--comment', ruleComment(NET), '-j', 'DROP',
    ]);
    // IPv6 has no pool: the host guard only.
    expect(isolationRules('slwabc', NET, 'ipv6', 'DOCKER-USER', { forward: false, peers: { pool: '10.213.0.0/16', own: '10.213.7.0/24' } })).toHaveLength(1);
    expect(() => isolationRules('slwabc', NET, 'ipv4', 'DOCKER-USER', { forward: false, peers: { pool: '10.0.0.0/8 -j ACCEPT', own: 'x' } })).toThrow(HostFirewallError);
  });

  it('refuses interface names iptables would misread', () => {
    expect(() => isolationRules('-j ACCEPT', NET, 'ipv4', 'FORWARD')).toThrow(HostFirewallError);
    expect(() => isolationRules('a-much-too-long-name', NET, 'ipv4', 'FORWARD')).toThrow(HostFirewallError);
  });
});

describe('splitRuleLine / parseTaggedRules', () => {
  // As iptables v1.8.9 (nf_tables) prints them: states reordered, comments quoted.
  const listing = [
    '-P INPUT ACCEPT',
    '-A INPUT -i slwabc -m conntrack ! --ctstate RELATED,ESTABLISHED -m comment --comment "slipway-isolation:net-a:0123456789ab" -j DROP',
    '-A INPUT -i eth0 -p tcp -m comment --comment "someone else" -j ACCEPT',
    '-A INPUT -i slwzzz -m comment --comment "slipway-isolation-but-not-ours" -j DROP',
    '-A DOCKER-USER -i slwabc ! -o slwabc -m conntrack ! --ctstate RELATED,ESTABLISHED -m comment --comment slipway-isolation:net-a:0123456789ab -j DROP',
    '-A DOCKER-USER -j RETURN',
    '',
  ].join('\n');

  it('splits quoted arguments', () => {
    expect(splitRuleLine('-A X -m comment --comment "a b \\"c\\"" -j DROP')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'a b "c"', '-j', 'DROP']);
  });

  it('finds only Slipway rules, with what -D needs to remove them', () => {
    const rules = parseTaggedRules(listing, 'ipv4');
    expect(rules).toHaveLength(2);
    expect(rules[0]).toEqual({
      family: 'ipv4',
      chain: 'INPUT',
      spec: ['-i', 'slwabc', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED', '-m', 'comment', '--comment', 'slipway-isolation:net-a:0123456789ab', '-j', 'DROP'],
      bridge: 'slwabc',
      network: 'net-a',
      networkId: '0123456789ab',
    });
    expect(rules[1]).toMatchObject({ chain: 'DOCKER-USER', bridge: 'slwabc', network: 'net-a' });
  });
});

/** An in-memory iptables: chains of rule specs, answering like iptables-nft does. */
function fakeIptables(opts: { chains?: string[]; missing?: boolean; denied?: boolean } = {}) {
  const chains = new Map<string, string[][]>((opts.chains ?? ['INPUT', 'FORWARD', 'DOCKER-USER']).map((c) => [c, []]));
  const calls: string[] = [];
  const quote = (a: string) => (a.includes(':') ? `"${a}"` : a);
  const run = async (file: string, args: string[]): Promise<CommandResult> => {
    if (opts.missing) return { code: -1, stdout: '', stderr: `${file}: not found` };
    calls.push(`${file} ${args.join(' ')}`);
    if (opts.denied) return { code: 4, stdout: '', stderr: 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)' };
    if (file.includes('ip6tables')) return { code: 1, stdout: '', stderr: "chain `INPUT' in table `filter' is incompatible, use 'nft' tool." };
    const [, , op, chain, ...rest] = args; // after '-w 10'
    const rules = chains.get(chain!);
    if (!rules) return { code: 1, stdout: '', stderr: `iptables v1.8.9 (nf_tables): chain \`${chain}' in table \`filter' is incompatible, use 'nft' tool.` };
    const same = (r: string[], spec: string[]) => r.join(' ') === spec.join(' ');
    switch (op) {
      case '-S':
        return { code: 0, stdout: [`-N ${chain}`, ...rules.map((r) => `-A ${chain} ${r.map(quote).join(' ')}`)].join('\n') + '\n', stderr: '' };
      case '-C':
        return rules.some((r) => same(r, rest)) ? { code: 0, stdout: '', stderr: '' } : { code: 1, stdout: '', stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).' };
      case '-I':
        rules.unshift(rest.slice(1));
        return { code: 0, stdout: '', stderr: '' };
      case '-D': {
        const i = rules.findIndex((r) => same(r, rest));
        if (i < 0) return { code: 1, stdout: '', stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).' };
        rules.splice(i, 1);
        return { code: 0, stdout: '', stderr: '' };
      }
    }
    return { code: 2, stdout: '', stderr: 'unknown' };
  };
  return { chains, calls, run };
}

describe('HostFirewall', () => {
  const present = async () => true;

  it('inserts both rules at the top of INPUT and DOCKER-USER, once however often it is asked', async () => {
    const ipt = fakeIptables();
    ipt.chains.get('DOCKER-USER')!.push(['-j', 'RETURN']);
    const fw = new HostFirewall({ run: ipt.run, interfaceExists: present });
    await fw.isolate(NET, 'slwabc');
    await fw.isolate(NET, 'slwabc');
    expect(ipt.chains.get('INPUT')).toEqual([isolationRules('slwabc', NET, 'ipv4', 'DOCKER-USER')[0]!.spec]);
    expect(ipt.chains.get('DOCKER-USER')).toEqual([isolationRules('slwabc', NET, 'ipv4', 'DOCKER-USER')[1]!.spec, ['-j', 'RETURN']]);
    expect(ipt.calls.filter((c) => c.includes(' -I '))).toHaveLength(2);
    expect(ipt.calls.every((c) => c.startsWith('iptables -w 10 '))).toBe(true);
  });

  it('uses the top of FORWARD when Docker made no DOCKER-USER chain', async () => {
    const ipt = fakeIptables({ chains: ['INPUT', 'FORWARD'] });
    await new HostFirewall({ run: ipt.run, interfaceExists: present }).isolate(NET, 'slwabc');
    expect(ipt.chains.get('FORWARD')).toEqual([isolationRules('slwabc', NET, 'ipv4', 'FORWARD')[1]!.spec]);
  });

  it('fails with a clear error when iptables is missing or not permitted', async () => {
    for (const ipt of [fakeIptables({ missing: true }), fakeIptables({ denied: true })]) {
      const err = await new HostFirewall({ run: ipt.run, interfaceExists: present }).isolate(NET, 'slwabc').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostFirewallError);
      expect((err as Error).message).toMatch(/^network isolation could not be enforced for network slipway-ep-my-endpoint-iso-1a2b3c4d \(bridge slwabc\): iptables -C INPUT failed: /);
    }
    const missing = await new HostFirewall({ run: fakeIptables({ missing: true }).run, interfaceExists: present }).isolate(NET, 'slwabc').catch((e: Error) => e.message);
    expect(missing).toMatch(/is iptables installed\?/);
  });

  it('refuses a bridge it cannot see (an engine in another network namespace)', async () => {
    const ipt = fakeIptables();
    const err = await new HostFirewall({ run: ipt.run, interfaceExists: async () => false }).isolate(NET, 'slwabc').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostFirewallError);
    expect((err as Error).message).toMatch(/not visible in this host's network namespace/);
    expect(ipt.chains.get('INPUT')).toEqual([]);
  });

  it('releases one network (duplicates included) and leaves other rules alone', async () => {
    const ipt = fakeIptables();
    const fw = new HostFirewall({ run: ipt.run, interfaceExists: present });
    const other = { name: 'other-net', id: 'fedcba9876543210' };
    await fw.isolate(other, 'slwother');
    await fw.isolate(NET, 'slwabc');
    ipt.chains.get('INPUT')!.push(isolationRules('slwabc', NET, 'ipv4', 'DOCKER-USER')[0]!.spec); // a racing installer's duplicate
    await fw.release(NET.name);
    expect(ipt.chains.get('INPUT')).toEqual([isolationRules('slwother', other, 'ipv4', 'DOCKER-USER')[0]!.spec]);
    expect(ipt.chains.get('DOCKER-USER')).toEqual([isolationRules('slwother', other, 'ipv4', 'DOCKER-USER')[1]!.spec]);
  });

  it('releases only the incarnation with the given id', async () => {
    const ipt = fakeIptables();
    const fw = new HostFirewall({ run: ipt.run, interfaceExists: present });
    const again = { name: NET.name, id: 'ffffffffffff0000' };
    await fw.isolate(NET, 'slwabc');
    await fw.isolate(again, 'slwabc');
    await fw.release(NET.name, NET.id);
    expect((await fw.listTagged()).map((r) => r.networkId)).toEqual(['ffffffffffff', 'ffffffffffff']);
  });

  it('sweeps the rules of bridges that are gone', async () => {
    const ipt = fakeIptables();
    const live = new Set(['slwabc', 'slwgone']);
    const fw = new HostFirewall({ run: ipt.run, interfaceExists: async (n) => live.has(n) });
    await fw.isolate(NET, 'slwabc');
    await fw.isolate({ name: 'gone', id: 'aaaaaaaaaaaa' }, 'slwgone');
    live.delete('slwgone');
    expect(await fw.sweep()).toBe(2);
    expect((await fw.listTagged()).map((r) => r.bridge)).toEqual(['slwabc', 'slwabc']);
    // A caller's own notion of stale (the runtime asks Docker whether the network id still exists).
    expect(await fw.sweep(async (r) => r.networkId === NET.id.slice(0, 12))).toBe(2);
    expect(await fw.listTagged()).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { formatCidr, overlaps, parseCidr, parsePool } from '../../platform/cidr.js';
import { gatewayOf, parseRouteTable, pickBlock } from './subnet-pool.js';

const cidr = (s: string) => parseCidr(s)!;

describe('parseCidr / formatCidr', () => {
  it('normalises the base address to the prefix', () => {
    expect(formatCidr(cidr('10.213.7.9/24'))).toBe('10.213.7.0/24');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('256.0.0.0/8')).toBeUndefined();
    expect(parseCidr('fd00::/64')).toBeUndefined();
  });

  it('tells overlapping blocks apart from neighbours', () => {
    expect(overlaps(cidr('10.0.0.0/16'), cidr('10.0.5.0/24'))).toBe(true);
    expect(overlaps(cidr('10.0.0.0/24'), cidr('10.0.1.0/24'))).toBe(false);
  });
});

describe('parsePool', () => {
  it('takes a CIDR with an optional block size', () => {
    expect(parsePool('10.213.0.0/16')).toEqual({ pool: cidr('10.213.0.0/16'), blockPrefix: 24 });
    expect(parsePool('10.213.0.0/16:26').blockPrefix).toBe(26);
  });

  it('refuses what it cannot use, naming the setting', () => {
    for (const bad of ['', 'x', '10.0.0.0/24:16', '10.0.0.0/16:30']) expect(() => parsePool(bad)).toThrow(/SLIPWAY_NETWORK_POOL/);
  });
});

describe('pickBlock', () => {
  const pool = cidr('10.213.0.0/22');
  it('skips blocks that networks or routes use, and gives up when the pool is full', () => {
    const all = [0, 1, 2, 3].map((i) => cidr(`10.213.${i}.0/24`));
    const free = pickBlock(pool, 24, all.slice(0, 3), 'net-a')!;
    expect(formatCidr(free)).toBe('10.213.3.0/24');
    expect(pickBlock(pool, 24, [cidr('10.213.0.0/23'), cidr('10.213.2.0/23')], 'x')).toBeUndefined();
    // A route covering the pool (the host is on that LAN) leaves nothing.
    expect(pickBlock(pool, 24, [cidr('10.0.0.0/8')], 'x')).toBeUndefined();
  });

  it('starts at a block derived from the name, so servers racing for blocks tend to differ', () => {
    const picks = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => formatCidr(pickBlock(cidr('10.213.0.0/16'), 24, [], n)!)));
    expect(picks.size).toBeGreaterThan(1);
    expect(formatCidr(pickBlock(cidr('10.213.0.0/16'), 24, [], 'a')!)).toBe(formatCidr(pickBlock(cidr('10.213.0.0/16'), 24, [], 'a')!));
  });

  it('gives the first host address as gateway', () => {
    expect(gatewayOf(cidr('10.213.7.0/24'))).toBe('10.213.7.1');
  });
});

describe('parseRouteTable', () => {
  it('reads destinations from /proc/net/route, leaving out the default route', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    ].join('\n');
    expect(parseRouteTable(text).map(formatCidr)).toEqual(['172.17.0.0/16', '192.0.2.0/24']);
  });
});

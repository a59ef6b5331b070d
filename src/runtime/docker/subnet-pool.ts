/**
 * @module runtime/docker/subnet-pool — picks the IPv4 subnet of each new Slipway network from a
 * pool of its own (`SLIPWAY_NETWORK_POOL`, default 10.213.0.0/16 in /24 blocks).
 *
 * Why: every endpoint and job gets its own bridge, and Docker's built-in address pools
 * (172.17–31.0.0/16 and 192.168.0.0/16 in /20s) hold only about 30 networks per engine; the 31st
 * `docker network create` fails with "could not find an available, non-overlapping IPv4 address
 * pool" (https://docs.docker.com/reference/cli/dockerd/#default-address-pools). A pool of /24s
 * holds 256 networks per /16. A block is free when it overlaps no subnet of an existing network
 * and no route of the host (a LAN the host is on), so containers never shadow a real network. The
 * engine has the last word: two servers picking the same block at once get "Pool overlaps" for
 * one of them, which then takes the next block.
 */

import { formatIp, mask, overlaps, type Cidr } from '../../platform/cidr.js';

/**
 * A free block of the pool: the first, counting from a start derived from `seed` (so servers
 * creating networks at the same moment tend to pick different blocks), that overlaps nothing in
 * `used`. Undefined when the pool is full.
 */
export function pickBlock(pool: Cidr, blockPrefix: number, used: readonly Cidr[], seed: string): Cidr | undefined {
  const count = 2 ** (blockPrefix - pool.prefix);
  const start = hash(seed) % count;
  for (let i = 0; i < count; i++) {
    const block: Cidr = { base: (pool.base + ((start + i) % count) * 2 ** (32 - blockPrefix)) >>> 0, prefix: blockPrefix };
    if (!used.some((u) => overlaps(block, u))) return block;
  }
  return undefined;
}

/** The gateway Docker should give a block's bridge: its first host address. */
export function gatewayOf(block: Cidr): string {
  return formatIp(block.base + 1);
}

/**
 * The destinations of `/proc/net/route` (little-endian hex columns), default route excluded: the
 * networks this host reaches directly or through a specific route.
 */
export function parseRouteTable(text: string): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const dest = leHex(cols[1]!);
    const m = leHex(cols[7]!);
    if (dest === undefined || m === undefined || m === 0) continue;
    const prefix = 32 - Math.log2(2 ** 32 - m);
    if (!Number.isInteger(prefix)) continue;
    out.push({ base: (dest & mask(prefix)) >>> 0, prefix });
  }
  return out;
}

function leHex(h: string): number | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(h)) return undefined;
  const n = parseInt(h, 16);
  return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

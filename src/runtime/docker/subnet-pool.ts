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

/** An IPv4 block: first address as an unsigned 32-bit number, and prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { base: (addr & mask(prefix)) >>> 0, prefix };
}

/** The valid IPv4 CIDRs among `texts` (IPv6 subnets and blanks are skipped). */
export function parseCidrs(texts: string[]): Cidr[] {
  return texts.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== undefined);
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/**
 * The pool setting: a CIDR, or a CIDR and block size (`10.213.0.0/16` or `10.213.0.0/16:24`).
 * Throws with a readable message for anything else (the server refuses to start).
 */
export function parsePool(text: string): { pool: Cidr; blockPrefix: number } {
  const [cidr, block] = text.split(':');
  const pool = parseCidr(cidr ?? '');
  const blockPrefix = block === undefined ? 24 : Number(block);
  if (!pool || !Number.isInteger(blockPrefix) || blockPrefix < pool.prefix || blockPrefix > 29) {
    throw new Error(`SLIPWAY_NETWORK_POOL must be an IPv4 CIDR, optionally with a block size of /29 or larger (e.g. 10.213.0.0/16 or 10.213.0.0/16:24); got ${JSON.stringify(text)}`);
  }
  return { pool, blockPrefix };
}

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

/**
 * @module platform/cidr — IPv4 CIDR blocks as numbers, and the SLIPWAY_NETWORK_POOL setting read
 * from them (checked when the configuration loads; runtime/docker/subnet-pool picks blocks).
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

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function size(c: Cidr): number {
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

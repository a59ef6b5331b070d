/**
 * @module registry/image-name — splits an image reference into registry host, repository, tag and
 * digest (the grammar of distribution/reference: the first component is a host when it has a `.`
 * or a `:`, or is `localhost`), and tells which hosts are Slipway's registry.
 */

export interface ImageName {
  host?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`: any account and region name Slipway's registry. */
export const ECR_HOST = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/;

export function parseImageName(ref: string): ImageName | undefined {
  let rest = ref.trim();
  if (rest === '' || rest.length > 1024 || /\s/.test(rest)) return undefined;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let host: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      host = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (rest === '' || tag === '' || digest === '') return undefined;
  return { repository: rest, ...(host ? { host } : {}), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** True for ECR host names and for Slipway's own address (`127.0.0.1:<port>`, `localhost:<port>`). */
export function isSlipwayRegistryHost(host: string, ownPort: number | undefined): boolean {
  if (ECR_HOST.test(host)) return true;
  if (ownPort === undefined) return false;
  return host === `127.0.0.1:${ownPort}` || host === `localhost:${ownPort}` || host === `[::1]:${ownPort}`;
}

/**
 * Where the engine reaches Slipway for pulls: loopback when Slipway listens on every address (Docker
 * allows plain HTTP to 127.0.0.0/8 only); the bound address otherwise, which the engine must list
 * in its `insecure-registries` (docs/ecr.md).
 */
export function pullAddress(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '' || host === 'localhost') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The registry address (`host:port`) in an image name for a Slipway URL, e.g. SLIPWAY_ADVERTISE_URL
 * for nodes of a cluster: the port is always written (80 or 443 when the URL has none), since a
 * name without one means 443. Undefined for a URL that is not http(s).
 */
export function registryAddress(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

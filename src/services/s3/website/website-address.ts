/**
 * @module services/s3/website/website-address — which bucket and key a website request names.
 * Two addresses (docs/s3.md "Static websites"):
 *
 *   http://<bucket>.s3-website.localhost:PORT/<key>      virtual host, as S3's website endpoints
 *   http://127.0.0.1:PORT/_slipway/website/<bucket>/<key> path form, for clients that cannot pick a Host
 *
 * `<bucket>.s3-website[-.]<region>.localhost` and S3's own `*.s3-website[-.]<region>.amazonaws.com`
 * names are accepted too (https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteEndpoints.html).
 */

export const WEBSITE_PATH_PREFIX = '/_slipway/website/';

const WEBSITE_HOST = /^(.+)\.s3-website(?:[.-][a-z0-9-]+)?\.(?:localhost|amazonaws\.com)$/;

export interface WebsiteAddress {
  bucket: string;
  /** The object path asked for, percent-decoded, without the leading slash ('' for the root). */
  path: string;
  /** What goes before `/<key>` in a redirect to another key of this site ('' on a virtual host). */
  base: string;
  /** True for the path form, which shares its origin with the console and the API. */
  pathForm: boolean;
}

/** The bucket a website Host names, or undefined when the Host is not a website address. */
export function websiteBucketFromHost(host: string | undefined): string | undefined {
  // Cheap test first: this runs for every request the router sees.
  if (!host || !host.includes('s3-website')) return undefined;
  const h = host.trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return WEBSITE_HOST.exec(h)?.[1];
}

export function isWebsitePath(pathname: string): boolean {
  return pathname.startsWith(WEBSITE_PATH_PREFIX) || pathname === WEBSITE_PATH_PREFIX.slice(0, -1);
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * The address of a website request, from its raw target and Host; undefined when it names no
 * bucket or is not percent-decodable (the caller answers 400 / 404).
 */
export function parseWebsiteAddress(rawUrl: string, host: string | undefined): WebsiteAddress | undefined {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const vhost = websiteBucketFromHost(host);
  if (vhost !== undefined) {
    const path = decode(rawPath.replace(/^\//, ''));
    return path === undefined ? undefined : { bucket: vhost, path, base: '', pathForm: false };
  }
  if (!rawPath.startsWith(WEBSITE_PATH_PREFIX)) return undefined;
  const rest = rawPath.slice(WEBSITE_PATH_PREFIX.length);
  const slash = rest.indexOf('/');
  const bucket = decode(slash < 0 ? rest : rest.slice(0, slash));
  const path = slash < 0 ? '' : decode(rest.slice(slash + 1));
  if (!bucket || path === undefined) return undefined;
  return { bucket, path, base: `${WEBSITE_PATH_PREFIX}${encodeURIComponent(bucket)}`, pathForm: true };
}

/**
 * @module protocol/rest-xml/target — finds the bucket and key an S3 request addresses, in
 * path style (`/bucket/key`) or virtual-hosted style (`Host: bucket.localhost:7447`,
 * `bucket.s3.localhost`, `bucket.s3[.region].amazonaws.com`).
 *
 * Works on the raw request target, never a normalised URL: keys like `a/../../b` or `/etc/x`
 * (empty first segment) are legal S3 keys and must reach the handler byte for byte.
 */
import { ServiceError } from '../errors.js';

export interface S3Target {
  bucket?: string;
  /** Undefined for bucket-level requests (`/bucket` or `/bucket/`). */
  key?: string;
  query: URLSearchParams;
  virtualHost: boolean;
  /** `/bucket/key` for error `<Resource>`. */
  resource: string;
}

const AWS_VHOST = /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/;

/** Bucket named by the Host header, if the request is virtual-hosted style. */
export function bucketFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return undefined; // IPv6 literal
  h = h.replace(/:\d+$/, '').replace(/\.$/, '');
  if (h.endsWith('.localhost')) {
    let label = h.slice(0, -'.localhost'.length);
    if (label === 's3') return undefined;
    if (label.endsWith('.s3')) label = label.slice(0, -3);
    return label || undefined;
  }
  const m = AWS_VHOST.exec(h);
  return m?.[1];
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ServiceError('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

export function resolveTarget(rawUrl: string, host: string | undefined): S3Target {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const vhost = bucketFromHost(host);
  if (vhost !== undefined) {
    const key = path === '' ? undefined : decode(path);
    return { bucket: vhost, key, query, virtualHost: true, resource: `/${vhost}${key !== undefined ? `/${key}` : ''}` };
  }
  if (path === '') return { query, virtualHost: false, resource: '/' };
  const slash = path.indexOf('/');
  const bucket = decode(slash < 0 ? path : path.slice(0, slash));
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  const key = rest === '' ? undefined : decode(rest);
  return { bucket, key, query, virtualHost: false, resource: `/${bucket}${key !== undefined ? `/${key}` : ''}` };
}

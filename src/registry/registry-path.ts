/**
 * @module registry/registry-path — which registry API route a `/v2/…` path names (distribution
 * 2.8's docs/spec/api.md), with the repository name checked against its grammar.
 */

export type RegistryRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload'; name: string; uuid?: string }
  | { kind: 'other'; name: string };

/** A path-component of a repository name (distribution/reference), components joined by `/`. */
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
export const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** distribution limits the whole name to 255 characters; ECR's repository names to 256. */
const MAX_NAME = 256;

const ROUTE = /^\/v2\/(.+)\/(?:(tags\/list)|manifests\/([^/]+)|blobs\/uploads\/([^/]*)|blobs\/([^/]+)|(referrers\/[^/]+))$/;

/** True for every path the registry surface owns (`/v2`, `/v2/…`). */
export function isRegistryPath(pathname: string): boolean {
  return pathname === '/v2' || pathname.startsWith('/v2/');
}

export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME && NAME.test(name);
}

/** The route, or undefined for a `/v2/` path the API does not have (the caller answers 404). */
export function parseRegistryPath(pathname: string): RegistryRoute | { kind: 'invalidName'; name: string } | undefined {
  if (pathname === '/v2' || pathname === '/v2/') return { kind: 'base' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  const m = ROUTE.exec(pathname);
  if (!m) return undefined;
  const name = m[1]!;
  if (!isValidName(name)) return { kind: 'invalidName', name };
  if (m[2] !== undefined) return { kind: 'tags', name };
  if (m[3] !== undefined) return { kind: 'manifest', name, reference: m[3] };
  if (m[4] !== undefined) return m[4] === '' ? { kind: 'upload', name } : { kind: 'upload', name, uuid: m[4] };
  if (m[5] !== undefined) return { kind: 'blob', name, digest: m[5] };
  return { kind: 'other', name };
}

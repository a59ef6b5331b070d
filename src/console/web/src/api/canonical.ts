/**
 * @module console/api/canonical — the SigV4 pieces both signers of the console share (the
 * synchronous presigner in ./sign.ts and the lazily loaded header signer in ./sigv4-request.ts):
 * credentials, services, the region and the canonical query.
 */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** `s3` signs the path as sent and UNSIGNED-PAYLOAD for uploads; the others hash the body. */
export type Service = 'sagemaker' | 'logs' | 's3' | 'slipway';

/** The server accepts any region; the SDKs default to this one. */
export const REGION_FOR_SIGNING = 'us-east-1';

/** RFC 3986 encoding of everything but `A-Za-z0-9-._~`, as SigV4 canonicalises. */
export function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Query pairs, decoded; `+` is a space (the console builds queries with URLSearchParams). */
export function queryPairs(raw: string): [string, string][] {
  if (!raw) return [];
  return raw
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, '%20'));
      return eq >= 0 ? [dec(p.slice(0, eq)), dec(p.slice(eq + 1))] : [dec(p), ''];
    });
}

/** Canonical, sendable query: encoded strictly and sorted, so what is sent is what was signed. */
export function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function splitTarget(target: string): [path: string, query: string] {
  const q = target.indexOf('?');
  return q >= 0 ? [target.slice(0, q), target.slice(q + 1)] : [target, ''];
}

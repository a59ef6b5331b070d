/**
 * @module console/api/sign — SigV4 for the console when the server requires it (credentials
 * configured on the server). The key pair the user typed lives in sessionStorage (this tab only);
 * without one, requests go out unsigned, as a server with authentication off accepts.
 *
 * Requests are signed with @smithy/signature-v4 (./sigv4-request.ts, loaded only once signed in)
 * and the pure-JS SHA-256 of @aws-crypto/sha256-js:
 * WebCrypto's `crypto.subtle` exists only in secure contexts, and a server bound to a LAN address
 * is plain http. URLs that must be usable without headers (downloads, EventSource) are presigned
 * synchronously by `presign` below, which follows the same rules (checked against the server's
 * verifier in sign.test.ts).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { AUTH_ERROR_CODES } from '../../../../protocol/sigv4/auth-error-codes.js';
import { REGION_FOR_SIGNING as REGION, canonicalQuery, enc, queryPairs, splitTarget, type Credentials, type Service } from './canonical.js';

export type { Credentials, Service } from './canonical.js';

const STORAGE_KEY = 'slipway.credentials';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Error codes the server answers when a request lacks a (valid) signature (shared with the CLI). */
export { AUTH_ERROR_CODES };

// Reached through globalThis so this module also type-checks (and its pure parts run) outside a
// browser: the server's test suite imports `presign` to drive a real browser with it.
interface PageGlobals {
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void };
  location: { protocol: string; host: string; hostname: string; port: string };
}
const page = globalThis as unknown as PageGlobals;

export function getCredentials(): Credentials | null {
  try {
    const raw = page.sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const c = JSON.parse(raw) as Partial<Credentials>;
    return c.accessKeyId && c.secretAccessKey ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : null;
  } catch {
    return null;
  }
}

export function setCredentials(c: Credentials | null): void {
  if (c) page.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
  else page.sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * `signRequest` (./sigv4-request.ts) for the page's own origin with the stored credentials;
 * unchanged without any. The signer is loaded on first use: a server without authentication
 * never makes the console download it.
 */
export async function signForPage(target: string, init: RequestInit, service: Service): Promise<{ url: string; init: RequestInit }> {
  const creds = getCredentials();
  if (!creds) return { url: target, init };
  const { signRequest } = await import('./sigv4-request.js');
  return signRequest(target, init, service, creds, page.location);
}

// ---------------------------------------------------------------- synchronous presigning (GET URLs)

function sha256(data: string | Uint8Array, key?: Uint8Array | string): Uint8Array {
  const h = new Sha256(key);
  h.update(data);
  return h.digestSync();
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * A presigned GET URL for `target` (path and query, same origin): signed header `host` only;
 * payload UNSIGNED-PAYLOAD for S3, the empty hash for Slipway's routes. Pure: tested in node.
 */
export function presign(target: string, service: Service, creds: Credentials, host: string, nowMs: number, expiresSeconds: number): string {
  const [path, rawQuery] = splitTarget(target);
  const t = amzDate(nowMs);
  const date = t.slice(0, 8);
  const scope = `${date}/${REGION}/${service}/aws4_request`;
  const qs = canonicalQuery([
    ...queryPairs(rawQuery),
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKeyId}/${scope}`],
    ['X-Amz-Date', t],
    ['X-Amz-Expires', String(expiresSeconds)],
    ['X-Amz-SignedHeaders', 'host'],
  ]);
  const uri = service === 's3' ? path : enc(path).replace(/%2F/g, '/');
  const creq = ['GET', uri, qs, `host:${host}\n`, 'host', service === 's3' ? 'UNSIGNED-PAYLOAD' : EMPTY_SHA256].join('\n');
  const sts = ['AWS4-HMAC-SHA256', t, scope, hex(sha256(creq))].join('\n');
  let key = sha256(date, `AWS4${creds.secretAccessKey}`);
  for (const part of [REGION, service, 'aws4_request']) key = sha256(part, key);
  return `${path}?${qs}&X-Amz-Signature=${hex(sha256(sts, key))}`;
}

/**
 * `target` as a URL usable without headers (an `<a href>` download, an EventSource): presigned
 * for `expiresSeconds` when the user signed in, unchanged otherwise.
 */
export function presignForPage(target: string, service: Service, expiresSeconds = 3600): string {
  const creds = getCredentials();
  return creds ? presign(target, service, creds, page.location.host, Date.now(), expiresSeconds) : target;
}

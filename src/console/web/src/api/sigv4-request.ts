/**
 * @module console/api/sigv4-request — SigV4 header signing of the console's fetches with
 * @smithy/signature-v4 and @aws-crypto/sha256-js (see ./sign.ts for why not WebCrypto). Split from
 * ./sign.ts so the bundle loads it only once the user signed in.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { REGION_FOR_SIGNING, canonicalQuery, queryPairs, splitTarget, type Credentials, type Service } from './canonical.js';

// no-store: the HTTP cache rewrites conditional and Range headers of a request it can partly
// answer (seen with Chromium: Range bytes=0-65535 sent as bytes=0-9), which breaks the signature.
const NO_STORE = { cache: 'no-store' as const };

/**
 * Signs a same-origin request: returns the url to fetch (query re-encoded as signed) and the
 * init with Authorization, X-Amz-Date and x-amz-content-sha256. A Blob body of a non-S3 request
 * is read into memory first, since the server hashes those bodies.
 */
export async function signRequest(
  target: string,
  init: RequestInit,
  service: Service,
  creds: Credentials,
  origin: { protocol: string; host: string; hostname: string; port: string },
  signingDate?: Date,
): Promise<{ url: string; init: RequestInit }> {
  const [path, rawQuery] = splitTarget(target);
  const pairs = queryPairs(rawQuery);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = { host: origin.host };
  for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = v;
  let body = init.body ?? undefined;
  if (body instanceof Blob) {
    if (service !== 's3') body = new Uint8Array(await body.arrayBuffer());
    // S3 takes the declared hash as the payload hash: a file is uploaded unhashed.
    else headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  }
  const signer = new SignatureV4({
    credentials: creds,
    region: REGION_FOR_SIGNING,
    service,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
  });
  const signed = await signer.sign(
    {
      method: (init.method ?? 'GET').toUpperCase(),
      protocol: origin.protocol,
      hostname: origin.hostname,
      ...(origin.port ? { port: Number(origin.port) } : {}),
      path,
      query,
      headers,
      body: body instanceof Blob ? undefined : body,
    },
    signingDate ? { signingDate } : {},
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = v;
  const qs = canonicalQuery(pairs);
  return { url: qs ? `${path}?${qs}` : path, init: Object.assign({}, init, NO_STORE, { headers: out }, body !== undefined ? { body } : {}) };
}

/**
 * @module protocol/sigv4/verify — AWS Signature Version 4 verification, pure: parses the
 * `Authorization` header or a presigned URL's `X-Amz-*` query, checks the clock, rebuilds the
 * canonical request and string to sign, derives the key and compares signatures in constant time.
 * No I/O: the caller supplies the payload hash and the secret (see server/authenticate.ts).
 *
 *   parseAuth(request) ─► ParsedAuth | failure (missing, malformed)
 *   checkTime(parsed, now) ─► skewed (15 min) | expired (presigned X-Amz-Expires)
 *   verifySignature(request, parsed, secret, payloadHash, { s3 })
 *     canonical request = method \n URI \n query \n headers \n\n signed-headers \n payload-hash
 *     string to sign    = AWS4-HMAC-SHA256 \n X-Amz-Date \n scope \n hex(sha256(canonical request))
 *     key               = HMAC("AWS4"+secret, date) → region → service → "aws4_request"
 *
 * Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (header and
 * query auth), https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (S3:
 * URI encoded once, `x-amz-content-sha256` as the payload hash, UNSIGNED-PAYLOAD for presigned URLs).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Hex SHA-256 of the empty string: the payload hash of a request without a body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** How far X-Amz-Date may be from the server's clock, as AWS allows (15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Longest presigned URL lifetime SigV4 allows (7 days). */
export const MAX_PRESIGNED_EXPIRES_S = 604_800;

/** The parts of an HTTP request a signature covers. */
export interface SignedRequest {
  method: string;
  /** The request target exactly as sent (`req.url`): raw path plus optional `?query`. */
  url: string;
  /** Lower-cased header map (Node's `req.headers`), for Authorization and X-Amz-Date. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Node's `req.rawHeaders` (`[name, value, ...]`): keeps repeated headers apart so they are
   * joined with `,` as SigV4 requires (Node's `headers` joins them with `, `). Falls back to `headers`.
   */
  rawHeaders?: readonly string[];
}

export interface ParsedAuth {
  presigned: boolean;
  accessKeyId: string;
  /** `yyyymmdd` of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** `yyyymmddThhmmssZ`. */
  amzDate: string;
  /** Presigned URLs only: X-Amz-Expires in seconds. */
  expiresSeconds?: number;
}

/** Why a request is not authenticated; server/authenticate.ts turns each into the surface's error code. */
export type AuthFailure =
  | { kind: 'missing' }
  | { kind: 'malformed'; message: string; presigned: boolean }
  | { kind: 'skewed'; requestTime: string; serverTime: string; future: boolean }
  | { kind: 'expired'; expiresAt: string; serverTime: string; expiresSeconds: number }
  | { kind: 'badSignature'; canonicalRequest: string; stringToSign: string; provided: string };

export const isFailure = (v: ParsedAuth | AuthFailure | true): v is AuthFailure => v !== true && 'kind' in v;

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const AMZ_DATE = /^\d{8}T\d{6}Z$/;

/**
 * Reads who signed the request and how: the `Authorization` header (header auth) or the
 * `X-Amz-Algorithm`… query parameters (presigned URL). `missing` when neither is there.
 */
export function parseAuth(req: SignedRequest): ParsedAuth | AuthFailure {
  const auth = header(req.headers, 'authorization');
  if (auth !== undefined) return parseHeaderAuth(req, auth);
  const q = req.url.indexOf('?');
  if (q >= 0) {
    const query = req.url.slice(q + 1);
    if (/(?:^|&)X-Amz-Algorithm=/.test(query)) return parseQueryAuth(new URLSearchParams(query));
    // Signature Version 2 presigned URLs (boto3's generate_presigned_url without signature_version='s3v4').
    if (/(?:^|&)AWSAccessKeyId=/.test(query) && /(?:^|&)Signature=/.test(query)) {
      return { kind: 'malformed', message: `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`, presigned: true };
    }
  }
  return { kind: 'missing' };
}

function parseHeaderAuth(req: SignedRequest, auth: string): ParsedAuth | AuthFailure {
  const malformed = (message: string): AuthFailure => ({ kind: 'malformed', message, presigned: false });
  if (!auth.startsWith(`${ALGORITHM} `)) {
    return malformed(`The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  for (const [name, v] of [['Credential', credential], ['SignedHeaders', signedHeaders], ['Signature', signature]] as const) {
    if (!v) return malformed(`Authorization header requires '${name}' parameter. Authorization=${auth.split(' ')[0]}`);
  }
  let amzDate = header(req.headers, 'x-amz-date');
  if (amzDate === undefined) {
    // SigV4 also accepts the Date header; SDKs always send X-Amz-Date.
    const date = header(req.headers, 'date');
    const ms = date === undefined ? NaN : Date.parse(date);
    if (Number.isNaN(ms)) return malformed("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    amzDate = toAmzDate(ms);
  }
  return finish(credential!, signedHeaders!, signature!, amzDate, false, undefined);
}

function parseQueryAuth(q: URLSearchParams): ParsedAuth | AuthFailure {
  const malformed = (message: string): AuthFailure => ({ kind: 'malformed', message, presigned: true });
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) return malformed(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const names = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'] as const;
  const missing = names.filter((n) => !q.get(n));
  if (missing.length > 0) {
    return malformed(`Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.`);
  }
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 0) return malformed('X-Amz-Expires should be a number');
  if (expires > MAX_PRESIGNED_EXPIRES_S) return malformed('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  return finish(q.get('X-Amz-Credential')!, q.get('X-Amz-SignedHeaders')!, q.get('X-Amz-Signature')!, q.get('X-Amz-Date')!, true, expires);
}

function finish(
  credential: string,
  signedHeaders: string,
  signature: string,
  amzDate: string,
  presigned: boolean,
  expiresSeconds: number | undefined,
): ParsedAuth | AuthFailure {
  const malformed = (message: string): AuthFailure => ({ kind: 'malformed', message, presigned });
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '') || parts[4] !== 'aws4_request') {
    return malformed(`Credential should be scoped to a valid region, service and 'aws4_request' terminator: ${credential}`);
  }
  if (!AMZ_DATE.test(amzDate) || Number.isNaN(amzDateMs(amzDate))) return malformed(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (date !== amzDate.slice(0, 8)) return malformed(`Invalid credential date "${date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  return {
    presigned,
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature: signature.toLowerCase(),
    amzDate,
    ...(expiresSeconds !== undefined ? { expiresSeconds } : {}),
  };
}

export function amzDateMs(amzDate: string): number {
  return Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );
}

export function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Header auth: X-Amz-Date within 15 minutes of `nowMs`. Presigned: not before X-Amz-Date − 15 min
 * and not after X-Amz-Date + X-Amz-Expires.
 */
export function checkTime(parsed: ParsedAuth, nowMs: number): AuthFailure | undefined {
  const t = amzDateMs(parsed.amzDate);
  const serverTime = toAmzDate(nowMs);
  if (parsed.presigned) {
    const expiresAt = t + (parsed.expiresSeconds ?? 0) * 1000;
    if (nowMs > expiresAt) return { kind: 'expired', expiresAt: toAmzDate(expiresAt), serverTime, expiresSeconds: parsed.expiresSeconds ?? 0 };
    if (t - nowMs > MAX_SKEW_MS) return { kind: 'skewed', requestTime: parsed.amzDate, serverTime, future: true };
    return undefined;
  }
  if (Math.abs(nowMs - t) > MAX_SKEW_MS) return { kind: 'skewed', requestTime: parsed.amzDate, serverTime, future: t > nowMs };
  return undefined;
}

/** RFC 3986 percent-encoding of everything but unreserved characters (`A-Za-z0-9-._~`). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The canonical URI. S3 signs the path as sent (encoded once, not normalised); every other
 * service signs the normalised path (no `.`/`..`/empty segments) encoded again, i.e. twice.
 */
export function canonicalUri(rawPath: string, s3: boolean): string {
  if (s3) return rawPath === '' ? '/' : rawPath;
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const normalised = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalised).replace(/%2F/g, '/');
}

/**
 * The canonical query: every parameter (but a presigned URL's X-Amz-Signature) decoded, then
 * RFC 3986-encoded, sorted by name and then value. `+` stays a literal plus (SDKs send spaces as %20).
 */
export function canonicalQuery(rawQuery: string, presigned: boolean): string {
  if (rawQuery === '') return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = uriEncode(decode(eq >= 0 ? part.slice(0, eq) : part));
    const v = eq >= 0 ? uriEncode(decode(part.slice(eq + 1))) : '';
    if (presigned && k === 'X-Amz-Signature') continue;
    pairs.push([k, v]);
  }
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Values of each signed header, repeated headers joined with `,`, whitespace runs collapsed. */
export function canonicalHeaders(req: SignedRequest, signedHeaders: readonly string[]): string {
  const values = new Map<string, string[]>(signedHeaders.map((h) => [h, []]));
  if (req.rawHeaders) {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      values.get(req.rawHeaders[i]!.toLowerCase())?.push(req.rawHeaders[i + 1]!);
    }
  } else {
    for (const h of signedHeaders) {
      const v = req.headers[h];
      if (v !== undefined) values.get(h)!.push(...(Array.isArray(v) ? v : [v]));
    }
  }
  return signedHeaders.map((h) => `${h}:${values.get(h)!.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`).join('');
}

export function canonicalRequest(req: SignedRequest, parsed: ParsedAuth, payloadHash: string, opts: { s3: boolean }): string {
  const q = req.url.indexOf('?');
  const rawPath = q >= 0 ? req.url.slice(0, q) : req.url;
  const rawQuery = q >= 0 ? req.url.slice(q + 1) : '';
  return [
    req.method.toUpperCase(),
    canonicalUri(rawPath, opts.s3),
    canonicalQuery(rawQuery, parsed.presigned),
    canonicalHeaders(req, parsed.signedHeaders),
    parsed.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function scopeOf(parsed: Pick<ParsedAuth, 'date' | 'region' | 'service'>): string {
  return `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`;
}

export function stringToSign(parsed: ParsedAuth, canonical: string): string {
  return [ALGORITHM, parsed.amzDate, scopeOf(parsed), sha256Hex(canonical)].join('\n');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

// Keys change once a day per (secret, region, service): caching them saves four HMACs per request.
const keyCache = new Map<string, Buffer>();
const KEY_CACHE_MAX = 256;

/** The HMAC key chain: `"AWS4" + secret` → date → region → service → `aws4_request`. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\0${date}\0${region}\0${service}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

export function signature(secret: string, parsed: ParsedAuth, sts: string): string {
  return createHmac('sha256', signingKey(secret, parsed.date, parsed.region, parsed.service)).update(sts, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex strings (length is not secret: it is always 64). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Recomputes the signature with `secret` and compares it to the one sent. `payloadHash` is the
 * hex SHA-256 of the body, or for S3 the `x-amz-content-sha256` value as sent (a hash,
 * `UNSIGNED-PAYLOAD`, `STREAMING-…`); presigned S3 URLs use `UNSIGNED-PAYLOAD`.
 */
export function verifySignature(
  req: SignedRequest,
  parsed: ParsedAuth,
  secret: string,
  payloadHash: string,
  opts: { s3: boolean },
): true | AuthFailure {
  const canonical = canonicalRequest(req, parsed, payloadHash, opts);
  const sts = stringToSign(parsed, canonical);
  if (safeEqual(signature(secret, parsed, sts), parsed.signature)) return true;
  return { kind: 'badSignature', canonicalRequest: canonical, stringToSign: sts, provided: parsed.signature };
}

/**
 * @module services/s3/cors — bucket CORS: Put/Get/DeleteBucketCors, the `OPTIONS` preflight, and
 * the Access-Control-* headers of requests that carry an Origin. Rules are evaluated in order, the
 * first whose origin, method and requested headers all match wins (one `*` wildcard per origin or
 * header pattern). https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOBJECTOPTIONS.html
 *
 *   request with Origin ─► rules of the bucket (one lookup; none without Origin) ─► headers
 */
import { ServiceError } from '../../protocol/errors.js';
import { NoSuchBucket, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody, type XmlValue } from '../../protocol/rest-xml/xml.js';
import type { CorsRule } from '../../storage/s3-backend.js';
import { header, sendEmpty, sendXml, type BucketCall } from './call.js';

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
const MAX_RULES = 100;

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x.trim() : String(x)));
}

function parseRules(body: Buffer | string): CorsRule[] {
  const doc = parseXml(body)['CORSConfiguration'];
  if (!doc || typeof doc !== 'object') throw S3Errors.malformedXml();
  const raw = (doc as Record<string, unknown>)['CORSRule'];
  const rules = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Record<string, unknown>[];
  if (rules.length === 0 || rules.length > MAX_RULES) throw S3Errors.malformedXml();
  return rules.map((r) => {
    const rule: CorsRule = {
      allowedMethods: list(r['AllowedMethod']),
      allowedOrigins: list(r['AllowedOrigin']),
      allowedHeaders: list(r['AllowedHeader']),
      exposeHeaders: list(r['ExposeHeader']),
    };
    if (typeof r['ID'] === 'string') rule.id = r['ID'];
    if (r['MaxAgeSeconds'] !== undefined) {
      const n = Number(String(r['MaxAgeSeconds']).trim());
      if (!Number.isInteger(n) || n < 0) throw S3Errors.malformedXml();
      rule.maxAgeSeconds = n;
    }
    if (rule.allowedMethods.length === 0 || rule.allowedOrigins.length === 0) throw S3Errors.malformedXml();
    for (const m of rule.allowedMethods) {
      if (!METHODS.has(m)) throw S3Errors.invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    }
    for (const o of [...rule.allowedOrigins, ...rule.allowedHeaders]) {
      if ((o.match(/\*/g) ?? []).length > 1) throw S3Errors.invalidRequest(`AllowedOrigin/AllowedHeader "${o}" can not have more than one wildcard.`);
    }
    return rule;
  });
}

export async function putBucketCors(call: BucketCall): Promise<void> {
  const rules = parseRules(await readSmallBody(call.req, 64 * 1024));
  await call.store.setBucketCors(call.bucket, rules);
  sendEmpty(call, 200);
}

export async function getBucketCors(call: BucketCall): Promise<void> {
  const rules = await call.store.getBucketCors(call.bucket);
  if (!rules) throw S3Errors.noSuchConfiguration('NoSuchCORSConfiguration', 'The CORS configuration does not exist', call.bucket);
  const xml: XmlValue[] = rules.map((r) => ({
    ID: r.id,
    AllowedHeader: r.allowedHeaders,
    AllowedMethod: r.allowedMethods,
    AllowedOrigin: r.allowedOrigins,
    ExposeHeader: r.exposeHeaders,
    MaxAgeSeconds: r.maxAgeSeconds,
  }));
  sendXml(call, 200, 'CORSConfiguration', { CORSRule: xml });
}

export async function deleteBucketCors(call: BucketCall): Promise<void> {
  await call.store.setBucketCors(call.bucket, undefined);
  sendEmpty(call, 204);
}

/** `pattern` with at most one `*` against `value`. */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

function matchRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[]): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcard(o, origin)) &&
      r.allowedMethods.includes(method) &&
      requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcard(a, h, true))),
  );
}

function allowHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const h: Record<string, string> = {
    'access-control-allow-origin': rule.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (h['access-control-allow-origin'] !== '*') h['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length) h['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(rule.maxAgeSeconds);
  return h;
}

/**
 * Access-Control-* headers for a request with an Origin (set before the operation answers, errors
 * included). The rule is matched by Access-Control-Request-Method when sent, else by the method.
 */
export async function applyCors(call: BucketCall, origin: string): Promise<void> {
  const rules = await call.store.getBucketCors(call.bucket).catch(() => undefined);
  if (!rules) return;
  const method = header(call.req, 'access-control-request-method') ?? (call.req.method ?? 'GET').toUpperCase();
  const rule = matchRule(rules, origin, method, []);
  if (rule) for (const [k, v] of Object.entries(allowHeaders(rule, origin))) call.res.setHeader(k, v);
}

/**
 * `OPTIONS` on a bucket or object: 400 without Origin or Access-Control-Request-Method, 403 when
 * no rule allows the origin, method and every requested header, else 200 with the rule's headers.
 */
export async function preflight(call: BucketCall): Promise<void> {
  call.req.resume();
  const origin = header(call.req, 'origin');
  if (origin === undefined) throw new ServiceError('BadRequest', 'Insufficient information. Origin request header needed.', 400);
  const method = header(call.req, 'access-control-request-method');
  if (method === undefined) throw new ServiceError('BadRequest', 'Invalid Access-Control-Request-Method: null', 400);
  if (!(await call.store.bucketExists(call.bucket))) throw new NoSuchBucket(call.bucket);
  const rules = (await call.store.getBucketCors(call.bucket)) ?? [];
  const requested = (header(call.req, 'access-control-request-headers') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const rule = matchRule(rules, origin, method, requested);
  if (!rule) {
    throw new ServiceError(
      'AccessForbidden',
      rules.length
        ? 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.'
        : 'CORSResponse: CORS is not enabled for this bucket.',
      403,
      { extra: { Method: method, ResourceType: call.target.key === undefined ? 'BUCKET' : 'OBJECT' } },
    );
  }
  const headers = allowHeaders(rule, origin);
  if (requested.length) headers['access-control-allow-headers'] = requested.join(', ');
  sendEmpty(call, 200, headers);
}

/**
 * @module console/api/client — the console's only way to the server: the same public wire
 * protocols the SDKs use (SageMaker and Logs JSON 1.1, S3 REST path-style, SageMaker Runtime).
 * Sent unsigned until the server asks for a signature (403 MissingAuthenticationToken, ...);
 * then the sign-in form asks for a key pair and every request is SigV4-signed (./sign.ts).
 * Errors come back as `ApiError` with the AWS code and message.
 */
import { requestSignIn } from '../components/sign-in.js';
import { AUTH_ERROR_CODES, getCredentials, presignForPage, signForPage, type Service } from './sign.js';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  /** The server does not implement this operation (yet): show "not available", not an error. */
  get unavailable(): boolean {
    return this.code === 'UnknownOperationException' || this.code === 'UnknownOperation';
  }
}

/** The AWS error code of a 403 answered for a missing or bad signature, else undefined. */
async function authErrorCode(res: Response): Promise<string | undefined> {
  if (res.status !== 403) return undefined;
  let code = res.headers.get('x-amzn-errortype')?.split(':')[0];
  if (!code) {
    const text = await res.clone().text().catch(() => '');
    code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? /"__type"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  }
  return code && AUTH_ERROR_CODES.has(code) ? code : undefined;
}

/**
 * fetch for the public APIs and Slipway's data routes: signed when the user signed in; on an
 * authentication error, asks for a key pair (once for all calls in flight) and retries signed.
 */
export async function apiFetch(target: string, init: RequestInit, service: Service): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const used = JSON.stringify(getCredentials());
    const signed = await signForPage(target, init, service);
    const res = await fetch(signed.url, signed.init);
    const code = attempt < 5 ? await authErrorCode(res) : undefined;
    if (!code) return res;
    // Signed in (again) while this call was in flight: retry with the new key, do not ask again.
    if (JSON.stringify(getCredentials()) !== used) continue;
    if (!(await requestSignIn(code))) return res;
  }
}

/**
 * A same-origin GET URL usable without headers (downloads, EventSource): presigned when signed
 * in, for an hour (S3) or 12 hours (Slipway's routes: an EventSource reconnects with the same URL).
 */
export const presignedUrl = (target: string, service: Service = 's3') => presignForPage(target, service, service === 's3' ? 3600 : 43_200);

// A type-only view of JSON documents: callers narrow with their own interfaces.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** Operations the server answered UnknownOperationException for: not asked again this session. */
const unavailableOps = new Map<string, ApiError>();

async function json11(target: string, op: string, body: unknown, signal?: AbortSignal): Promise<Json> {
  const known = unavailableOps.get(`${target}.${op}`);
  if (known) throw known;
  const res = await apiFetch(
    '/',
    {
      method: 'POST',
      headers: { 'X-Amz-Target': `${target}.${op}`, 'Content-Type': 'application/x-amz-json-1.1' },
      body: JSON.stringify(body ?? {}),
      signal,
    },
    target === 'SageMaker' ? 'sagemaker' : 'logs',
  );
  const text = await res.text();
  let parsed: Json = {};
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
  }
  if (!res.ok) {
    const rawType = String(parsed.__type ?? res.headers.get('x-amzn-errortype') ?? `HTTP${res.status}`);
    // `__type` may carry a namespace (`com.amazonaws...#Code`) and the header a `:url` suffix.
    const code = rawType.split('#').pop()!.split(':')[0]!;
    const err = new ApiError(code, String(parsed.message ?? parsed.Message ?? res.statusText), res.status);
    if (err.unavailable) unavailableOps.set(`${target}.${op}`, err);
    throw err;
  }
  return parsed;
}

/** Calls a SageMaker operation, e.g. `sm('ListTrainingJobs', { MaxResults: 100 })`. */
export const sm = (op: string, body: unknown = {}, signal?: AbortSignal) => json11('SageMaker', op, body, signal);
/** Calls a CloudWatch Logs operation, e.g. `logs('GetLogEvents', {...})`. */
export const logs = (op: string, body: unknown = {}, signal?: AbortSignal) => json11('Logs_20140328', op, body, signal);

/** Follows NextToken until `max` items or the end; `key` names the list field of the output. */
export async function listAll(op: string, key: string, body: Record<string, unknown> = {}, max = 5000): Promise<Json[]> {
  const items: Json[] = [];
  let token: string | undefined;
  do {
    const out = await sm(op, { ...body, MaxResults: 100, ...(token ? { NextToken: token } : {}) });
    items.push(...((out[key] as Json[]) ?? []));
    token = out.NextToken;
  } while (token && items.length < max);
  return items;
}

// ---------------------------------------------------------------- S3 (REST-XML, path-style)

export interface S3Bucket {
  name: string;
  created: string;
}
export interface S3Listing {
  prefixes: string[];
  objects: { key: string; size: number; lastModified: string; etag: string }[];
  nextToken?: string;
}

function s3Path(bucket: string, key?: string): string {
  const k = key === undefined ? '' : '/' + key.split('/').map(encodeURIComponent).join('/');
  return `/${encodeURIComponent(bucket)}${k}`;
}

async function s3Fetch(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await apiFetch(path, init, 's3');
  if (!res.ok) {
    const text = init.method === 'HEAD' ? '' : await res.text();
    const doc = text ? new DOMParser().parseFromString(text, 'application/xml') : null;
    const code = doc?.querySelector('Code')?.textContent ?? `HTTP${res.status}`;
    const message = doc?.querySelector('Message')?.textContent ?? res.statusText;
    throw new ApiError(code, message, res.status);
  }
  return res;
}

function xml(text: string): Document {
  return new DOMParser().parseFromString(text, 'application/xml');
}
const childText = (el: Element, name: string) => el.getElementsByTagName(name)[0]?.textContent ?? '';

export async function listBuckets(): Promise<S3Bucket[]> {
  // Without an `Accept: text/html` header the router sends `GET /` to S3, not the console.
  const res = await s3Fetch('/', { headers: { Accept: 'application/xml' } });
  const doc = xml(await res.text());
  return [...doc.getElementsByTagName('Bucket')].map((b) => ({ name: childText(b, 'Name'), created: childText(b, 'CreationDate') }));
}

export async function createBucket(name: string): Promise<void> {
  await s3Fetch(s3Path(name), { method: 'PUT' });
}

export async function listObjects(bucket: string, prefix: string, token?: string): Promise<S3Listing> {
  const q = new URLSearchParams({ 'list-type': '2', delimiter: '/', prefix, 'max-keys': '1000' });
  if (token) q.set('continuation-token', token);
  const res = await s3Fetch(`${s3Path(bucket)}?${q}`);
  const doc = xml(await res.text());
  return {
    prefixes: [...doc.getElementsByTagName('CommonPrefixes')].map((p) => childText(p, 'Prefix')),
    objects: [...doc.getElementsByTagName('Contents')].map((c) => ({
      key: childText(c, 'Key'),
      size: Number(childText(c, 'Size')),
      lastModified: childText(c, 'LastModified'),
      etag: childText(c, 'ETag'),
    })),
    nextToken: doc.getElementsByTagName('NextContinuationToken')[0]?.textContent || undefined,
  };
}

/** URL for GET of an object (used for downloads and previews); presigned for an hour when signed in. */
export const objectUrl = (bucket: string, key: string) => presignedUrl(s3Path(bucket, key));

export async function getObjectText(bucket: string, key: string, maxBytes = 64 * 1024): Promise<{ text: string; type: string; truncated: boolean }> {
  const res = await s3Fetch(s3Path(bucket, key), { headers: { Range: `bytes=0-${maxBytes - 1}` } });
  const text = await res.text();
  return { text, type: res.headers.get('content-type') ?? '', truncated: res.status === 206 && text.length >= maxBytes - 4 };
}

export async function putObject(bucket: string, key: string, body: Blob, contentType?: string): Promise<void> {
  await s3Fetch(s3Path(bucket, key), { method: 'PUT', body, headers: contentType ? { 'Content-Type': contentType } : {} });
}

export async function deleteObject(bucket: string, key: string): Promise<void> {
  await s3Fetch(s3Path(bucket, key), { method: 'DELETE' });
}

/** Parses `s3://bucket/key` into its parts, or null. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | null {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return m ? { bucket: m[1]!, key: m[2]! } : null;
}

// ---------------------------------------------------------------- SageMaker Runtime

export interface InvokeResult {
  status: number;
  ok: boolean;
  body: string;
  contentType: string;
  variant: string | null;
  latencyMs: number;
  errorCode?: string;
  errorMessage?: string;
}

export async function invokeEndpoint(name: string, body: BodyInit, contentType: string, accept?: string): Promise<InvokeResult> {
  const started = performance.now();
  const res = await apiFetch(
    `/endpoints/${encodeURIComponent(name)}/invocations`,
    { method: 'POST', headers: { 'Content-Type': contentType, ...(accept ? { Accept: accept } : {}) }, body },
    'sagemaker',
  );
  const text = await res.text();
  const latencyMs = performance.now() - started;
  const result: InvokeResult = {
    status: res.status,
    ok: res.ok,
    body: text,
    contentType: res.headers.get('content-type') ?? '',
    variant: res.headers.get('x-amzn-invoked-production-variant'),
    latencyMs,
  };
  if (!res.ok) {
    result.errorCode = res.headers.get('x-amzn-errortype')?.split(':')[0] ?? undefined;
    try {
      const parsed = JSON.parse(text);
      result.errorMessage = parsed.message ?? parsed.Message ?? text;
      result.errorCode ??= parsed.__type ?? parsed.ErrorCode;
    } catch {
      result.errorMessage = text;
    }
  }
  return result;
}

// ---------------------------------------------------------------- Slipway's own routes

export interface Health {
  status: string;
  version: string;
  uptimeSeconds: number;
  docker: { reachable: boolean };
  disk?: { home?: string; usedBytes?: number; freeBytes?: number; totalBytes?: number };
}

export async function health(): Promise<Health> {
  const res = await fetch('/_slipway/health');
  if (!res.ok) throw new ApiError(`HTTP${res.status}`, 'Health check failed', res.status);
  return (await res.json()) as Health;
}

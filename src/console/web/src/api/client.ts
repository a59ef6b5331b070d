/**
 * @module console/api/client — the console's only way to the server: the same public wire
 * protocols the SDKs use (SageMaker and Logs JSON 1.1, S3 REST path-style, SageMaker Runtime),
 * sent unsigned. Errors come back as `ApiError` with the AWS code and message.
 */

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

// A type-only view of JSON documents: callers narrow with their own interfaces.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** Operations the server answered UnknownOperationException for: not asked again this session. */
const unavailableOps = new Map<string, ApiError>();

async function json11(target: string, op: string, body: unknown, signal?: AbortSignal): Promise<Json> {
  const known = unavailableOps.get(`${target}.${op}`);
  if (known) throw known;
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'X-Amz-Target': `${target}.${op}`, 'Content-Type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(body ?? {}),
    signal,
  });
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
  const res = await fetch(path, init);
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

/** URL for GET of an object (used for downloads and previews). */
export const objectUrl = (bucket: string, key: string) => s3Path(bucket, key);

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
  const res = await fetch(`/endpoints/${encodeURIComponent(name)}/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...(accept ? { Accept: accept } : {}) },
    body,
  });
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

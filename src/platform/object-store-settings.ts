/**
 * @module platform/object-store-settings — where object bytes live (README configuration table,
 * docs/cluster.md "Objects on any S3"): the data directory (default), or any S3-compatible store
 * named by `SLIPWAY_OBJECT_STORE_URL=s3://bucket/prefix`.
 *
 * The foreign store is reached with the AWS SDK's usual settings, read here once so nothing else
 * in the process (Slipway's own API keys, `SLIPWAY_ACCESS_KEY_ID`) is affected: credentials from
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` (else the SDK's default chain:
 * profile, container or instance role), region `AWS_REGION`/`AWS_DEFAULT_REGION`, endpoint
 * `AWS_ENDPOINT_URL_S3` then `AWS_ENDPOINT_URL`, as in the
 * [service-specific endpoints](https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html) convention.
 */

export interface ForeignStoreSettings {
  /** As given, for messages. */
  url: string;
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
  region: string;
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`): the default with a custom endpoint, as S3-compatible stores expect. */
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  connectTimeoutMs: number;
  /** Longest silence on a connection before the request fails (a stalled store never hangs a request). */
  requestTimeoutMs: number;
  /**
   * Unreferenced blobs younger than this survive the sweep (SLIPWAY_OBJECT_STORE_SWEEP_GRACE_SECONDS,
   * default one day: another replica may be between its write and its commit; one server alone may set 0).
   */
  sweepGraceMs?: number;
}

export type ObjectStoreSettings = { kind: 'directory' } | ({ kind: 's3' } & ForeignStoreSettings);

/** S3's bucket naming rules, loosely: S3-compatible stores accept a little more (dots, uppercase in old buckets). */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

export function objectStoreSettings(env: NodeJS.ProcessEnv): ObjectStoreSettings {
  const url = env.SLIPWAY_OBJECT_STORE_URL?.trim();
  if (!url) return { kind: 'directory' };
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m || !BUCKET.test(m[1]!)) {
    throw new Error(`SLIPWAY_OBJECT_STORE_URL must look like s3://bucket or s3://bucket/prefix (got ${JSON.stringify(url)})`);
  }
  const rawPrefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  const endpoint = (env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL)?.trim() || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) throw new Error(`AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL must be an http(s) URL (got ${JSON.stringify(endpoint)})`);
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (Boolean(id) !== Boolean(secret)) throw new Error('SLIPWAY_OBJECT_STORE_URL: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (the SDK default chain)');
  const style = (env.SLIPWAY_OBJECT_STORE_ADDRESSING ?? (endpoint ? 'path' : 'virtual')).toLowerCase();
  if (style !== 'path' && style !== 'virtual') throw new Error(`SLIPWAY_OBJECT_STORE_ADDRESSING must be path or virtual (got ${env.SLIPWAY_OBJECT_STORE_ADDRESSING})`);
  const timeout = Number(env.SLIPWAY_OBJECT_STORE_TIMEOUT_SECONDS ?? 30);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`invalid SLIPWAY_OBJECT_STORE_TIMEOUT_SECONDS: ${env.SLIPWAY_OBJECT_STORE_TIMEOUT_SECONDS}`);
  const grace = Number(env.SLIPWAY_OBJECT_STORE_SWEEP_GRACE_SECONDS ?? 86_400);
  if (!Number.isFinite(grace) || grace < 0) throw new Error(`invalid SLIPWAY_OBJECT_STORE_SWEEP_GRACE_SECONDS: ${env.SLIPWAY_OBJECT_STORE_SWEEP_GRACE_SECONDS}`);
  return {
    kind: 's3',
    url,
    bucket: m[1]!,
    prefix: rawPrefix ? `${rawPrefix}/` : '',
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: style === 'path',
    ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } } : {}),
    connectTimeoutMs: Math.min(5000, timeout * 1000),
    requestTimeoutMs: timeout * 1000,
    sweepGraceMs: grace * 1000,
  };
}

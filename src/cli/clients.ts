/**
 * @module cli/clients — AWS SDK v3 clients pointed at a Slipway server (the public API only), and
 * the translation of SDK/network failures into `CliError`s with the next step to take.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CliError, EXIT, type GlobalOptions } from './context.js';
import { AUTH_ERROR_CODES } from '../protocol/sigv4/auth-error-codes.js';

export interface Clients {
  url: string;
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  s3: S3Client;
  logs: CloudWatchLogsClient;
}

export function createClients(g: GlobalOptions): Clients {
  // The SDK warns about Node 20's support window on every CLI run; that is noise for CLI users
  // (the project targets Node 20). An explicit setting in the environment still wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const config = {
    endpoint: g.endpointUrl,
    region,
    credentials: cliCredentials(region),
    // A server that is down should be reported at once, not after three backed-off retries.
    maxAttempts: 1,
  };
  return {
    url: g.endpointUrl,
    sagemaker: new SageMakerClient(config),
    runtime: new SageMakerRuntimeClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    logs: new CloudWatchLogsClient(config),
  };
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
type CredentialsOption = Credentials | (() => Promise<Credentials>);

/** What a server without authentication accepts (it takes any key). */
const ANY_KEY: Credentials = { accessKeyId: 'slipway', secretAccessKey: 'slipway' };

/**
 * Credentials for the CLI's SDK clients. A server with authentication on (SLIPWAY_ACCESS_KEY_ID …)
 * needs a configured key: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a profile (AWS_PROFILE,
 * ~/.aws/credentials, ~/.aws/config) read by the SDK's default chain. Without either, or when the
 * chain finds nothing, any key does, as a server with authentication off accepts it.
 */
export function cliCredentials(region: string, env: NodeJS.ProcessEnv = process.env): CredentialsOption {
  if (env.AWS_ACCESS_KEY_ID) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'slipway',
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  const aws = join(homedir(), '.aws');
  const hasProfiles = !!env.AWS_PROFILE || existsSync(env.AWS_SHARED_CREDENTIALS_FILE ?? join(aws, 'credentials')) || existsSync(env.AWS_CONFIG_FILE ?? join(aws, 'config'));
  if (!hasProfiles) return ANY_KEY;
  // Slipway keys are static: never wait for the EC2 instance metadata service at the end of the chain.
  env.AWS_EC2_METADATA_DISABLED ??= 'true';
  // A client built without credentials resolves the SDK's default provider chain (env, profiles, SSO, process).
  const chain = new SageMakerClient({ region }).config.credentials;
  let resolved: Promise<Credentials> | undefined;
  return () => (resolved ??= chain().catch(() => ANY_KEY));
}

/** A 403 from authentication → one line saying what to set; undefined for any other error. */
export function authHint(code: string, message: string, status: number | undefined, url: string): string | undefined {
  if (status !== 403) return undefined;
  if (code === 'RequestTimeTooSkewed' || /^Signature (expired|not yet current)/.test(message)) {
    return `${code}: this machine's clock and the Slipway server's at ${url} differ by more than 15 minutes; fix the clock and retry`;
  }
  if (!AUTH_ERROR_CODES.has(code)) return undefined;
  return `${code}: the Slipway server at ${url} requires authentication; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to a Slipway credential`;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

/** The Node network error code anywhere in an error's cause chain (AggregateError included). */
export function networkErrorCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[]; name?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (e.name === 'TimeoutError' && !('$metadata' in e && (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode)) {
    return 'ETIMEDOUT';
  }
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const code = networkErrorCode(inner, depth + 1);
    if (code) return code;
  }
  return undefined;
}

export function unreachable(url: string): CliError {
  return new CliError(`cannot reach Slipway at ${url}; start it with \`npm start\` (or \`slipway server\`), or pass --endpoint-url / set SLIPWAY_URL`, EXIT.usage);
}

/**
 * Any error from an SDK call → CliError: network failures exit 2 with how to start the server;
 * service errors keep their AWS code (`ResourceNotFound: Could not find ...`) and exit 1.
 */
export function toCliError(err: unknown, url: string): CliError {
  if (err instanceof CliError) return err;
  if (networkErrorCode(err)) return unreachable(url);
  if (err && typeof err === 'object' && '$metadata' in err) {
    const e = err as { name?: string; message?: string; $metadata: { httpStatusCode?: number } };
    const code = e.name && e.name !== 'Error' ? e.name : `HTTP ${e.$metadata.httpStatusCode ?? '?'}`;
    const hint = authHint(code, e.message ?? '', e.$metadata.httpStatusCode, url);
    if (hint) return new CliError(hint, EXIT.failed);
    return new CliError(`${code}: ${e.message ?? 'request failed'}`, EXIT.failed);
  }
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.failed);
}

/** Runs an SDK call and rethrows failures as CliErrors. */
export async function call<T>(url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCliError(err, url);
  }
}

/** True when the SDK error is the given AWS code (e.g. `ResourceNotFound`). */
export function isCode(err: unknown, ...codes: string[]): boolean {
  const e = err as { name?: string; Code?: string; __type?: string } | undefined;
  return !!e && codes.some((c) => e.name === c || e.Code === c);
}

/**
 * @module cli/clients — AWS SDK v3 clients pointed at a Slipway server (the public API only), and
 * the translation of SDK/network failures into `CliError`s with the next step to take.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CliError, EXIT, type GlobalOptions } from './context.js';

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
  const config = {
    endpoint: g.endpointUrl,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // Slipway accepts any credentials by default; real ones from the environment still win.
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'slipway',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'slipway',
      ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
    },
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

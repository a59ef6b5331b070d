/** @module platform/config — settings from flags and environment, with the documented defaults. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { dataLimitsFromEnv, type DataLimits } from './data-limits.js';
import { containerSettings, type ContainerSettings } from './container-settings.js';

export type { AdmissionSettings, ContainerSettings } from './container-settings.js';
import { connectionLimits, type ConnectionLimits } from './connection-limits.js';
import { registrySettings, type RegistrySettings } from './registry-settings.js';
import { objectStoreSettings, type ObjectStoreSettings } from './object-store-settings.js';

export interface SlipwayConfig {
  host: string;
  port: number;
  /** Root of everything Slipway stores: database, objects, job workspaces, model cache. */
  home: string;
  dbPath: string;
  objectsDir: string;
  workDir: string;
  modelCacheDir: string;
  region: string;
  accountId: string;
  /** Keep a failed job's workspace for inspection instead of deleting it. */
  keepFailedWorkspaces: boolean;
  /** Origins allowed to call endpoints from a browser; default any localhost origin. */
  corsOrigins: string[];
  /** Endpoints that may be invoked unsigned once tagged `slipway:public-invoke=true` (`*`: any); none by default. */
  publicInvoke: string[];
  /** How long 1-minute metric buckets are kept. */
  metricsRetentionDays: number;
  /** How often Application Auto Scaling policies are evaluated (SLIPWAY_AUTOSCALING_INTERVAL_SECONDS). */
  autoscalingIntervalSeconds: number;
  /** Serverless endpoints: idle time before scaling to zero, longest a request waits for a cold start. */
  serverless: { idleSeconds: number; coldStartTimeoutSeconds: number };
  /** Log retention: events beyond this total size are removed oldest first. */
  logsMaxBytes: number;
  /** How containers are kept apart and admitted (docs/container-isolation.md). */
  containers: ContainerSettings;
  /** Timeouts for incomplete requests and caps on connections (server/connection-guard.ts). */
  connections: ConnectionLimits;
  /**
   * SigV4 authentication: on when credentials are configured (`SLIPWAY_ACCESS_KEY_ID` +
   * `SLIPWAY_SECRET_ACCESS_KEY`, and/or `SLIPWAY_CREDENTIALS_FILE`), off (any key accepted) otherwise.
   */
  auth?: AuthConfig;
  /** Host directories `file://` URIs may name (SLIPWAY_LOCAL_PATHS, SLIPWAY_LOCAL_OUTPUT_PATHS); none by default (storage/local-paths applies them). */
  localPaths: LocalPathSettings;
  /** Budgets for decompressing user data. */
  dataLimits: DataLimits;
  /** SLIPWAY_STRICT_ROLES: SageMaker calls must name an IAM role that exists and trusts SageMaker. */
  strictRoles: boolean;
  /** The managed registry behind ECR (src/registry, docs/ecr.md). */
  registry: RegistrySettings;
  /** Where object bytes live: the data directory, or SLIPWAY_OBJECT_STORE_URL (platform/object-store-settings). */
  objectStore: ObjectStoreSettings;
  /** SLIPWAY_MME_MAX_MODELS_PER_INSTANCE: models a multi-model instance keeps loaded before the least recently used is unloaded. */
  multiModelMaxModels: number;
  /** SLIPWAY_ADVERTISE_URL: Slipway as cluster nodes reach it (stagers fetch and send data there); required for SLIPWAY_RUNTIME=swarm. */
  advertiseUrl?: string;
  /** SLIPWAY_DATABASE_URL (postgres://…): metadata in PostgreSQL, shared by replicas; SQLite at dbPath otherwise. */
  databaseUrl?: string;
  /**
   * SLIPWAY_CLUSTER_ID: whose containers and networks these are (their owner label). Replicas on one
   * database share it, so a replica taking over a resource adopts the containers another started.
   * Default: derived from the database URL's host, port and database; the data directory without one.
   */
  clusterId: string;
}

export interface AuthConfig {
  /** access key id → secret access key. Never empty. */
  credentials: ReadonlyMap<string, string>;
}

export interface LocalPathSettings {
  /** SLIPWAY_LOCAL_PATHS: read-only roots. */
  read?: readonly string[];
  /** SLIPWAY_LOCAL_OUTPUT_PATHS: writable (and readable) roots. */
  write?: readonly string[];
}

/** `a,b` or `a:b` lists (PATH style, as operators write them); blanks dropped. */
export function splitPathList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,:]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface ConfigInput {
  host?: string;
  port?: number;
  home?: string;
  /** access key id → secret: turns authentication on (tests); merged with the environment's. */
  credentials?: Record<string, string>;
  /** Replaces SLIPWAY_LOCAL_PATHS / SLIPWAY_LOCAL_OUTPUT_PATHS (tests). */
  localPaths?: LocalPathSettings;
  /** Replaces SLIPWAY_STRICT_ROLES (tests). */
  strictRoles?: boolean;
  /** Replaces SLIPWAY_PUBLIC_INVOKE (tests). */
  publicInvoke?: string;
  /** Replaces SLIPWAY_AUTOSCALING_INTERVAL_SECONDS (tests). */
  autoscalingIntervalSeconds?: number;
  /** Replaces SLIPWAY_SERVERLESS_IDLE_SECONDS / SLIPWAY_SERVERLESS_COLD_START_TIMEOUT_SECONDS (tests). */
  serverless?: { idleSeconds?: number; coldStartTimeoutSeconds?: number };
  /** Replaces SLIPWAY_OBJECT_STORE_URL and the foreign store's AWS_* settings (tests). */
  objectStore?: ObjectStoreSettings;
  /** Replaces SLIPWAY_ADVERTISE_URL (tests). */
  advertiseUrl?: string;
  /** Replaces SLIPWAY_DATABASE_URL (tests). */
  databaseUrl?: string;
}

export function loadConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): SlipwayConfig {
  const home = resolve(input.home ?? env.SLIPWAY_HOME ?? join(homedir(), '.slipway'));
  const port = input.port ?? (env.SLIPWAY_PORT ? Number(env.SLIPWAY_PORT) : 7447);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${String(port)}`);
  return {
    host: input.host ?? env.SLIPWAY_HOST ?? '127.0.0.1',
    port,
    home,
    dbPath: join(home, 'slipway.db'),
    objectsDir: join(home, 'objects'),
    workDir: join(home, 'work'),
    modelCacheDir: join(home, 'model-cache'),
    region: env.SLIPWAY_REGION ?? 'us-east-1',
    accountId: env.SLIPWAY_ACCOUNT_ID ?? '000000000000',
    keepFailedWorkspaces: env.SLIPWAY_KEEP_FAILED_WORKSPACES === '1' || env.SLIPWAY_KEEP_FAILED_WORKSPACES === 'true',
    metricsRetentionDays: Number(env.SLIPWAY_METRICS_RETENTION_DAYS ?? 15),
    autoscalingIntervalSeconds: input.autoscalingIntervalSeconds ?? positiveSeconds(env.SLIPWAY_AUTOSCALING_INTERVAL_SECONDS, 60, 'SLIPWAY_AUTOSCALING_INTERVAL_SECONDS'),
    serverless: {
      idleSeconds: input.serverless?.idleSeconds ?? positiveSeconds(env.SLIPWAY_SERVERLESS_IDLE_SECONDS, 300, 'SLIPWAY_SERVERLESS_IDLE_SECONDS'),
      coldStartTimeoutSeconds: input.serverless?.coldStartTimeoutSeconds ?? positiveSeconds(env.SLIPWAY_SERVERLESS_COLD_START_TIMEOUT_SECONDS, 60, 'SLIPWAY_SERVERLESS_COLD_START_TIMEOUT_SECONDS'),
    },
    logsMaxBytes: Number(env.SLIPWAY_LOGS_MAX_BYTES ?? 2 * 1024 ** 3),
    corsOrigins: (env.SLIPWAY_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    publicInvoke: (input.publicInvoke ?? env.SLIPWAY_PUBLIC_INVOKE ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    containers: containerSettings(env),
    connections: connectionLimits(env),
    ...authConfig(input, env),
    localPaths: input.localPaths ?? { read: splitPathList(env.SLIPWAY_LOCAL_PATHS), write: splitPathList(env.SLIPWAY_LOCAL_OUTPUT_PATHS) },
    dataLimits: dataLimitsFromEnv(env),
    ...((input.advertiseUrl ?? env.SLIPWAY_ADVERTISE_URL) ? { advertiseUrl: input.advertiseUrl ?? env.SLIPWAY_ADVERTISE_URL } : {}),
    ...databaseUrlOf(input.databaseUrl ?? env.SLIPWAY_DATABASE_URL),
    clusterId: clusterIdOf(env.SLIPWAY_CLUSTER_ID, input.databaseUrl ?? env.SLIPWAY_DATABASE_URL, home),
    strictRoles: input.strictRoles ?? ['1', 'true', 'on'].includes((env.SLIPWAY_STRICT_ROLES ?? '').toLowerCase()),
    registry: registrySettings(env),
    objectStore: input.objectStore ?? objectStoreSettings(env),
    multiModelMaxModels: positiveInt(env, 'SLIPWAY_MME_MAX_MODELS_PER_INSTANCE', 100),
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number of at least 1; got ${JSON.stringify(raw)}`);
  return v;
}

/**
 * Reads the credentials that turn authentication on. Throws (the server refuses to start) when
 * only half of the environment pair is set or the credentials file is unreadable or malformed:
 * silently running without auth would be the dangerous outcome.
 */
export function authConfig(input: ConfigInput, env: NodeJS.ProcessEnv): { auth?: AuthConfig } {
  const credentials = new Map<string, string>();
  const id = env.SLIPWAY_ACCESS_KEY_ID;
  const secret = env.SLIPWAY_SECRET_ACCESS_KEY;
  if (id && !secret) throw new Error('SLIPWAY_ACCESS_KEY_ID is set but SLIPWAY_SECRET_ACCESS_KEY is not: set both to turn authentication on, or neither');
  if (secret && !id) throw new Error('SLIPWAY_SECRET_ACCESS_KEY is set but SLIPWAY_ACCESS_KEY_ID is not: set both to turn authentication on, or neither');
  if (id && secret) credentials.set(id, secret);
  const file = env.SLIPWAY_CREDENTIALS_FILE;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`SLIPWAY_CREDENTIALS_FILE ${file} cannot be read: ${(err as Error).message}`);
    }
    for (const [k, v] of parseCredentialsFile(text, file)) credentials.set(k, v);
  }
  for (const [k, v] of Object.entries(input.credentials ?? {})) credentials.set(k, v);
  return credentials.size > 0 ? { auth: { credentials } } : {};
}

/** `access_key_id secret` per line; blank lines and `#` comments are skipped. */
export function parseCredentialsFile(text: string, name = 'credentials file'): Map<string, string> {
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new Error(`${name} line ${i + 1}: expected "access_key_id secret_access_key"`);
    out.set(parts[0]!, parts[1]!);
  });
  if (out.size === 0) throw new Error(`${name} has no credentials (expected "access_key_id secret_access_key" lines)`);
  return out;
}

/** A positive number of seconds from the environment, else the default; anything else is a start-up error. */
function positiveSeconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new Error(`${name} must be a number of seconds between 0 and 3600, got '${value}'`);
  return n;
}

/** Credentials and options never enter the identity: replicas may log in differently. */
function clusterIdOf(explicit: string | undefined, databaseUrl: string | undefined, home: string): string {
  if (explicit) return explicit;
  if (!databaseUrl) return home;
  try {
    const u = new URL(databaseUrl);
    return `postgres://${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return databaseUrl;
  }
}

function databaseUrlOf(url: string | undefined): { databaseUrl?: string } {
  if (url === undefined || url === '') return {};
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`SLIPWAY_DATABASE_URL must be a postgres:// or postgresql:// URL (got ${url.split('@').pop()})`);
  return { databaseUrl: url };
}

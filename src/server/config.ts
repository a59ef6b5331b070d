/** @module server/config — settings from flags and environment, with the documented defaults. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

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
  /** How long 1-minute metric buckets are kept. */
  metricsRetentionDays: number;
  /** Log retention: events beyond this total size are removed oldest first. */
  logsMaxBytes: number;
}

export interface ConfigInput {
  host?: string;
  port?: number;
  home?: string;
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
    logsMaxBytes: Number(env.SLIPWAY_LOGS_MAX_BYTES ?? 2 * 1024 ** 3),
    corsOrigins: (env.SLIPWAY_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
}

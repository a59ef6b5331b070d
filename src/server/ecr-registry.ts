/**
 * @module server/ecr-registry — ECR and the registry behind it, wired as one part of the server (app.ts
 * composes it): the ECR API surface, the `/v2/` registry surface, the managed `docker-registry`
 * process, image resolution for jobs and endpoints, and the TLS listener of the host-name opt-in.
 * Design and the storage choice: docs/ecr.md.
 */
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createJson11Surface } from '../protocol/json11/json11-surface.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { SlipwayConfig } from '../platform/config.js';
import { logger } from '../platform/logger.js';
import type { Surface, SurfaceHandler } from '../protocol/surface.js';
import { ECR_TARGET_PREFIX, ecrOperations } from '../services/ecr/index.js';
import { LoginTokens } from '../resources/ecr-login-token.js';
import { validateEcrInput } from '../services/ecr/validation.js';
import { SqlEcrStore } from '../storage/ecr-store.js';
import type { SqlDb } from '../storage/sql/sql-db.js';
import type { TagStore } from '../storage/tag-store.js';
import { isValidName } from '../registry/registry-path.js';
import { pullAddress, registryAddress } from '../registry/image-name.js';
import { RegistryProcess, type RegistryStatus } from '../registry/registry-process.js';
import { createRegistrySurface } from '../registry/registry-proxy.js';
import { withRegistryImages } from '../registry/registry-images.js';
import { startTlsListener, type TlsListener } from './registry-tls-listener.js';
import { Upstream } from '../registry/upstream.js';
import { rm } from 'node:fs/promises';

export interface EcrRegistry {
  /** `AmazonEC2ContainerRegistry_V20150921.*` (JSON 1.1). */
  api: Surface;
  /** `/v2/…` (the registry API). */
  registry: Surface;
  /** The engine with image resolution that knows the registry (registry-images.ts). */
  wrapRuntime(engine: ContainerRuntime): ContainerRuntime;
  /** Call once the server listens: pulls go to this port; the host-name listener starts. */
  listening(port: number, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  status(): RegistryStatus & { hostNames?: { port?: number; problem?: string } };
  /** `GET /_slipway/registry`: status() as JSON (signed callers only when authentication is on). */
  statusRoute: SurfaceHandler;
  close(): Promise<void>;
}

export function createEcrRegistry(deps: { config: SlipwayConfig; sql: SqlDb; tags: TagStore }): EcrRegistry {
  const { config } = deps;
  const store = new SqlEcrStore(deps.sql);
  const tokens = new LoginTokens(config.auth?.credentials);
  const dir = join(config.home, 'registry');
  const proc = config.registry.enabled ? new RegistryProcess({ binary: config.registry.binary, dir, log: logger }) : undefined;
  const upstream = proc ? new Upstream(proc.socketPath) : undefined;
  let port: number | undefined;
  let tls: TlsListener | undefined;

  const forgetImage = async (repository: string, digest: string) => {
    if (!proc || !upstream) return;
    try {
      await proc.ensureStarted();
      const res = await upstream.send('DELETE', `/v2/${repository}/manifests/${digest}`, {}, undefined);
      res.resume();
    } catch (err) {
      logger.warn({ err, repository, digest }, 'registry kept a deleted image (it is no longer reachable)');
    }
  };
  // Distribution has no API to delete a repository: its folder in the filesystem driver's
  // layout (docker/registry/v2/repositories/<name>) goes; shared layer blobs stay until a GC.
  const forgetRepository = async (repository: string) => {
    if (!isValidName(repository)) return;
    await rm(join(dir, 'data', 'docker', 'registry', 'v2', 'repositories', repository), { recursive: true, force: true }).catch((err: unknown) =>
      logger.warn({ err, repository }, 'registry kept a deleted repository (it is no longer reachable)'),
    );
  };

  const api = createJson11Surface({
    targetPrefix: ECR_TARGET_PREFIX,
    operations: ecrOperations({ accountId: config.accountId, store, tags: deps.tags, tokens, registry: { forgetImage, forgetRepository } }),
    validate: validateEcrInput,
  });
  const registry = createRegistrySurface({
    accountId: config.accountId,
    store,
    tokens,
    registry: proc,
    upstream,
    logError: (err, ctx) => logger.error({ err, requestId: ctx.requestId }, 'registry request failed'),
  });

  const status = (): ReturnType<EcrRegistry['status']> => {
    const base: RegistryStatus = proc ? proc.status() : { state: 'stopped', reason: 'SLIPWAY_REGISTRY=off', restarts: 0 };
    if (!tls || (tls.port === undefined && tls.problem === undefined)) return base;
    return { ...base, hostNames: { ...(tls.port !== undefined ? { port: tls.port } : {}), ...(tls.problem ? { problem: tls.problem } : {}) } };
  };

  return {
    api,
    registry,
    status,
    statusRoute: async (_req, res) => {
      const body = Buffer.from(JSON.stringify(status()));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    },
    wrapRuntime: (engine) => {
      const nodeRegistry = config.advertiseUrl ? registryAddress(config.advertiseUrl) : undefined;
      return withRegistryImages(engine, { store, tokens, port: () => port, pullAddress: pullAddress(config.host), ...(nodeRegistry ? { nodeRegistry } : {}) });
    },
    listening(p, handler) {
      port = p;
      if (config.registry.enabled) {
        tls = startTlsListener({ home: config.home, host: config.registry.tlsHost, port: config.registry.tlsPort, limits: config.connections, handler, log: logger });
      }
    },
    async close() {
      await tls?.close();
      await proc?.stop();
      upstream?.close();
    },
  };
}

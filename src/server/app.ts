/**
 * @module server/app — the composition root: builds stores, runtime, controllers and surfaces
 * from the config, serves them on one port, and shuts them down in order.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createJson11Surface, createUnknownTargetSurface } from '../protocol/json11/json11-surface.js';
import { WorkQueue, type Reconciler } from '../controllers/work-queue.js';
import type { Controller, ControllerDeps } from '../controllers/controller.js';
import { createControllers } from '../controllers/index.js';
import { MultiModelLoader } from '../controllers/serving/multi-model-loader.js';
import { createRuntime } from '../runtime/select-runtime.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { createS3Surface } from '../services/s3/index.js';
import { createWebsiteSurface } from '../services/s3/website/website-surface.js';
import { createPublicAccess } from './public-access.js';
import { apiLauncher, sageMakerOperations, trainingJobLauncher } from '../services/sagemaker/index.js';
import { createTuningJobController } from '../controllers/tuning-job/index.js';
import { createPipelineExecutionController } from '../controllers/pipeline-execution/index.js';
import { sageMakerValidator } from '../services/sagemaker/validation.js';
import { logsOperations } from '../services/logs/index.js';
import { validateLogsInput } from '../services/logs/validation.js';
import { createRuntimeSurface, invocationTimeoutMs } from '../dataplane/index.js';
import { RoutingTable } from '../dataplane/routing-table.js';
import { openObjectStore } from '../storage/open-object-store.js';
import { openMetadata } from '../storage/open-metadata.js';
import { LogRetention } from '../storage/log-retention.js';
import { LocalPaths } from '../storage/local-paths.js';
import { loadConfig, type ConfigInput, type SlipwayConfig } from '../platform/config.js';
import { createRouter } from './router.js';
import { guardConnections, guardedServerOptions } from './connection-guard.js';
import { createSlipwayRoutes } from './slipway-routes.js';
import { STAGING_PREFIX, StagingSessions } from '../controllers/staging/staging-sessions.js';
import { createLogTailRoute } from './routes/log-tail.js';
import { createPrometheusRoute } from './routes/prometheus.js';
import { createCloudWatchSurface } from './routes/cloudwatch.js';
import { MetricStore } from '../metrics/metric-store.js';
import { Metrics } from '../metrics/metrics.js';
import { logger } from '../platform/logger.js';
import { createQuerySurface } from '../protocol/query/query-surface.js';
import { STS_XMLNS, stsOperations } from '../services/sts/index.js';
import { IAM_XMLNS, iamOperations, validateIamInput } from '../services/iam/index.js';
import { ensureDefaultRole } from '../services/iam/default-role.js';
import { createEcrRegistry } from './ecr-registry.js';
import { AUTOSCALING_TARGET_PREFIX, autoscalingOperations, validateAutoscalingInput } from '../services/application-autoscaling/index.js';
import { SqlAutoscalingStore } from '../storage/autoscaling-store.js';
import { AutoscalingController } from '../controllers/autoscaling/autoscaling-controller.js';
import { createMetricReader } from '../controllers/autoscaling/metric-reader.js';
import { createReplication } from './replicas.js';

export interface SlipwayServer {
  url: string;
  port: number;
  config: SlipwayConfig;
  close(): Promise<void>;
}

export interface StartOptions extends ConfigInput {
  /** Override the container runtime (tests of pure logic only; integration uses Docker). */
  runtime?: ContainerRuntime;
}

export async function startSlipway(opts: StartOptions = {}): Promise<SlipwayServer> {
  const config = loadConfig(opts);
  const startedAt = Date.now();
  const opened = await openMetadata({ dbPath: config.dbPath, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  const { metadata } = opened;
  const { sql, resources, tags, logs, iam } = metadata;
  await ensureDefaultRole({ iam });
  const objectStore = await openObjectStore(metadata.sql, config.objectsDir, config.objectStore).catch(async (err: unknown) => {
    await opened.close();
    throw err;
  });
  const { objects } = objectStore;
  const localPaths = LocalPaths.from(config.localPaths);
  // ECR and its registry; the runtime resolves images pushed there (src/registry).
  const ecr = createEcrRegistry({ config, sql, tags });
  const runtime = ecr.wrapRuntime(opts.runtime ?? createRuntime(process.env, { networkPool: config.containers.networkPool, gpuDevices: config.containers.gpus.devices }));
  const metricStore = new MetricStore(sql, { retentionDays: config.metricsRetentionDays });
  metricStore.start();
  const metrics = new Metrics(metricStore);
  const logRetention = new LogRetention(sql, { maxBytes: config.logsMaxBytes });
  logRetention.start();

  // Controllers and queue refer to each other: the queue calls reconcilers by key prefix.
  const reconcilers: Record<string, Reconciler> = {};
  const queue = new WorkQueue(reconcilers);
  // The endpoint controller publishes healthy instances here; the data plane routes by it.
  const routes = new RoutingTable();
  // Replicas on one PostgreSQL: reconciles run under leases, routes are shared (server/replicas.ts).
  const replication = config.databaseUrl ? createReplication(sql, queue, routes) : undefined;
  // Cluster engines stage data on their nodes through short-lived URLs (controllers/staging).
  const staging = config.advertiseUrl ? new StagingSessions(config.advertiseUrl) : undefined;
  const controllerDeps: Omit<ControllerDeps, 'admission'> = { config, resources, logs, objects, localPaths, runtime, queue, metrics, routes: replication?.routes ?? routes, ...(staging ? { staging } : {}) };
  const controllers: Controller[] = createControllers(controllerDeps);
  // Application Auto Scaling: its driver is one more reconciler on the same queue (controllers/autoscaling).
  const autoscaling = new SqlAutoscalingStore(sql);
  controllers.push(
    new AutoscalingController({ store: autoscaling, resources, queue, metrics: createMetricReader(metrics, metricStore), intervalSeconds: config.autoscalingIntervalSeconds }),
  );
  const deps = { config, resources, tags, logs, objects, queue, iam };
  // Tuning jobs start their training jobs through CreateTrainingJob's own handler code.
  controllers.push(createTuningJobController({ resources, queue, launcher: trainingJobLauncher(deps) }));
  // Pipeline steps go through the API's own validation and handlers (services/sagemaker/api-launcher.ts).
  const sageMakerTable = sageMakerOperations(deps);
  const sageMakerValidate = sageMakerValidator(localPaths);
  controllers.push(createPipelineExecutionController({ resources, queue, objects, launcher: apiLauncher(sageMakerTable, sageMakerValidate) }));
  for (const c of controllers) reconcilers[c.kind] = c.reconcile;

  // Multi-model endpoints: the data plane loads TargetModels through the serving side's model cache.
  const dataplane = await createRuntimeSurface({ ...deps, routes, runtime, metrics, sql, modelLoader: MultiModelLoader.forServer(controllerDeps) });
  const router = createRouter({
    slipway: createSlipwayRoutes({
      runtime,
      startedAt,
      home: config.home,
      minimalHealth: config.auth !== undefined,
      extra: {
        '/_slipway/logs/stream': createLogTailRoute(logs),
        '/_slipway/metrics': createPrometheusRoute(metrics),
        '/_slipway/registry': ecr.statusRoute,
      },
      ...(staging ? { prefixed: { [STAGING_PREFIX]: (req, res, _ctx, url) => staging.handle(req, res, url.pathname) } } : {}),
    }),
    sagemaker: createJson11Surface({
      targetPrefix: 'SageMaker',
      operations: sageMakerTable,
      validate: sageMakerValidate,
    }),
    logs: createJson11Surface({
      targetPrefix: 'Logs_20140328',
      operations: logsOperations(deps),
      validate: validateLogsInput,
      validationErrorCode: 'InvalidParameterException',
    }),
    runtime: dataplane.surface,
    s3: createS3Surface({
      objects,
      logError: (err, ctx) => logger.error({ err, requestId: ctx.requestId, home: config.home }, 's3 request failed'),
    }),
    website: createWebsiteSurface({
      objects,
      logError: (err, ctx) => logger.error({ err, requestId: ctx.requestId }, 's3 website request failed'),
    }),
    cloudwatch: createCloudWatchSurface(metricStore),
    sts: createQuerySurface({ operations: stsOperations({ iam }), xmlNamespace: STS_XMLNS, numericMembers: new Set() }),
    iam: createQuerySurface({ operations: iamOperations({ iam }), xmlNamespace: IAM_XMLNS, numericMembers: new Set(), validate: validateIamInput }),
    ecr: ecr.api,
    autoscaling: createJson11Surface({
      targetPrefix: AUTOSCALING_TARGET_PREFIX,
      operations: autoscalingOperations({ store: autoscaling, resources, queue }),
      validate: validateAutoscalingInput,
    }),
    registry: ecr.registry,
    unknownTarget: createUnknownTargetSurface(),
  }, {
    accountId: config.accountId,
    auth: config.auth,
    publicAccess: createPublicAccess({ objects, resources, tags, publicInvoke: config.publicInvoke }),
  });

  // A connection may sit idle while its model works: never shorter than an invocation may take.
  const idle = config.connections.idleTimeoutMs;
  const limits = { ...config.connections, idleTimeoutMs: idle > 0 ? Math.max(idle, invocationTimeoutMs() + 30_000) : 0 };
  const server: Server = createServer(guardedServerOptions(limits));
  const guard = guardConnections(server, limits, router);
  // Node answers 417 to any Expect but 100-continue; S3 ignores other values (issue #18). The
  // router sends 100 Continue itself, once authentication passed: a refused client sends no body.
  // Both go through the connection guard like any request.
  server.on('checkExpectation', (req, res) => server.emit('request', req, res));
  server.on('checkContinue', (req, res) => server.emit('request', req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    guard.stop();
    await ecr.close();
    await metricStore.stop();
    logRetention.stop();
    await queue.stop();
    await opened.close();
    objectStore.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${config.port} on ${config.host} is already in use (is Slipway already running?); choose another with --port or SLIPWAY_PORT`);
    }
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${port}`;
  ecr.listening(port, router);

  replication?.start(controllers);
  for (const c of controllers) {
    await c.resume().catch((err: unknown) => logger.error({ err, controller: c.kind }, 'controller failed to resume'));
  }
  logger.info({ url, home: config.home }, 'slipway started');

  let closed = false;
  return {
    url,
    port,
    config,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      guard.stop();
      await ecr.close();
      await dataplane.stop();
      await queue.stop();
      await replication?.stop();
      for (const c of controllers) await c.stop().catch(() => undefined);
      staging?.stop();
      await metricStore.stop();
      logRetention.stop();
      objectStore.close();
      await opened.close();
    },
  };
}

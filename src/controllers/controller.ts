/** @module controllers/controller — what every resource controller offers the composition root. */
import type { SlipwayConfig } from '../platform/config.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { LogStore } from '../storage/log-store.js';
import type { LocalPaths } from '../storage/local-paths.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { ResourceStore } from '../storage/resource-store.js';
import type { Reconciler, WorkQueue } from './work-queue.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Admission } from './admission/admission.js';
import type { StagingSessions } from './staging/staging-sessions.js';
import type { RoutePublisher } from '../resources/endpoint-routes.js';

export interface ControllerDeps {
  config: SlipwayConfig;
  resources: ResourceStore;
  logs: LogStore;
  objects: ObjectStore;
  /** Host folders `file://` inputs and outputs may name (config.localPaths, applied). */
  localPaths: LocalPaths;
  runtime: ContainerRuntime;
  queue: WorkQueue;
  metrics: Metrics;
  /** Where the endpoint controller publishes healthy instances (the data plane's routing table). */
  routes: RoutePublisher;
  /** Shared by every controller: admits work by host capacity (admission/admission.ts). */
  admission: Admission;
  /** Transfers for engines that stage data on their nodes (`runtime.stagesData`); set when SLIPWAY_ADVERTISE_URL is. */
  staging?: StagingSessions;
}

export interface Controller {
  /** Work-queue key prefix, e.g. `training-job` for keys `training-job:<name>`. */
  readonly kind: string;
  readonly reconcile: Reconciler;
  /** Called once at start-up: adopt containers by label and enqueue every non-terminal resource. */
  resume(): Promise<void>;
  /** Stops background work (log followers, health checks); containers keep running. */
  stop(): Promise<void>;
}

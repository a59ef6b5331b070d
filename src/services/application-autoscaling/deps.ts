/** @module services/application-autoscaling/deps — what the Application Auto Scaling handlers are given: its store, the endpoints, the work queue. */
import type { SqlAutoscalingStore } from '../../storage/autoscaling-store.js';
import type { ResourceStore } from '../../storage/resource-store.js';
import type { ReconcileQueue } from '../sagemaker/deps.js';
import type { Clock } from '../../platform/clock.js';

export interface AutoscalingDeps {
  store: SqlAutoscalingStore;
  /** Endpoints are checked when a target is registered. */
  resources: ResourceStore;
  /** Gets `autoscaling:<resource id>`: the driver (controllers/autoscaling) evaluates that target. */
  queue: ReconcileQueue;
  now?: Clock;
}

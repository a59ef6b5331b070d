/** @module services/sagemaker/deps — what SageMaker operation handlers are given (storage and the work queue, never Docker). */
import type { SlipwayConfig } from '../../platform/config.js';
import type { LogStore } from '../../storage/log-store.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { ResourceStore } from '../../storage/resource-store.js';
import type { TagStore } from '../../storage/tag-store.js';
import type { Clock } from '../../platform/clock.js';

/** Where a handler hands a resource's key to its controller (the server wires the controllers' work queue). */
export interface ReconcileQueue {
  enqueue(key: string): void;
}
import type { IamStore } from '../../storage/iam-store.js';

export interface SageMakerDeps {
  config: SlipwayConfig;
  resources: ResourceStore;
  tags: TagStore;
  logs: LogStore;
  objects: ObjectStore;
  queue: ReconcileQueue;
  /** IAM roles, for strict roles (config.strictRoles); absent: role ARNs are only recorded. */
  iam?: IamStore;
  now?: Clock;
}

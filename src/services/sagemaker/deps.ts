/** @module services/sagemaker/deps — what SageMaker operation handlers are given (storage and the work queue, never Docker). */
import type { WorkQueue } from '../../controllers/work-queue.js';
import type { SlipwayConfig } from '../../server/config.js';
import type { LogStore } from '../../storage/log-store.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { ResourceStore } from '../../storage/resource-store.js';
import type { TagStore } from '../../storage/tag-store.js';
import type { IamStore } from '../../storage/iam-store.js';

export interface SageMakerDeps {
  config: SlipwayConfig;
  resources: ResourceStore;
  tags: TagStore;
  logs: LogStore;
  objects: ObjectStore;
  queue: WorkQueue;
  /** IAM roles, for strict roles (config.strictRoles); absent: role ARNs are only recorded. */
  iam?: IamStore;
  now?: () => number;
}

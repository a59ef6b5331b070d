/**
 * @module server/replicas — what a replica adds when several share one PostgreSQL database
 * (`SLIPWAY_DATABASE_URL`; docs/cluster.md "Replicas: leases and fencing"): the lease keeper that
 * decides which replica reconciles which resource, and routes shared through the database so every
 * replica's data plane reaches every endpoint. With SQLite (one process) none of it runs.
 */
import type { Controller } from '../controllers/controller.js';
import { LeaseKeeper } from '../controllers/lease-keeper.js';
import type { WorkQueue } from '../controllers/work-queue.js';
import { SharedRoutes } from '../dataplane/shared-routes.js';
import type { RoutingTable } from '../dataplane/routing-table.js';
import { nameOfKey, type ResourceKind } from '../resources/kinds.js';
import { LeaseStore } from '../storage/lease-store.js';
import type { SqlDb } from '../storage/sql/sql-db.js';

/** Work-queue kinds that are stored resources; any other kind (autoscaling) has only its lease. */
const RESOURCE_KINDS = new Set<string>([
  'training-job',
  'processing-job',
  'transform-job',
  'endpoint',
  'hyper-parameter-tuning-job',
  'pipeline-execution',
] satisfies ResourceKind[]);

export interface Replication {
  readonly keeper: LeaseKeeper;
  /** What the endpoint controller publishes through (the data plane keeps reading the table). */
  readonly routes: SharedRoutes;
  /** Before the controllers resume: every reconcile from now on runs under its lease. */
  start(controllers: readonly Controller[]): void;
  /** After the work queue stopped: leases released for the other replicas to take at once. */
  stop(): Promise<void>;
}

export function createReplication(sql: SqlDb, queue: WorkQueue, table: RoutingTable): Replication {
  let endpoints: (Controller & { adoptEndpoint?: (name: string) => Promise<void> }) | undefined;
  const kinds = { resourceKinds: [] as string[], otherKinds: [] as string[] };
  const keeper = new LeaseKeeper({
    store: new LeaseStore(sql),
    queue,
    get resourceKinds() {
      return kinds.resourceKinds;
    },
    get otherKinds() {
      return kinds.otherKinds;
    },
    takeOver: async (key) => {
      if (key.startsWith('endpoint:')) await endpoints?.adoptEndpoint?.(nameOfKey(key));
    },
    onLost: (key) => {
      if (key.startsWith('endpoint:')) routes.disown(nameOfKey(key));
    },
  });
  const routes: SharedRoutes = new SharedRoutes(table, sql, keeper.id);
  return {
    keeper,
    routes,
    start(controllers) {
      for (const c of controllers) (RESOURCE_KINDS.has(c.kind) ? kinds.resourceKinds : kinds.otherKinds).push(c.kind);
      endpoints = controllers.find((c) => c.kind === 'endpoint');
      keeper.start();
      routes.start();
    },
    async stop() {
      await keeper.stop();
      await routes.stop();
    },
  };
}

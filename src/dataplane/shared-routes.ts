/**
 * @module dataplane/shared-routes — routes shared by replicas on one database (docs/cluster.md).
 * The endpoint controller of the replica holding an endpoint's lease publishes its route here: into
 * this replica's RoutingTable and, as a RouteSpec, into `endpoint_routes`. Every replica copies the
 * routes other replicas published into its own table every second and on a lookup miss, so any
 * replica's data plane reaches any endpoint's instances; least-outstanding-requests counts the
 * requests of this replica (the table keeps counters of instances carried over between refreshes).
 *
 *   controller ──publish──▶ SharedRoutes ──▶ RoutingTable (local) ◀── data plane
 *                                 └──▶ endpoint_routes ──refresh──▶ other replicas' tables
 */
import { logger } from '../platform/logger.js';
import type { EndpointRoute, InstanceRoute, RoutePublisher, RouteSpec } from '../resources/endpoint-routes.js';
import type { ServerlessDemandView } from '../resources/serverless.js';
import { currentFence, type Fence } from '../storage/fence.js';
import { LeaseStore } from '../storage/lease-store.js';
import type { SqlDb } from '../storage/sql/sql-db.js';
import type { RoutingTable } from './routing-table.js';

/** A lookup miss refreshes at most this often (a flood of calls to a wrong name stays cheap). */
const MISS_REFRESH_MIN_MS = 250;

export class SharedRoutes implements RoutePublisher {
  /** Endpoints whose route this replica's controller publishes (lower-case names). */
  private readonly local = new Set<string>();
  /** Per endpoint, the spec last written and the write chain (writes of one name stay in order). */
  private readonly written = new Map<string, string>();
  private readonly writing = new Map<string, Promise<void>>();
  /** Per remote endpoint, the spec text last copied in. */
  private readonly copied = new Map<string, string>();
  private readonly leases: LeaseStore;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;

  constructor(
    private readonly table: RoutingTable,
    private readonly sql: SqlDb,
    private readonly holder: string,
    private readonly intervalMs = 1_000,
  ) {
    this.leases = new LeaseStore(sql);
  }

  start(): void {
    this.table.missHandler = (name) => this.refreshOnMiss(name);
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.table.missHandler = undefined;
    await this.refreshing;
    await Promise.allSettled([...this.writing.values()]);
  }

  publish(route: RouteSpec): EndpointRoute {
    const key = route.name.toLowerCase();
    this.local.add(key);
    this.copied.delete(key);
    const published = this.table.publish(route);
    const spec = JSON.stringify(route);
    if (this.written.get(key) !== spec) {
      this.written.set(key, spec);
      this.chain(key, () => this.write(key, spec, currentFence()));
    }
    return published;
  }

  /** This replica no longer holds the endpoint: route it by what the new holder publishes. */
  disown(name: string): void {
    const key = name.toLowerCase();
    this.local.delete(key);
    this.written.delete(key);
  }

  lookup(name: string): EndpointRoute | undefined {
    return this.table.lookup(name);
  }

  remove(name: string): void {
    const key = name.toLowerCase();
    this.local.delete(key);
    this.written.delete(key);
    this.table.remove(name);
    const fence = currentFence();
    this.chain(key, async () => {
      await this.sql.transaction(async () => {
        if (fence && !(await this.leases.stillHeld(fence.key, fence.holder, fence.token))) return;
        await this.sql.run('DELETE FROM endpoint_routes WHERE name_lower = ?', [key]);
      });
    });
  }

  beginRestore(): void {
    this.table.beginRestore();
  }

  endRestore(): void {
    this.table.endRestore();
  }

  onInstanceBroken(listener: (endpoint: string, instance: InstanceRoute) => void): () => void {
    return this.table.onInstanceBroken(listener);
  }

  // Serverless demand is this replica's (docs/serverless.md): each replica counts its own requests.
  serverlessDemand(endpoint: string, variant: string): ServerlessDemandView | undefined {
    return this.table.serverlessDemand(endpoint, variant);
  }

  onServerlessDemand(listener: (endpoint: string) => void): () => void {
    return this.table.onServerlessDemand(listener);
  }

  serverlessStartFailed(endpoint: string, reason: string): void {
    this.table.serverlessStartFailed(endpoint, reason);
  }

  /** Copies the routes other replicas published into the local table; drops the ones withdrawn. */
  refresh(): Promise<void> {
    this.refreshing ??= this.copyIn().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * A miss reads the routes again, at most every MISS_REFRESH_MIN_MS however many requests miss
   * (they share the read), and once more after that when the name is still unknown: the holder
   * may report InService a moment before its route write lands. A name nobody routes answers
   * "not found" after at most two intervals.
   */
  private async refreshOnMiss(name: string): Promise<void> {
    for (let attempt = 0; attempt < 2 && !this.table.lookup(name); attempt++) {
      const wait = MISS_REFRESH_MIN_MS - (Date.now() - this.lastRefresh);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await this.refresh();
    }
  }

  private async copyIn(): Promise<void> {
    this.lastRefresh = Date.now();
    try {
      const rows = await this.sql.all<{ name_lower: string; spec: string }>('SELECT name_lower, spec FROM endpoint_routes');
      const seen = new Set<string>();
      for (const row of rows) {
        if (this.local.has(row.name_lower)) continue;
        seen.add(row.name_lower);
        const before = this.copied.get(row.name_lower);
        const route = before === row.spec ? this.table.lookup(row.name_lower) : this.table.publish(JSON.parse(row.spec) as RouteSpec);
        this.copied.set(row.name_lower, row.spec);
        // Nothing here pings remote instances: one marked broken by a failed connection gets
        // another chance each refresh (its holder withdraws it from the spec if it stays dead).
        for (const v of route?.variants ?? []) for (const i of v.instances) i.broken = false;
      }
      for (const name of [...this.copied.keys()]) {
        if (seen.has(name)) continue;
        this.copied.delete(name);
        if (!this.local.has(name)) this.table.remove(name);
      }
    } catch (err) {
      logger.warn({ err }, 'could not refresh the shared routes');
    }
  }

  private async write(key: string, spec: string, fence: Fence | undefined): Promise<void> {
    await this.sql.transaction(async () => {
      // A replica that lost the endpoint's lease must not overwrite the new holder's route.
      if (fence && !(await this.leases.stillHeld(fence.key, fence.holder, fence.token))) return;
      await this.sql.run(
        `INSERT INTO endpoint_routes (name_lower, spec, holder, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name_lower) DO UPDATE SET spec = excluded.spec, holder = excluded.holder, updated_at = excluded.updated_at`,
        [key, spec, this.holder, Date.now()],
      );
    });
  }

  private chain(key: string, fn: () => Promise<void>): void {
    const next = (this.writing.get(key) ?? Promise.resolve())
      .then(fn)
      .catch((err: unknown) => {
        // Written again on the next publish that changes it; the refresh of others copes meanwhile.
        this.written.delete(key);
        logger.warn({ err, endpoint: key }, 'could not share the route');
      });
    this.writing.set(key, next);
    void next.finally(() => {
      if (this.writing.get(key) === next) this.writing.delete(key);
    });
  }
}

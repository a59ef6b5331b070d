/**
 * @module resources/endpoint-routes — what an endpoint serves through, as the data plane sees it,
 * and the small interface the endpoint controller publishes routes through. The data plane's
 * RoutingTable (dataplane/routing-table.ts) implements it; the composition root (server/app.ts)
 * builds one table and hands it to both sides, so neither imports the other.
 *
 *   endpoint controller ──RoutePublisher.publish──▶ RoutingTable ◀──lookup── data plane
 */
import type { CaptureSettings } from './data-capture.js';
import type { PipelineMode } from './inference-pipeline.js';
import type { ServerlessDemandView } from './serverless.js';

/** One serving container as the data plane sees it. */
export interface InstanceRoute {
  readonly instanceId: string;
  readonly variant: string;
  /** `http://127.0.0.1:<published port>` */
  readonly origin: string;
  /** Log stream `<variant>/<instance-id>` (ModelError's LogStreamArn). */
  readonly logStream: string;
  /** Requests in flight; the data plane increments/decrements, the controller drains on it. */
  outstanding: number;
  /** Round-robin tie breaker among equally loaded instances. */
  served: number;
  /**
   * Set by the data plane when a connection to the instance failed; skipped by pickInstance until
   * the controller's next successful ping clears it. Limits failures to requests already in flight.
   */
  broken: boolean;
  /** An inference pipeline's containers, in order (`origin` is the first one's): dataplane/pipeline.ts calls them. */
  readonly containers?: readonly ContainerRoute[];
}

/** One container of a pipeline instance. */
export interface ContainerRoute {
  readonly hostname: string;
  readonly origin: string;
  /** `<variant>/<instance-id>/<hostname>` (ModelError's LogStreamArn). */
  readonly logStream: string;
}

export interface VariantRoute {
  readonly name: string;
  readonly weight: number;
  /** A shadow variant: gets sampled copies of production requests, never a caller's (dataplane/shadow-mirror.ts). */
  readonly shadow?: boolean;
  /** A multi-model variant: requests name a TargetModel under this S3 prefix (resources/multi-model.ts). */
  readonly multiModel?: { readonly prefix: string };
  /** A model with several Containers: Serial chains them, Direct takes TargetContainerHostname (resources/inference-pipeline.ts). */
  readonly pipeline?: { readonly mode: PipelineMode; readonly hostnames: readonly string[] };
  /**
  /** A serverless variant: may have no instance (requests wait for a cold start); at most maxConcurrency in flight. */
  readonly serverless?: { readonly maxConcurrency: number };
  readonly instances: readonly InstanceRoute[];
  /** Smooth weighted round-robin state (nginx's algorithm): exact proportions over any window. */
  current: number;
}

export interface EndpointRoute {
  readonly name: string;
  readonly arn: string;
  readonly variants: readonly VariantRoute[];
  /** DataCaptureConfig of the serving fleet, when capture is on. */
  readonly capture?: CaptureSettings;
  /**
   * The shadow variant and the share of requests copied to it (its weight relative to the
   * production variants', at most 1), worked out when the route is published so a request only
   * draws a number (dataplane/shadow-mirror.ts).
   */
  readonly shadow?: { readonly variant: VariantRoute; readonly share: number };
}

/** An endpoint's serving instances as the controller publishes them (counters are the table's). */
export interface RouteSpec {
  name: string;
  arn: string;
  variants: {
    name: string;
    weight: number;
    shadow?: boolean;
    multiModel?: { prefix: string };
    pipeline?: { mode: PipelineMode; hostnames: string[] };
    serverless?: { maxConcurrency: number };
    instances: { instanceId: string; variant: string; origin: string; logStream: string; containers?: ContainerRoute[] }[];
  }[];
  capture?: CaptureSettings;
}

/** What the endpoint controller may do with the routes: publish, read back, withdraw. */
export interface RoutePublisher {
  /** Replaces an endpoint's route; instances carried over keep their counters. */
  publish(route: RouteSpec): EndpointRoute;
  lookup(name: string): EndpointRoute | undefined;
  remove(name: string): void;
  /** Before the server listens: requests for unknown names wait until endRestore(). */
  beginRestore(): void;
  endRestore(): void;
  /** The data plane saw a connection to an instance fail. */
  onInstanceBroken(listener: (endpoint: string, instance: InstanceRoute) => void): () => void;
  /** What the data plane sees of a serverless variant's demand (undefined: never invoked). */
  serverlessDemand(endpoint: string, variant: string): ServerlessDemandView | undefined;
  /** A request for a serverless variant found no instance. */
  onServerlessDemand(listener: (endpoint: string) => void): () => void;
  /** A serverless variant's container could not start: requests waiting for it fail with `reason`. */
  serverlessStartFailed(endpoint: string, reason: string): void;
}

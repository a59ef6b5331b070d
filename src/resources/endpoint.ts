/**
 * @module resources/endpoint — an endpoint as stored: the Describe document, the fleet plans the
 * controller deploys (`internal`), its statuses and log group. Wire members keep their AWS names;
 * timestamps in docs are epoch seconds.
 */
import type { Demand } from './demand.js';
import type { PipelinePlan } from './inference-pipeline.js';
import type { AsyncInferenceConfigDoc, DataCaptureConfigDoc } from './endpoint-config.js';
import type { ServerlessConfigDoc, ServerlessPlan } from './serverless.js';

/** What one variant of a fleet runs: the config's variant with its model resolved at deploy time. */
export interface VariantPlan {
  variantName: string;
  modelName: string;
  image: string;
  modelDataUrl?: string;
  environment: Record<string, string>;
  enableNetworkIsolation: boolean;
  instanceType?: string;
  instanceCount: number;
  weight: number;
  /**
   * A shadow variant (ShadowProductionVariants): never chosen for a caller; a sampled copy of the
   * production traffic goes to it, its answers are dropped (dataplane/shadow-mirror.ts).
   */
  shadow?: true;
  /** `Mode: MultiModel`: modelDataUrl is an S3 prefix; models load on first use (resources/multi-model.ts). */
  multiModel?: true;
  /**
   * A model with several Containers: every instance runs all of them (controllers/endpoint/
   * pipeline-instance.ts) and the data plane chains or targets them (dataplane/pipeline.ts).
   * `image`, `modelDataUrl` and `environment` above are then the first container's.
   */
  pipeline?: PipelinePlan;
  /**
   * ServerlessConfig: no instance type; `instanceCount` is unused and the fleet's size follows
   * the data plane's demand between ProvisionedConcurrency and MaxConcurrency (resources/serverless.ts).
   */
  serverless?: ServerlessPlan;
  startupTimeoutSeconds: number;
  downloadTimeoutSeconds: number;
  /** Set by the controller when the image is first resolved (DescribeEndpoint DeployedImages). */
  resolvedImage?: string;
  /** Epoch seconds. */
  resolutionTime?: number;
}

/**
 * A fleet is one generation of containers for one endpoint config. Models and configs may be
 * deleted while an endpoint uses them (as in SageMaker), so the plan is copied into the endpoint.
 */
export interface FleetPlan {
  generation: number;
  endpointConfigName: string;
  variants: VariantPlan[];
  /** The config's AsyncInferenceConfig, copied like the rest (the data plane's async queue reads it). */
  asyncInferenceConfig?: AsyncInferenceConfigDoc;
  /** The config's DataCaptureConfig (the data plane's capture writer reads it from the route). */
  dataCaptureConfig?: DataCaptureConfigDoc;
  /** What admission granted this fleet (fleet-admission.ts); unset while it waits. */
  admitted?: Demand;
  /** When an update's or a scale-up's ask started waiting (its place in the queue), epoch ms. */
  askedAt?: number;
}

export interface DeployedImageDoc {
  SpecifiedImage: string;
  ResolvedImage?: string;
  ResolutionTime?: number;
}

export interface VariantSummaryDoc {
  VariantName: string;
  DeployedImages?: DeployedImageDoc[];
  CurrentWeight?: number;
  DesiredWeight?: number;
  CurrentInstanceCount?: number;
  DesiredInstanceCount?: number;
  VariantStatus?: { Status: string; StatusMessage?: string; StartTime?: number }[];
  CurrentServerlessConfig?: ServerlessConfigDoc;
  DesiredServerlessConfig?: ServerlessConfigDoc;
}

export interface EndpointDoc {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: string;
  FailureReason?: string;
  ProductionVariants?: VariantSummaryDoc[];
  ShadowProductionVariants?: VariantSummaryDoc[];
  CreationTime: number;
  LastModifiedTime: number;
}

export interface EndpointInternal {
  /** The fleet serving (or being created, while Creating). */
  active: FleetPlan;
  /** A blue/green update in progress. */
  pending?: FleetPlan;
  /** Generation counter, so container names of a new fleet never collide with the old one. */
  nextGeneration: number;
}

export const EndpointStatus = {
  Creating: 'Creating',
  InService: 'InService',
  Updating: 'Updating',
  Deleting: 'Deleting',
  Failed: 'Failed',
} as const;
export type EndpointStatus = (typeof EndpointStatus)[keyof typeof EndpointStatus];

/** Used when a config leaves ContainerStartupHealthCheckTimeoutInSeconds out (see controller header). */
export const DEFAULT_STARTUP_TIMEOUT_SECONDS = 600;
export const DEFAULT_DOWNLOAD_TIMEOUT_SECONDS = 600;

export const endpointLogGroup = (name: string): string => `/aws/sagemaker/Endpoints/${name}`;

/**
 * DescribeEndpoint's ProductionVariants and ShadowProductionVariants; the latter is undefined (so
 * assigning it clears what an earlier fleet had) when the fleet has no shadow.
 */
export function endpointSummaries(summaries: VariantSummaryDoc[], plan: { variants: { shadow?: true }[] }): { ProductionVariants: VariantSummaryDoc[]; ShadowProductionVariants: VariantSummaryDoc[] | undefined } {
  const shadow = summaries.filter((_, i) => plan.variants[i]?.shadow);
  return { ProductionVariants: summaries.filter((_, i) => !plan.variants[i]?.shadow), ShadowProductionVariants: shadow.length ? shadow : undefined };
}

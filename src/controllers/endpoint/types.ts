/**
 * @module controllers/endpoint/types — the stored shapes of models, endpoint configs and endpoints
 * shared by the SageMaker handlers (which write them) and the endpoint controller (which reads them
 * and records status). Wire members keep their AWS names; timestamps in docs are epoch seconds.
 */
import type { Tag } from '../../storage/tag-store.js';
import type { Demand } from '../admission/demand.js';

export interface ContainerDefinitionDoc {
  Image?: string;
  ModelDataUrl?: string;
  Environment?: Record<string, string>;
  Mode?: string;
  ContainerHostname?: string;
  [member: string]: unknown;
}

export interface ModelDoc {
  ModelName: string;
  ModelArn: string;
  PrimaryContainer?: ContainerDefinitionDoc;
  Containers?: ContainerDefinitionDoc[];
  ExecutionRoleArn?: string;
  EnableNetworkIsolation?: boolean;
  CreationTime: number;
  [member: string]: unknown;
}

export interface ProductionVariantDoc {
  VariantName: string;
  ModelName: string;
  InitialInstanceCount?: number;
  InstanceType?: string;
  InitialVariantWeight?: number;
  ContainerStartupHealthCheckTimeoutInSeconds?: number;
  ModelDataDownloadTimeoutInSeconds?: number;
  [member: string]: unknown;
}

export interface EndpointConfigDoc {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: ProductionVariantDoc[];
  CreationTime: number;
  Tags?: Tag[];
  [member: string]: unknown;
}

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

/** `DataCaptureConfig` as stored (CreateEndpointConfig). */
export interface DataCaptureConfigDoc {
  EnableCapture?: boolean;
  InitialSamplingPercentage: number;
  DestinationS3Uri: string;
  KmsKeyId?: string;
  CaptureOptions: { CaptureMode: 'Input' | 'Output' | 'InputAndOutput' }[];
  CaptureContentTypeHeader?: { CsvContentTypes?: string[]; JsonContentTypes?: string[] };
}

/** `AsyncInferenceConfig` as stored (contract §2.6). */
export interface AsyncInferenceConfigDoc {
  ClientConfig?: { MaxConcurrentInvocationsPerInstance?: number };
  OutputConfig?: { S3OutputPath?: string; S3FailurePath?: string; KmsKeyId?: string; NotificationConfig?: Record<string, unknown> };
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
}

export interface EndpointDoc {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: string;
  FailureReason?: string;
  ProductionVariants?: VariantSummaryDoc[];
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

/** The one container a model runs (PrimaryContainer or a one-element Containers). */
export function primaryContainer(model: ModelDoc): ContainerDefinitionDoc | undefined {
  return model.PrimaryContainer ?? model.Containers?.[0];
}

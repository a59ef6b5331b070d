/** @module resources/endpoint-config — an endpoint configuration as stored (DescribeEndpointConfig): production variants, data capture, async inference. */
import type { Tag } from './tag.js';
import type { ServerlessConfigDoc } from './serverless.js';

export interface ProductionVariantDoc {
  VariantName: string;
  ModelName: string;
  InitialInstanceCount?: number;
  InstanceType?: string;
  InitialVariantWeight?: number;
  ContainerStartupHealthCheckTimeoutInSeconds?: number;
  ModelDataDownloadTimeoutInSeconds?: number;
  ServerlessConfig?: ServerlessConfigDoc;
  [member: string]: unknown;
}

export interface EndpointConfigDoc {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: ProductionVariantDoc[];
  /** At most one, beside exactly one production variant (CreateEndpointConfig). */
  ShadowProductionVariants?: ProductionVariantDoc[];
  DataCaptureConfig?: DataCaptureConfigDoc;
  AsyncInferenceConfig?: AsyncInferenceConfigDoc;
  CreationTime: number;
  Tags?: Tag[];
  [member: string]: unknown;
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

/**
 * @module resources/kinds — the SageMaker resource kinds Slipway keeps, each with its document and
 * bookkeeping types, and the stored record: the Describe document (`doc`) beside the controller's
 * own bookkeeping (`internal`). The ResourceKinds map types the store: `get('endpoint', name)` is
 * a `ResourceRecord<'endpoint'>`, with no cast at the caller.
 */
import type { EndpointDoc, EndpointInternal } from './endpoint.js';
import type { EndpointConfigDoc } from './endpoint-config.js';
import type { ModelDoc } from './model.js';
import type { ModelPackageDoc, ModelPackageGroupDoc, ModelPackageGroupInternal } from './model-package.js';
import type { TuningJobDoc, TuningJobInternal } from './tuning-job.js';
import type { ExecutionDoc, ExecutionInternal, PipelineDoc, PipelineInternal } from './pipeline.js';
import type { ProcessingJobDoc, ProcessingJobInternal } from './processing-job.js';
import type { TrainingJobDoc, TrainingJobInternal } from './training-job.js';
import type { TransformJobDoc, TransformJobInternal } from './transform-job.js';

/** Models and endpoint configs are records only: nothing reconciles them. */
export type NoInternal = Record<string, never>;

export interface ResourceKinds {
  'training-job': { doc: TrainingJobDoc; internal: TrainingJobInternal };
  'processing-job': { doc: ProcessingJobDoc; internal: ProcessingJobInternal };
  'transform-job': { doc: TransformJobDoc; internal: TransformJobInternal };
  model: { doc: ModelDoc; internal: NoInternal };
  'endpoint-config': { doc: EndpointConfigDoc; internal: NoInternal };
  endpoint: { doc: EndpointDoc; internal: EndpointInternal };
  'model-package-group': { doc: ModelPackageGroupDoc; internal: ModelPackageGroupInternal };
  'model-package': { doc: ModelPackageDoc; internal: NoInternal };
  'hyper-parameter-tuning-job': { doc: TuningJobDoc; internal: TuningJobInternal };
  pipeline: { doc: PipelineDoc; internal: PipelineInternal };
  /** Stored under the execution id; the ARN is the pipeline's plus `/execution/<id>`. */
  'pipeline-execution': { doc: ExecutionDoc; internal: ExecutionInternal };
}

export type ResourceKind = keyof ResourceKinds;
export type DocOf<K extends ResourceKind> = ResourceKinds[K]['doc'];
export type InternalOf<K extends ResourceKind> = ResourceKinds[K]['internal'];

export interface ResourceRecord<K extends ResourceKind = ResourceKind> {
  kind: K;
  name: string;
  arn: string;
  /** The wire status (mirrors the document's own status member; `Created` for models and configs). */
  status: string;
  /** Epoch milliseconds. */
  creationTime: number;
  lastModifiedTime: number;
  /** The Describe* output as stored (timestamps as epoch seconds). */
  doc: DocOf<K>;
  /** Controller bookkeeping that is not part of the API (container ids, attempts, ...). */
  internal: InternalOf<K>;
}

/**
 * The work-queue key of a resource, `<kind>:<name>`: what a handler enqueues and the controller of
 * that kind is handed (controllers/work-queue.ts dispatches on the kind before the colon).
 */
export function resourceKey(kind: ResourceKind, name: string): string {
  return `${kind}:${name}`;
}

/** The resource name of a work-queue key. */
export function nameOfKey(key: string): string {
  return key.slice(key.indexOf(':') + 1);
}

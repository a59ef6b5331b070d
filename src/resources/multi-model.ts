/**
 * @module resources/multi-model — multi-model endpoints (`Mode: MultiModel`): what the data plane
 * needs to serve `TargetModel`, and the interface the serving side implements (the composition
 * root wires `controllers/serving/multi-model-loader.ts` in, so the data plane never imports
 * controllers).
 *
 * SageMaker's contract (https://docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html):
 * the platform puts a model's data under `/opt/ml/models/<model_name>/model`, asks the container to
 * load it (`POST /models`), then invokes it (`POST /models/<model_name>/invoke`); `model_name` is
 * opaque (not the TargetModel) and the TargetModel travels as `X-Amzn-SageMaker-Target-Model`.
 */
import { createHash } from 'node:crypto';

/** Where a multi-model instance's models are, inside its container. */
export const MODELS_MOUNT = '/opt/ml/models';

/** The opaque model_name the container sees for a TargetModel (safe as a path segment and in a URL). */
export function containerModelName(targetModel: string): string {
  return createHash('sha256').update(targetModel).digest('hex').slice(0, 32);
}

/** A TargetModel's artifact: the variant's ModelDataUrl prefix followed by the TargetModel, as SageMaker joins them. */
export function targetModelUri(prefix: string, targetModel: string): string {
  return prefix + targetModel;
}

/** A model a multi-model instance cannot serve; the message is the caller's ValidationError or ModelError. */
export class TargetModelError extends Error {
  constructor(
    message: string,
    /** `client`: the caller named a model that does not exist or is unusable (400); `model`: the container failed to load it (424). */
    readonly kind: 'client' | 'model',
    readonly status = 0,
  ) {
    super(message);
    this.name = 'TargetModelError';
  }
}

export interface MultiModelTarget {
  endpoint: string;
  variant: string;
  /** The variant's ModelDataUrl (an S3 prefix). */
  prefix: string;
  instanceId: string;
  origin: string;
}

/** Loads models into multi-model instances on first use and unloads the least recently used. */
export interface ModelLoader {
  /** Whether the instance holds the model now (routing prefers such instances). */
  holds(instanceId: string, targetModel: string): boolean;
  /** The container's model_name once the model is loaded on the instance. Throws TargetModelError. */
  ensure(target: MultiModelTarget, targetModel: string): Promise<string>;
  /** The instance is gone: forget what it held and remove its models directory. */
  forget(instanceId: string): void;
}

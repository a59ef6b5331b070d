/**
 * @module services/sagemaker/serverless-config — what CreateEndpointConfig checks of a serverless
 * variant beyond the API model's ranges (MemorySizeInMB 1024..6144, MaxConcurrency and
 * ProvisionedConcurrency 1..200): memory in 1 GB steps, ProvisionedConcurrency ≤ MaxConcurrency,
 * no instance type or count, and the features SageMaker excludes from serverless endpoints
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions):
 * several production variants, shadow variants, data capture, asynchronous inference,
 * multi-model and inference-pipeline models, network isolation, VPC configuration.
 */
import { ValidationException } from '../../protocol/errors.js';
import type { ModelDoc } from '../../resources/model.js';
import type { ServerlessConfigDoc } from '../../resources/serverless.js';

interface VariantInput {
  VariantName: string;
  InstanceType?: string;
  InitialInstanceCount?: number;
  ServerlessConfig?: Partial<ServerlessConfigDoc>;
}

/** One variant with ServerlessConfig, with the model it names. */
export function checkServerlessVariant(v: VariantInput, model: ModelDoc): void {
  const c = v.ServerlessConfig!;
  const at = `for variant ${v.VariantName}`;
  if (v.InstanceType !== undefined) throw new ValidationException(`InstanceType and ServerlessConfig cannot both be specified ${at}.`);
  if (v.InitialInstanceCount !== undefined) throw new ValidationException(`InitialInstanceCount and ServerlessConfig cannot both be specified ${at}.`);
  if (c.MemorySizeInMB === undefined || c.MemorySizeInMB % 1024 !== 0) {
    throw new ValidationException(`ServerlessConfig.MemorySizeInMB ${String(c.MemorySizeInMB)} ${at} is not valid: use 1024, 2048, 3072, 4096, 5120 or 6144.`);
  }
  if (c.ProvisionedConcurrency !== undefined && c.MaxConcurrency !== undefined && c.ProvisionedConcurrency > c.MaxConcurrency) {
    throw new ValidationException(`ServerlessConfig.ProvisionedConcurrency (${c.ProvisionedConcurrency}) must be less than or equal to MaxConcurrency (${c.MaxConcurrency}) ${at}.`);
  }
  if ((model.Containers?.length ?? 0) > 1) throw new ValidationException(`Serverless endpoints do not support inference pipelines: model ${model.ModelName} has several containers.`);
  if ((model.PrimaryContainer ?? model.Containers?.[0])?.Mode === 'MultiModel') throw new ValidationException(`Serverless endpoints do not support multi-model endpoints: model ${model.ModelName} is MultiModel.`);
  if (model.EnableNetworkIsolation === true) throw new ValidationException(`Serverless endpoints do not support network isolation: model ${model.ModelName} has EnableNetworkIsolation.`);
  if (model.VpcConfig !== undefined) throw new ValidationException(`Serverless endpoints do not support VPC configuration: model ${model.ModelName} has VpcConfig.`);
}

/** The config as a whole: a serverless variant stands alone, without the features serverless excludes. */
export function checkServerlessConfig(input: {
  ProductionVariants: VariantInput[];
  ShadowProductionVariants?: VariantInput[];
  DataCaptureConfig?: unknown;
  AsyncInferenceConfig?: unknown;
}): void {
  const all = [...input.ProductionVariants, ...(input.ShadowProductionVariants ?? [])];
  if (!all.some((v) => v.ServerlessConfig)) return;
  if (all.length > 1) throw new ValidationException('An endpoint configuration with a serverless variant must have exactly 1 variant: serverless endpoints do not support multiple or shadow production variants.');
  if (input.DataCaptureConfig !== undefined) throw new ValidationException('Serverless endpoints do not support DataCaptureConfig.');
  if (input.AsyncInferenceConfig !== undefined) throw new ValidationException('Serverless endpoints do not support AsyncInferenceConfig.');
}

/**
 * @module services/sagemaker/describe-defaults — members SageMaker's Describe* answers always
 * carry, filled in when the request left them out. Clients index them directly: the SageMaker
 * Python SDK's `Estimator.attach` reads `OutputDataConfig["KmsKeyId"]`, which SageMaker returns as
 * `""` when no key was given (issue #14; estimator.py `_prepare_init_params_from_job_description`).
 * Applied when answering, so records stored before a default was added get it too.
 */

/** DescribeTrainingJob: KMS key `""`, GZIP output, and the three feature flags `false`. */
export function describedTrainingJob<D extends Record<string, unknown>>(doc: D): D {
  const output = (doc.OutputDataConfig ?? {}) as Record<string, unknown>;
  return {
    EnableNetworkIsolation: false,
    EnableInterContainerTrafficEncryption: false,
    EnableManagedSpotTraining: false,
    ...doc,
    OutputDataConfig: { KmsKeyId: '', CompressionType: 'GZIP', ...output },
  };
}

/** DescribeModel: `EnableNetworkIsolation: false` unless set. */
export function describedModel<D extends Record<string, unknown>>(doc: D): D {
  return { EnableNetworkIsolation: false, ...doc };
}

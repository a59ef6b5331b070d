/** @module resources/processing-config-files — what a processing container finds under /opt/ml/config (contract §6), computed from the job document. Pure. */
import { hostNames } from './training-config-files.js';
import { inputLocalPath, outputLocalPath, type ProcessingJobDoc } from './processing-job.js';

/**
 * `/opt/ml/config/processingjobconfig.json`: the request echoed with the defaults SageMaker fills
 * (`null` entrypoint/arguments, `S3DownloadMode: "StartOfJob"`, `KmsKeyId: null`, `VolumeKmsKeyId: null`).
 */
export function processingJobConfigJson(doc: ProcessingJobDoc): Record<string, unknown> {
  const app = doc.AppSpecification;
  return {
    ProcessingJobArn: doc.ProcessingJobArn,
    ProcessingJobName: doc.ProcessingJobName,
    AppSpecification: {
      ImageUri: app.ImageUri,
      ContainerEntrypoint: app.ContainerEntrypoint ?? null,
      ContainerArguments: app.ContainerArguments ?? null,
    },
    Environment: doc.Environment ?? {},
    NetworkConfig: doc.NetworkConfig ?? null,
    ProcessingInputs: (doc.ProcessingInputs ?? []).map((i) => ({
      InputName: i.InputName,
      AppManaged: i.AppManaged ?? false,
      S3Input: i.S3Input
        ? {
            LocalPath: inputLocalPath(i),
            S3Uri: i.S3Input.S3Uri,
            S3DataDistributionType: i.S3Input.S3DataDistributionType ?? 'FullyReplicated',
            S3DataType: i.S3Input.S3DataType,
            S3InputMode: i.S3Input.S3InputMode ?? 'File',
            S3CompressionType: i.S3Input.S3CompressionType ?? 'None',
            S3DownloadMode: 'StartOfJob',
          }
        : null,
    })),
    ProcessingOutputConfig: doc.ProcessingOutputConfig
      ? {
          Outputs: doc.ProcessingOutputConfig.Outputs.map((o) => ({
            OutputName: o.OutputName,
            AppManaged: o.AppManaged ?? false,
            S3Output: o.S3Output ? { LocalPath: outputLocalPath(o), S3Uri: o.S3Output.S3Uri, S3UploadMode: o.S3Output.S3UploadMode } : null,
          })),
          KmsKeyId: doc.ProcessingOutputConfig.KmsKeyId ?? null,
        }
      : null,
    ProcessingResources: { ClusterConfig: { ...doc.ProcessingResources.ClusterConfig, VolumeKmsKeyId: doc.ProcessingResources.ClusterConfig.VolumeKmsKeyId ?? null } },
    RoleArn: doc.RoleArn,
    StoppingCondition: doc.StoppingCondition ?? null,
  };
}

/** `/opt/ml/config/resourceconfig.json` (contract §6). */
export function processingResourceConfigJson(doc: ProcessingJobDoc, currentHost: string): { current_host: string; hosts: string[] } {
  return { current_host: currentHost, hosts: hostNames(doc.ProcessingResources.ClusterConfig.InstanceCount) };
}

/**
 * @module controllers/processing-job/container-config — what a processing container finds under
 * /opt/ml/config (contract §6) and where each input and output lives. Pure.
 */
import { hostNames } from '../training-job/container-config.js';
import { PROCESSING_ROOT, type ProcessingInputDoc, type ProcessingJobDoc, type ProcessingOutputDoc } from './types.js';

/** S3Input.LocalPath, or `/opt/ml/processing/input/<InputName>` when absent. */
export function inputLocalPath(input: ProcessingInputDoc): string {
  return (input.S3Input?.LocalPath ?? `${PROCESSING_ROOT}/input/${input.InputName}`).replace(/\/+$/, '');
}

export function outputLocalPath(output: ProcessingOutputDoc): string {
  return (output.S3Output?.LocalPath ?? `${PROCESSING_ROOT}/output/${output.OutputName}`).replace(/\/+$/, '');
}

/** A container path under /opt/ml/processing → the path relative to it (undefined when outside). */
export function underProcessingRoot(path: string): string | undefined {
  const clean = path.replace(/\/+$/, '');
  if (!clean.startsWith(`${PROCESSING_ROOT}/`)) return undefined;
  const rel = clean.slice(PROCESSING_ROOT.length + 1);
  if (rel === '' || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) return undefined;
  return rel;
}

const isFileInput = (i: ProcessingInputDoc) => i.S3Input !== undefined && i.S3Input.S3InputMode !== 'Pipe';

/**
 * The File-mode input whose LocalPath holds `path` (at any depth; the outermost when several do)
 * and `path` relative to it, or undefined. SageMaker copies inputs into the container's own file
 * system, so an input or output inside another input's directory simply lands in it: the
 * ScriptProcessor's code input at /opt/ml/processing/input/code beside data at
 * /opt/ml/processing/input (issue #14).
 */
export function enclosingInput(doc: ProcessingJobDoc, path: string): { input: ProcessingInputDoc; rel: string } | undefined {
  let best: { input: ProcessingInputDoc; base: string } | undefined;
  for (const i of doc.ProcessingInputs ?? []) {
    if (!isFileInput(i)) continue;
    const base = inputLocalPath(i);
    if (path.startsWith(`${base}/`) && (!best || base.length < best.base.length)) best = { input: i, base };
  }
  return best ? { input: best.input, rel: path.slice(best.base.length + 1) } : undefined;
}

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

/** `/opt/ml/output/message` → ExitMessage: UTF-8 only (undefined = not UTF-8), first 1024 characters. */
export function decodeExitMessage(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

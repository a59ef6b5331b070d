/**
 * @module resources/training-config-files — the JSON files a training container finds
 * under /opt/ml/input/config (contract §3.2), computed from the job document. Pure.
 */
import type { ChannelDoc, TrainingJobDoc } from './training-job.js';

export const GROUP_NAME = 'homogeneousCluster';

/** `algo-1..algo-N`, sorted lexicographically as SageMaker lists them (`algo-10` before `algo-2`). */
export function hostNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `algo-${i + 1}`).sort();
}

export function channelInputMode(doc: TrainingJobDoc, ch: ChannelDoc): 'Pipe' | 'File' | 'FastFile' {
  return ch.InputMode ?? doc.AlgorithmSpecification.TrainingInputMode;
}

export function hyperparametersJson(doc: TrainingJobDoc): Record<string, string> {
  // Values exactly as received: never re-encode (the toolkit json.loads each one).
  return { ...(doc.HyperParameters ?? {}) };
}

export function inputDataConfigJson(doc: TrainingJobDoc): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const ch of doc.InputDataConfig ?? []) {
    const entry: Record<string, string> = {};
    if (ch.ContentType !== undefined) entry.ContentType = ch.ContentType;
    entry.TrainingInputMode = channelInputMode(doc, ch);
    entry.S3DistributionType = ch.DataSource.S3DataSource?.S3DataDistributionType ?? 'FullyReplicated';
    entry.RecordWrapperType = ch.RecordWrapperType ?? 'None';
    out[ch.ChannelName] = entry;
  }
  return out;
}

export function resourceConfigJson(doc: TrainingJobDoc, currentHost: string): Record<string, unknown> {
  const hosts = hostNames(doc.ResourceConfig.InstanceCount);
  const type = doc.ResourceConfig.InstanceType;
  return {
    current_host: currentHost,
    current_instance_type: type,
    current_group_name: GROUP_NAME,
    hosts,
    instance_groups: [{ instance_group_name: GROUP_NAME, instance_type: type, hosts }],
    network_interface_name: 'eth0',
  };
}

/**
 * @module cli/local/opt-ml — the `/opt/ml/input/config/*.json` files of the training contract
 * (sagemaker-contract.md §3.2) for `slipway local train` and `slipway doctor`. The content comes
 * from the training controller's own functions, so a local run and a server run cannot drift apart.
 */
import { hyperparametersJson, inputDataConfigJson, resourceConfigJson } from '../../resources/training-config-files.js';
import type { TrainingJobDoc } from '../../resources/training-job.js';

export interface LocalChannel {
  name: string;
  contentType?: string;
}

export interface TrainingConfigInput {
  /** Passed through exactly: every value already a string, never re-encoded. */
  hyperparameters: Record<string, string>;
  channels: LocalChannel[];
  instanceType?: string;
  instanceCount?: number;
  /** 1-based host index this container plays. */
  currentHost?: number;
}

/** File name (relative to /opt/ml/input/config) → content. */
export function trainingConfigFiles(input: TrainingConfigInput): Record<string, string> {
  // Only the fields the config functions read; the rest of a stored job has no local meaning.
  const doc = {
    HyperParameters: input.hyperparameters,
    AlgorithmSpecification: { TrainingImage: 'local', TrainingInputMode: 'File' },
    InputDataConfig: input.channels.map((ch) => ({
      ChannelName: ch.name,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `file:///opt/ml/input/data/${ch.name}`, S3DataDistributionType: 'FullyReplicated' } },
      ...(ch.contentType ? { ContentType: ch.contentType } : {}),
    })),
    ResourceConfig: { InstanceType: input.instanceType ?? 'local', InstanceCount: Math.max(1, input.instanceCount ?? 1), VolumeSizeInGB: 0 },
  } as unknown as TrainingJobDoc;
  return {
    'hyperparameters.json': JSON.stringify(hyperparametersJson(doc)),
    'inputdataconfig.json': JSON.stringify(inputDataConfigJson(doc)),
    'resourceconfig.json': JSON.stringify(resourceConfigJson(doc, `algo-${input.currentHost ?? 1}`)),
  };
}

/** A content type guessed from a file name, for channels and payloads given without one. */
export function guessContentType(file: string): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase();
  switch (ext) {
    case 'csv':
      return 'text/csv';
    case 'json':
      return 'application/json';
    case 'jsonl':
    case 'jsonlines':
      return 'application/jsonlines';
    case 'txt':
      return 'text/plain';
    case 'png':
      return 'image/png';
    case 'jpg':
    case 'jpeg':
      return 'image/jpeg';
    case 'npy':
      return 'application/x-npy';
    case 'parquet':
      return 'application/x-parquet';
    default:
      return undefined;
  }
}

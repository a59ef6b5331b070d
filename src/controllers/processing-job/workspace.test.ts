import { describe, expect, it } from 'vitest';
import { ContainerStartError } from '../../runtime/container-runtime.js';
import { ServiceError } from '../../protocol/errors.js';
import { failureReasonFor, INTERNAL_ERROR_REASON } from '../job-common/failure-reason.js';
import { TerminalFailure } from '../terminal-failure.js';
import { enclosingInput, type ProcessingInputDoc, type ProcessingJobDoc } from '../../resources/processing-job.js';
import { pipeLocation, processingMounts, ProcessingWorkspace } from './workspace.js';

const input = (InputName: string, LocalPath: string, mode: 'File' | 'Pipe' = 'File'): ProcessingInputDoc => ({
  InputName,
  S3Input: { S3Uri: `s3://b/${InputName}`, LocalPath, S3DataType: 'S3Prefix', S3InputMode: mode },
});

function job(inputs: ProcessingInputDoc[], outputs: string[] = []): ProcessingJobDoc {
  return {
    ProcessingJobName: 'j',
    ProcessingJobArn: 'arn',
    ProcessingJobStatus: 'InProgress',
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
    AppSpecification: { ImageUri: 'i' },
    ProcessingInputs: inputs,
    ProcessingOutputConfig: { Outputs: outputs.map((p, i) => ({ OutputName: `o${i}`, S3Output: { S3Uri: `s3://b/o${i}`, LocalPath: p, S3UploadMode: 'EndOfJob' } })) },
    RoleArn: 'r',
    CreationTime: 0,
    LastModifiedTime: 0,
  };
}

const ws = new ProcessingWorkspace('/w');

describe('processing layout with nested paths (the ScriptProcessor’s code inside the data input)', () => {
  const doc = job(
    [input('data', '/opt/ml/processing/input'), input('code', '/opt/ml/processing/input/code'), input('deep', '/opt/ml/processing/input/code/lib'), input('feed', '/opt/ml/processing/input/stream', 'Pipe')],
    ['/opt/ml/processing/input/out', '/opt/ml/processing/train'],
  );

  it('finds the outermost File input holding a path', () => {
    expect(enclosingInput(doc, '/opt/ml/processing/input/code/lib')).toMatchObject({ input: { InputName: 'data' }, rel: 'code/lib' });
    expect(enclosingInput(doc, '/opt/ml/processing/input')).toBeUndefined();
    expect(enclosingInput(doc, '/opt/ml/processing/inputs')).toBeUndefined();
    expect(enclosingInput(doc, '/opt/ml/processing/train')).toBeUndefined();
  });

  it('mounts only the outer input read-only, and an output inside it read-write over it', () => {
    expect(processingMounts(ws, doc)).toEqual([
      { hostPath: '/w/config', containerPath: '/opt/ml/config', readOnly: true },
      { hostPath: '/w/output', containerPath: '/opt/ml/output' },
      { hostPath: '/w/processing', containerPath: '/opt/ml/processing' },
      { hostPath: '/w/inputs/data', containerPath: '/opt/ml/processing/input', readOnly: true },
      { hostPath: '/w/processing/input/out', containerPath: '/opt/ml/processing/input/out' },
    ]);
  });

  it('puts a Pipe input’s FIFO inside the enclosing input’s directory', () => {
    expect(pipeLocation(ws, doc, doc.ProcessingInputs![3]!)).toEqual({ dataDir: '/w/inputs/data', channel: 'stream' });
    const flat = job([input('feed', '/opt/ml/processing/feed', 'Pipe')]);
    expect(pipeLocation(ws, flat, flat.ProcessingInputs![0]!)).toEqual({ dataDir: '/w/processing', channel: 'feed' });
  });
});

describe('FailureReason for errors that are not the input’s', () => {
  it('never carries the engine’s or the host’s internals', () => {
    expect(failureReasonFor(TerminalFailure.client('bad data'))).toBe('ClientError: bad data');
    expect(failureReasonFor(new ContainerStartError('the program "x" is not on the image\'s PATH', true))).toBe(
      'ClientError: The container could not start: the program "x" is not on the image\'s PATH.',
    );
    expect(failureReasonFor(new ContainerStartError('the container engine refused to start it', false))).toBe(
      'InternalServerError: The container could not start: the container engine refused to start it.',
    );
    expect(failureReasonFor(new ServiceError('InsufficientStorage', 'The disk is full.', 507), 'uploading outputs')).toBe('InternalServerError: uploading outputs failed: The disk is full.');
    expect(failureReasonFor(new Error("EACCES: permission denied, open '/root/.slipway/work/x'"))).toBe(INTERNAL_ERROR_REASON);
  });
});

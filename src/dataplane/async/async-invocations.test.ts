import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../protocol/errors.js';
import { parseAsyncHeaders, resultLocations } from './async-invocations.js';

const input = { 'x-amzn-sagemaker-inputlocation': 's3://b/in/x.json' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ServiceError ? err.code : 'not a ServiceError';
  }
  return undefined;
}

describe('parseAsyncHeaders', () => {
  it('applies the defaults and generates an InferenceId when none is given', () => {
    const h = parseAsyncHeaders(input, () => 'generated');
    expect(h).toEqual({ inferenceId: 'generated', inputLocation: 's3://b/in/x.json', requestTtlSeconds: 21_600, invocationTimeoutSeconds: 900 });
  });

  it('reads the SageMaker-prefixed content type, accept, attributes and limits', () => {
    const h = parseAsyncHeaders({
      ...input,
      'x-amzn-sagemaker-content-type': 'text/csv',
      'x-amzn-sagemaker-accept': 'application/json',
      'x-amzn-sagemaker-custom-attributes': 'a=1',
      'x-amzn-sagemaker-inference-id': 'id-1',
      'x-amzn-sagemaker-requestttlseconds': '60',
      'x-amzn-sagemaker-invocationtimeoutseconds': '3600',
    });
    expect(h).toMatchObject({ inferenceId: 'id-1', contentType: 'text/csv', accept: 'application/json', customAttributes: 'a=1', requestTtlSeconds: 60, invocationTimeoutSeconds: 3600 });
  });

  it('rejects a missing InputLocation, out-of-range limits and path-like ids with ValidationError', () => {
    expect(codeOf(() => parseAsyncHeaders({}))).toBe('ValidationError');
    expect(codeOf(() => parseAsyncHeaders({ ...input, 'x-amzn-sagemaker-requestttlseconds': '59' }))).toBe('ValidationError');
    expect(codeOf(() => parseAsyncHeaders({ ...input, 'x-amzn-sagemaker-requestttlseconds': '21601' }))).toBe('ValidationError');
    expect(codeOf(() => parseAsyncHeaders({ ...input, 'x-amzn-sagemaker-invocationtimeoutseconds': '0' }))).toBe('ValidationError');
    expect(codeOf(() => parseAsyncHeaders({ ...input, 'x-amzn-sagemaker-invocationtimeoutseconds': '1.5' }))).toBe('ValidationError');
    expect(codeOf(() => parseAsyncHeaders({ ...input, 'x-amzn-sagemaker-inference-id': 'a/b' }))).toBe('ValidationError');
    expect(codeOf(() => parseAsyncHeaders({ ...input, 'x-amzn-sagemaker-inference-id': 'x'.repeat(65) }))).toBe('ValidationError');
  });
});

describe('resultLocations', () => {
  it('names <output>/<id>.out and <failure or output>/<id>-error.out', () => {
    expect(resultLocations({ OutputConfig: { S3OutputPath: 's3://b/out/', S3FailurePath: 's3://b/fail' } }, 'i')).toEqual({
      output: 's3://b/out/i.out',
      failure: 's3://b/fail/i-error.out',
    });
    expect(resultLocations({ OutputConfig: { S3OutputPath: 's3://b/out' } }, 'i').failure).toBe('s3://b/out/i-error.out');
  });
});

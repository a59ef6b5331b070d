import { describe, expect, it } from 'vitest';
import { headerValidationMessage } from './request-headers.js';

describe('InvokeEndpoint header members against the runtime model', () => {
  it('accept values at the limits', () => {
    expect(
      headerValidationMessage('InvokeEndpoint', 'ep-1', {
        'x-amzn-sagemaker-custom-attributes': 'c'.repeat(1024),
        'x-amzn-sagemaker-inference-id': 'i'.repeat(64),
        accept: 'a'.repeat(1024),
        'content-type': 'text/csv',
        'x-amzn-sagemaker-target-variant': 'Variant-1',
        'x-amzn-sagemaker-session-id': 'NEW_SESSION',
      }),
    ).toBeUndefined();
  });

  it("word violations as AWS does, with each member's path", () => {
    expect(headerValidationMessage('InvokeEndpoint', 'ep', { 'x-amzn-sagemaker-custom-attributes': 'c'.repeat(1025) })).toBe(
      `1 validation error detected: Value '${'c'.repeat(1025)}' at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024`,
    );
    const two = headerValidationMessage('InvokeEndpoint', 'ep', { 'x-amzn-sagemaker-inference-id': 'i'.repeat(65), accept: 'caf\u00e9' })!;
    expect(two).toMatch(/^2 validation errors detected: /);
    expect(two).toContain("at 'accept' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{ASCII}*");
    expect(two).toContain("at 'inferenceId' failed to satisfy constraint: Member must have length less than or equal to 64");
    expect(headerValidationMessage('InvokeEndpoint', 'ep', { 'x-amzn-sagemaker-inference-id': 'tab\there' })).toContain('at \'inferenceId\'');
    expect(headerValidationMessage('InvokeEndpoint', 'bad_name!', {})).toContain("at 'endpointName'");
  });

  it('reads the response-stream variant of Accept', () => {
    expect(headerValidationMessage('InvokeEndpointWithResponseStream', 'ep', { 'x-amzn-sagemaker-accept': 'a'.repeat(1025) })).toContain("at 'accept'");
    expect(headerValidationMessage('InvokeEndpointWithResponseStream', 'ep', { accept: 'a'.repeat(1025) })).toBeUndefined();
  });

  it("checks InvokeEndpointAsync's string headers too, and leaves its integers to the async reader", () => {
    const ok = { 'x-amzn-sagemaker-inputlocation': 's3://b/in.json', 'x-amzn-sagemaker-filename': 'out-1.json', 'x-amzn-sagemaker-requestttlseconds': '600' };
    expect(headerValidationMessage('InvokeEndpointAsync', 'ep', ok)).toBeUndefined();
    expect(headerValidationMessage('InvokeEndpointAsync', 'ep', { ...ok, 'x-amzn-sagemaker-filename': '!@#$%^&*()' })).toContain("at 'filename'");
    expect(headerValidationMessage('InvokeEndpointAsync', 'ep', { ...ok, 'x-amzn-sagemaker-filename': 'f'.repeat(33) })).toContain("at 'filename'");
    expect(headerValidationMessage('InvokeEndpointAsync', 'ep', { ...ok, 'x-amzn-sagemaker-s3outputpathextension': 'x'.repeat(513) })).toContain("at 's3OutputPathExtension'");
    expect(headerValidationMessage('InvokeEndpointAsync', 'ep', { ...ok, 'x-amzn-sagemaker-accept': 'caf\u00e9' })).toContain("at 'accept'");
    expect(headerValidationMessage('InvokeEndpointAsync', 'ep', { ...ok, 'x-amzn-sagemaker-content-type': 'caf\u00e9' })).toContain("at 'contentType'");
    expect(headerValidationMessage('InvokeEndpointAsync', 'ep', { ...ok, 'x-amzn-sagemaker-custom-attributes': 'caf\u00e9' })).toContain("at 'customAttributes'");
  });
});

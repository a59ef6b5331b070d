import { describe, expect, it } from 'vitest';
import { cliCredentials, toCliError } from './clients.js';

const sdkError = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('toCliError for servers with authentication on', () => {
  it('says in one line which variables to set when the key is missing, unknown or wrong', () => {
    for (const code of ['UnrecognizedClientException', 'InvalidSignatureException', 'MissingAuthenticationTokenException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']) {
      const e = toCliError(sdkError(code, 'x', 403), 'http://h:7447');
      expect(e.message).toBe(
        `${code}: the Slipway server at http://h:7447 requires authentication; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to a Slipway credential`,
      );
      expect(e.message).not.toContain('\n');
    }
  });

  it('points at the clock for an expired signature', () => {
    const e = toCliError(sdkError('InvalidSignatureException', 'Signature expired: 20260101T000000Z is now earlier than …', 403), 'http://h');
    expect(e.message).toMatch(/clock/);
  });

  it('leaves other errors as they were', () => {
    expect(toCliError(sdkError('ValidationException', 'Could not find endpoint', 400), 'http://h').message).toBe('ValidationException: Could not find endpoint');
  });
});

describe('cliCredentials', () => {
  it('uses the environment pair when set, else any key when there is no profile to read', () => {
    expect(cliCredentials('us-east-1', { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S' })).toEqual({ accessKeyId: 'A', secretAccessKey: 'S' });
    expect(cliCredentials('us-east-1', { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/c', AWS_CONFIG_FILE: '/nonexistent/f' })).toEqual({
      accessKeyId: 'slipway',
      secretAccessKey: 'slipway',
    });
  });
});

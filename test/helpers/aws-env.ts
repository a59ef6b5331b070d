/** @module test/helpers/aws-env — environment for Python and aws CLI subprocesses pointed at a test server. */

/**
 * Environment for python3/boto3 and aws CLI subprocesses pointed at a test server; `keys`
 * replaces the default `slipway`/`slipway` pair (servers with authentication on).
 */
export function awsEnv(url: string, keys: { accessKeyId: string; secretAccessKey: string } = { accessKeyId: 'slipway', secretAccessKey: 'slipway' }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

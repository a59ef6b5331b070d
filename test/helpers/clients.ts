/**
 * @module test/helpers/clients — the JS SDK clients every suite uses, pointed at a test server
 * (`sm`, `rt` for SageMaker Runtime without retries, `s3` path-style, `logs`). Clients open no
 * connection until used.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { sdkClientConfig } from './server.js';

export function clients(url: string) {
  return {
    sm: new SageMakerClient(sdkClientConfig(url)),
    // One attempt: a test sees the answer the server gave, not a retry's.
    rt: new SageMakerRuntimeClient({ ...sdkClientConfig(url), maxAttempts: 1 }),
    s3: new S3Client({ ...sdkClientConfig(url), forcePathStyle: true }),
    logs: new CloudWatchLogsClient(sdkClientConfig(url)),
  };
}

/** Helpers for the processing and transform suites: fixture images in the suites' own folders, boto3 scripts. */
import { join } from 'node:path';
import { buildTestImage } from '../../fixtures/images/build.js';
import { pythonLastJson } from '../../helpers/python.js';

/** Builds `<dir>` as `slipway-fixture/<name>:latest` once per process. */
export const buildImageFrom = (dir: string, name: string): Promise<string> => buildTestImage(dir, `slipway-fixture/${name}:latest`);

export const processorImage = () => buildImageFrom(join(import.meta.dirname, 'fixtures/processor'), 'processor');

/** Runs a python3/boto3 script (with `sm`, `s3` and `logs` clients) and parses the JSON it prints last. */
export async function boto3<T = Record<string, unknown>>(url: string, script: string, timeoutMs = 170_000): Promise<T> {
  const prelude = `
import json, os, time, boto3, botocore
E = os.environ['AWS_ENDPOINT_URL']
sm = boto3.client('sagemaker', endpoint_url=E)
s3 = boto3.client('s3', endpoint_url=E)
logs = boto3.client('logs', endpoint_url=E)
`;
  return pythonLastJson<T>(url, script, { prelude, timeoutMs });
}

/**
 * boto3 lines (for `boto3()`) that wait until the job ends — a WaiterError (Failed) is fine, the
 * test asserts the status — and leave DescribeProcessingJob / DescribeTransformJob in `d`.
 */
export function waitAndDescribe(kind: 'Processing' | 'Transform', name: string, maxAttempts: number): string {
  const snake = kind.toLowerCase();
  return `
try:
    sm.get_waiter('${snake}_job_completed_or_stopped').wait(${kind}JobName='${name}', WaiterConfig={'Delay': 1, 'MaxAttempts': ${maxAttempts}})
except botocore.exceptions.WaiterError:
    pass
d = sm.describe_${snake}_job(${kind}JobName='${name}')
`;
}

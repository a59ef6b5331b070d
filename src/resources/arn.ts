/** @module resources/arn — SageMaker ARNs; the real service lower-cases the name part. */
import type { ResourceKind } from './kinds.js';

export function sageMakerArn(region: string, account: string, kind: ResourceKind, name: string): string {
  // Observed: arn:aws:sagemaker:us-east-1:123:endpoint/exampleendpoint for ExampleEndpoint (CloudTrail sample).
  return `arn:aws:sagemaker:${region}:${account}:${kind}/${name.toLowerCase()}`;
}

const ARN = /^arn:aws[a-z-]*:sagemaker:([^:]*):(\d{12}):([a-z-]+)\/(.+)$/;

export function parseSageMakerArn(arn: string): { region: string; account: string; kind: string; name: string } | undefined {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, account: m[2]!, kind: m[3]!, name: m[4]! };
}

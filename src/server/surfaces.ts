/** @module server/surfaces — the surfaces one port serves, by name; server/router.ts picks one per request. */
import type { Surface } from '../protocol/surface.js';

export interface Surfaces {
  /** /_slipway/*: health, console, metrics, live logs. */
  slipway: Surface;
  sagemaker: Surface;
  logs: Surface;
  /** SageMaker Runtime: the data plane. */
  runtime: Surface;
  s3: Surface;
  /** S3 static website hosting: never signed, the bucket policy decides (services/s3/website). */
  website: Surface;
  /** CloudWatch metrics: RPC v2 CBOR, JSON 1.0 or query, told apart inside. */
  cloudwatch: Surface;
  /** STS over the query protocol: GetCallerIdentity only (services/sts). */
  sts: Surface;
  /** IAM over the query protocol: roles and their policies (services/iam). */
  iam: Surface;
  /** X-Amz-Target with an unknown prefix (renders UnknownOperationException). */
  unknownTarget: Surface;
  /** ECR's API (JSON 1.1, src/services/ecr). */
  ecr: Surface;
  /** Application Auto Scaling (JSON 1.1, `AnyScaleFrontendService.*`, src/services/application-autoscaling). */
  autoscaling: Surface;
  /** The registry API under /v2/ (src/registry): Docker's own Basic auth, not SigV4. */
  registry: Surface;
}

export type SurfaceName = keyof Surfaces;

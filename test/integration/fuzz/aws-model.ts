/**
 * @module test/integration/fuzz/aws-model — loads the official AWS service models (the full
 * botocore JSON, with wire locations) that the fuzz cases are generated from.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** A member reference inside a structure (or a list/map element), with its wire placement. */
export interface MemberRef {
  readonly shape: string;
  readonly location?: 'header' | 'headers' | 'uri' | 'querystring' | 'statusCode';
  readonly locationName?: string;
  readonly flattened?: boolean;
  readonly hostLabel?: boolean;
  readonly idempotencyToken?: boolean;
}

export interface Shape {
  readonly type: string;
  readonly members?: Readonly<Record<string, MemberRef>>;
  readonly required?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly member?: MemberRef;
  readonly key?: MemberRef;
  readonly value?: MemberRef;
  readonly payload?: string;
  readonly union?: boolean;
  readonly flattened?: boolean;
  readonly locationName?: string;
  readonly streaming?: boolean;
  readonly timestampFormat?: string;
  readonly document?: boolean;
}

export interface Operation {
  readonly name: string;
  readonly http: { readonly method: string; readonly requestUri: string };
  readonly input?: { readonly shape: string; readonly locationName?: string; readonly xmlNamespace?: { uri: string } };
}

export interface AwsModel {
  readonly metadata: {
    readonly protocol: string;
    readonly targetPrefix?: string;
    readonly jsonVersion?: string;
    readonly apiVersion: string;
    readonly xmlNamespace?: string;
  };
  readonly operations: Readonly<Record<string, Operation>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

/** Where each service's model lives under shared/aws-models. */
export const MODEL_PATHS = {
  sagemaker: 'sagemaker/2017-07-24/service-2.json.gz',
  logs: 'logs/2014-03-28/service-2.json.gz',
  cloudwatch: 'cloudwatch/2010-08-01/service-2.json.gz',
  sts: 'sts/2011-06-15/service-2.json.gz',
  s3: 's3/2006-03-01/service-2.json.gz',
  'sagemaker-runtime': 'sagemaker-runtime/2017-05-13/service-2.json.gz',
  iam: 'iam/2010-05-08/service-2.json.gz',
  'application-autoscaling': 'application-autoscaling/2016-02-06/service-2.json.gz',
} as const;

export type ServiceName = keyof typeof MODEL_PATHS;

const cache = new Map<ServiceName, AwsModel>();

/** The official model of `service`, found the way `npm run generate` finds it (nearest shared/aws-models). */
export async function loadAwsModel(service: ServiceName): Promise<AwsModel> {
  const hit = cache.get(service);
  if (hit) return hit;
  // The generator script is plain JS outside tsc's view; it owns the models-root search.
  const script = new URL('../../../scripts/generate-validators.mjs', import.meta.url).href;
  const { MODELS_ROOT } = (await import(script)) as { MODELS_ROOT: URL };
  const file = fileURLToPath(new URL(MODEL_PATHS[service], MODELS_ROOT));
  const model = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as AwsModel;
  cache.set(service, model);
  return model;
}

export function shapeOf(model: AwsModel, name: string): Shape {
  const s = model.shapes[name];
  if (!s) throw new Error(`shape ${name} is not in the model`);
  return s;
}

/** The input shape of an operation (undefined for operations without input). */
export function inputShape(model: AwsModel, operation: string): { name: string; shape: Shape } | undefined {
  const op = model.operations[operation];
  if (!op) throw new Error(`operation ${operation} is not in the model`);
  if (!op.input) return undefined;
  return { name: op.input.shape, shape: shapeOf(model, op.input.shape) };
}

#!/usr/bin/env node
/**
 * @module scripts/generate-validators — turns the official AWS service models (shared/aws-models)
 * into compact, deterministic validation tables for the services whose input Slipway validates.
 *
 *   shared/aws-models/<svc>/<ver>/service-2.json.gz
 *        │  keep every shape reachable from any operation's input, drop docs and output-only shapes
 *        ▼
 *   src/services/<svc>/generated/model.ts   (MODEL: operations → input shape, trimmed shape table)
 *   src/services/<svc>/generated/types.ts   (input/output types of the operations the service routes,
 *                                            and its `Operations` map; see generate-types.mjs)
 *
 * Usage: `node scripts/generate-validators.mjs` writes the files; `--check` writes nothing and exits 1
 * when a committed file differs from what would be generated (CI drift check). `generate()` is
 * exported so a unit test can regenerate in memory and compare.
 *
 * Plain Node ESM without dependencies on purpose: it must run before `npm ci` has built anything.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { reachableShapes, renderTypes } from './generate-types.mjs';

/** Repo root (this file lives in <repo>/scripts/). */
const REPO_ROOT = new URL('../', import.meta.url);
/**
 * CI clones the repo with shared/ beside it (<repo>/../shared/aws-models); a git worktree sits one
 * level deeper (<checkout>/wt/<name>), so the nearest ancestor that has shared/aws-models wins.
 */
export const MODELS_ROOT = findModelsRoot(REPO_ROOT);

/** The first `<ancestor>/shared/aws-models/` above `start` (the repo's parent first), else the CI layout. */
export function findModelsRoot(start) {
  for (let dir = new URL('../', start); ; dir = new URL('../', dir)) {
    const candidate = new URL('shared/aws-models/', dir);
    if (existsSync(candidate)) return candidate;
    if (dir.pathname === '/') return new URL('../shared/aws-models/', start);
  }
}

/**
 * The services we generate for; `modelPath` is relative to shared/aws-models. `outPath` is the
 * validation table; `types.operations` lists the operations the service's table routes (its
 * typecheck fails on a routed operation missing here).
 */
export const SERVICES = [
  {
    name: 'sagemaker',
    modelPath: 'sagemaker/2017-07-24/service-2.json.gz',
    outPath: 'src/services/sagemaker/generated/model.ts',
    types: {
      path: 'src/services/sagemaker/generated/types.ts',
      operations: [
        'AddTags',
        'CreateEndpoint',
        'CreateEndpointConfig',
        'CreateHyperParameterTuningJob',
        'CreateModel',
        'CreateModelPackage',
        'CreateModelPackageGroup',
        'CreatePipeline',
        'CreateProcessingJob',
        'CreateTrainingJob',
        'CreateTransformJob',
        'DeleteEndpoint',
        'DeleteEndpointConfig',
        'DeleteModel',
        'DeleteModelPackage',
        'DeleteModelPackageGroup',
        'DeletePipeline',
        'DeleteTags',
        'DescribeEndpoint',
        'DescribeEndpointConfig',
        'DescribeHyperParameterTuningJob',
        'DescribeModel',
        'DescribeModelPackage',
        'DescribeModelPackageGroup',
        'DescribePipeline',
        'DescribePipelineDefinitionForExecution',
        'ListPipelineParametersForExecution',
        'DescribePipelineExecution',
        'DescribeProcessingJob',
        'DescribeTrainingJob',
        'DescribeTransformJob',
        'ListEndpointConfigs',
        'ListEndpoints',
        'ListHyperParameterTuningJobs',
        'ListModelPackageGroups',
        'ListModelPackages',
        'ListModels',
        'ListPipelineExecutionSteps',
        'ListPipelineExecutions',
        'ListPipelines',
        'ListProcessingJobs',
        'ListTags',
        'ListTrainingJobs',
        'ListTrainingJobsForHyperParameterTuningJob',
        'DeleteHyperParameterTuningJob',
        'ListTransformJobs',
        'RetryPipelineExecution',
        'StartPipelineExecution',
        'StopHyperParameterTuningJob',
        'StopPipelineExecution',
        'StopProcessingJob',
        'StopTrainingJob',
        'StopTransformJob',
        'UpdateEndpoint',
        'UpdateEndpointWeightsAndCapacities',
        'UpdateModelPackage',
        'UpdatePipeline',
      ],
    },
  },
  {
    name: 'logs',
    modelPath: 'logs/2014-03-28/service-2.json.gz',
    outPath: 'src/services/logs/generated/model.ts',
    types: {
      path: 'src/services/logs/generated/types.ts',
      operations: [
        'CreateLogGroup',
        'CreateLogStream',
        'DeleteLogGroup',
        'DeleteLogStream',
        'DeleteRetentionPolicy',
        'DescribeLogGroups',
        'DescribeLogStreams',
        'FilterLogEvents',
        'GetLogEvents',
        'PutLogEvents',
        'PutRetentionPolicy',
      ],
    },
  },
  {
    name: 'cloudwatch',
    modelPath: 'cloudwatch/2010-08-01/service-2.json.gz',
    outPath: 'src/services/cloudwatch/generated/model.ts',
    types: {
      path: 'src/services/cloudwatch/generated/types.ts',
      operations: [
        'GetMetricData',
        'GetMetricStatistics',
        'ListMetrics',
        'PutMetricData',
      ],
    },
  },
  {
    // REST-JSON: the data plane (src/dataplane, the runtime's implementation) checks InvokeEndpoint's header members with it.
    name: 'sagemaker-runtime',
    modelPath: 'sagemaker-runtime/2017-05-13/service-2.json.gz',
    outPath: 'src/dataplane/generated/model.ts',
  },
  {
    // Query protocol: IAM roles and their policies (src/services/iam).
    name: 'iam',
    modelPath: 'iam/2010-05-08/service-2.json.gz',
    outPath: 'src/services/iam/generated/model.ts',
    types: {
      path: 'src/services/iam/generated/types.ts',
      operations: [
        'AttachRolePolicy',
        'CreateRole',
        'DeleteRole',
        'DeleteRolePolicy',
        'DetachRolePolicy',
        'GetRole',
        'GetRolePolicy',
        'ListAttachedRolePolicies',
        'ListRolePolicies',
        'ListRoleTags',
        'ListRoles',
        'PutRolePolicy',
        'TagRole',
        'UntagRole',
        'UpdateAssumeRolePolicy',
        'UpdateRole',
        'UpdateRoleDescription',
      ],
    },
  },
  {
    name: 'ecr',
    modelPath: 'ecr/2015-09-21/service-2.json.gz',
    outPath: 'src/services/ecr/generated/model.ts',
    types: {
      path: 'src/services/ecr/generated/types.ts',
      operations: [
        'BatchDeleteImage',
        'BatchGetImage',
        'CreateRepository',
        'DeleteRepository',
        'DescribeImages',
        'DescribeRepositories',
        'GetAuthorizationToken',
        'ListImages',
        'ListTagsForResource',
        'PutImageTagMutability',
        'TagResource',
        'UntagResource',
      ],
    },
  },
  {
    name: 'application-autoscaling',
    modelPath: 'application-autoscaling/2016-02-06/service-2.json.gz',
    outPath: 'src/services/application-autoscaling/generated/model.ts',
    types: {
      path: 'src/services/application-autoscaling/generated/types.ts',
      operations: [
        'DeleteScalingPolicy',
        'DeregisterScalableTarget',
        'DescribeScalableTargets',
        'DescribeScalingActivities',
        'DescribeScalingPolicies',
        'ListTagsForResource',
        'PutScalingPolicy',
        'RegisterScalableTarget',
        'TagResource',
        'UntagResource',
      ],
    },
  },
  {
    // Query protocol, types only: GetCallerIdentity has no input to validate.
    name: 'sts',
    modelPath: 'sts/2011-06-15/service-2.json.gz',
    types: { path: 'src/services/sts/generated/types.ts', operations: ['GetCallerIdentity'] },
  },
];

/** Shape keys copied verbatim, in this (fixed) order, so output is stable whatever the model's key order. */
const SCALAR_KEYS = ['min', 'max', 'pattern', 'enum', 'member', 'key', 'value', 'union'];

/** Sorted copy of an object's keys; generated output must not depend on model key order. */
function sortedEntries(obj) {
  return Object.keys(obj)
    .sort()
    .map((k) => [k, obj[k]]);
}

/** Reads and parses a gzipped service-2.json. */
export function loadModel(modelPath, modelsRoot = MODELS_ROOT) {
  const buf = readFileSync(new URL(modelPath, modelsRoot));
  return JSON.parse(gunzipSync(buf).toString('utf8'));
}

/** Trims one shape to what validation needs. Member order follows sorted member names. */
function trimShape(shape) {
  const out = { type: shape.type };
  if (shape.type === 'structure' && shape.members) {
    const members = {};
    const locationNames = {};
    for (const [name, m] of sortedEntries(shape.members)) {
      members[name] = m.shape;
      if (m.locationName !== undefined && m.locationName !== name) locationNames[name] = m.locationName;
    }
    out.members = members;
    if (Object.keys(locationNames).length > 0) out.locationNames = locationNames;
    if (shape.required?.length) out.required = [...shape.required].sort();
  }
  for (const k of SCALAR_KEYS) {
    if (shape[k] === undefined) continue;
    if (k === 'member' || k === 'key' || k === 'value') out[k] = shape[k].shape;
    else if (k === 'union') out.union = true;
    else out[k] = shape[k];
  }
  return out;
}

/** Renders the TS module for one service: a header, then one operation / shape per line. */
export function renderService(svc, model) {
  const ops = sortedEntries(model.operations).map(([name, op]) => [name, op.input?.shape ?? null]);
  const shapeNames = reachableShapes(
    model,
    ops.map(([, input]) => input).filter((s) => s !== null),
  );
  const lines = [
    `// GENERATED by scripts/generate-validators.mjs from shared/aws-models/${svc.modelPath} — do not edit; run npm run generate`,
    `/** @module ${svc.outPath.replace(/^src\//, '').replace(/\.ts$/, '')} — operations and input shapes of the official model, trimmed for validation. */`,
    `import type { ServiceModel } from '${posix.relative(posix.dirname(svc.outPath), 'src/protocol/validation/model-types.js')}';`,
    '',
    'export const MODEL: ServiceModel = {',
    `  targetPrefix: ${JSON.stringify(model.metadata.targetPrefix ?? '')},`,
    '  operations: {',
    ...ops.map(([name, input]) => `    ${JSON.stringify(name)}: ${JSON.stringify(input)},`),
    '  },',
    '  shapes: {',
    ...shapeNames.map((n) => `    ${JSON.stringify(n)}: ${JSON.stringify(trimShape(model.shapes[n]))},`),
    '  },',
    '};',
    '',
  ];
  return lines.join('\n');
}

/**
 * Generates every output file in memory.
 * @returns {{ path: string, contents: string }[]} paths relative to the repo root
 */
export function generate({ modelsRoot = MODELS_ROOT } = {}) {
  return SERVICES.flatMap((svc) => {
    const model = loadModel(svc.modelPath, modelsRoot);
    const files = [];
    if (svc.outPath) files.push({ path: svc.outPath, contents: renderService(svc, model) });
    if (svc.types) files.push({ path: svc.types.path, contents: renderTypes(svc, model) });
    return files;
  });
}

/** Paths (relative to the repo root) whose committed contents differ from `files`. */
export function findDrift(files, repoRoot = REPO_ROOT) {
  return files
    .filter(({ path, contents }) => {
      try {
        return readFileSync(new URL(path, repoRoot), 'utf8') !== contents;
      } catch {
        return true;
      }
    })
    .map(({ path }) => path);
}

function main(argv) {
  const files = generate();
  if (argv.includes('--check')) {
    const drift = findDrift(files);
    if (drift.length > 0) {
      console.error(`generated files are out of date (run npm run generate):\n  ${drift.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`generated files are up to date (${files.length})`);
    return;
  }
  for (const { path, contents } of files) {
    const target = fileURLToPath(new URL(path, REPO_ROOT));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, contents);
    console.log(`wrote ${path} (${contents.length} bytes)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));

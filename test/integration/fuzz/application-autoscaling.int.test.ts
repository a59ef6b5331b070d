/**
 * Fuzz suite, Application Auto Scaling (JSON 1.1, `AnyScaleFrontendService`): every routed
 * operation, its model-driven mutations and malformed bodies. Every answer is a typed 4xx or, for
 * input that is still valid, a success; a refused RegisterScalableTarget or PutScalingPolicy leaves
 * nothing listed. The endpoint the targets name runs an image that does not exist (it ends Failed,
 * no container), which is all registration needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoscalingOperations } from '../../../src/services/application-autoscaling/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { loadAwsModel } from './aws-model.js';
import { jsonWire, TOKEN } from './doc-cases.js';
import { fuzzOperation, type OpFixture } from './op-suite.js';
import { FuzzSession } from './runner.js';
import { ABSENT_IMAGE } from './sagemaker-fixtures.js';
import { jsonCall, mustCall } from './state.js';
import { closeSession, defineFixtureCoverage, defineOperationSweep, sweepRun } from './sweep.js';
import { closeConnections } from './wire.js';

const model = await loadAwsModel('application-autoscaling');
const ROUTED = Object.keys(autoscalingOperations({} as never));
const PREFIX = 'AnyScaleFrontendService';
const wire = jsonWire(PREFIX, '1.1');
const session = new FuzzSession('application-autoscaling', 'json', 10_000);

const ENDPOINT = 'fz-scaled';
const DIM = 'sagemaker:variant:DesiredInstanceCount';
const target = (variant: string) => ({ ServiceNamespace: 'sagemaker', ResourceId: `endpoint/${ENDPOINT}/variant/${variant}`, ScalableDimension: DIM });
const tracking = { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } };

function fixtures(base: string): Record<string, OpFixture> {
  const aas = (op: string, body: unknown) => jsonCall(base, `${PREFIX}.${op}`, body);
  const must = (op: string, body: unknown) => mustCall(base, `${PREFIX}.${op}`, body);
  const registeredArn = async () => {
    const listed = await must('DescribeScalableTargets', { ServiceNamespace: 'sagemaker', ResourceIds: [target('Registered').ResourceId] });
    return (listed.ScalableTargets as { ScalableTargetARN: string }[])[0]!.ScalableTargetARN;
  };
  const targets = async () => ((await aas('DescribeScalableTargets', { ServiceNamespace: 'sagemaker' })).body.ScalableTargets as { ResourceId: string }[] | undefined) ?? [];
  return {
    RegisterScalableTarget: {
      seed: () => ({ ...target('Fresh'), MinCapacity: 1, MaxCapacity: 2 }),
      hooks: {
        accepted: async () => void (await aas('DeregisterScalableTarget', target('Fresh'))),
        refused: async () => ((await targets()).some((t) => t.ResourceId.endsWith('/variant/Fresh')) ? ['a target exists after the refusal'] : []),
      },
    },
    DescribeScalableTargets: { seed: () => ({ ServiceNamespace: 'sagemaker' }) },
    DeregisterScalableTarget: {
      prepare: async () => void (await must('RegisterScalableTarget', { ...target('Gone'), MinCapacity: 1, MaxCapacity: 2 })),
      seed: () => target('Gone'),
    },
    PutScalingPolicy: {
      seed: () => ({ ...target('Registered'), PolicyName: TOKEN, PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking }),
      hooks: {
        accepted: async (t) => void (await aas('DeleteScalingPolicy', { ...target('Registered'), PolicyName: t })),
        refused: async (t) => {
          const listed = (await aas('DescribeScalingPolicies', { ServiceNamespace: 'sagemaker', PolicyNames: [t] })).body.ScalingPolicies as unknown[] | undefined;
          return (listed ?? []).length > 0 ? [`policy ${t} exists after the refusal`] : [];
        },
      },
    },
    DescribeScalingPolicies: { seed: () => ({ ServiceNamespace: 'sagemaker' }) },
    DeleteScalingPolicy: {
      prepare: async () =>
        void (await must('PutScalingPolicy', { ...target('Registered'), PolicyName: 'fz-deleted', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: tracking })),
      seed: () => ({ ...target('Registered'), PolicyName: 'fz-deleted' }),
    },
    DescribeScalingActivities: { seed: () => ({ ServiceNamespace: 'sagemaker' }) },
    TagResource: { seed: async () => ({ ResourceARN: await registeredArn(), Tags: { fuzz: 'x' } }) },
    UntagResource: { seed: async () => ({ ResourceARN: await registeredArn(), TagKeys: ['fuzz'] }) },
    ListTagsForResource: { seed: async () => ({ ResourceARN: await registeredArn() }) },
  };
}

const EDGE_OP = 'DescribeScalableTargets';

describe('fuzz: Application Auto Scaling (JSON 1.1)', () => {
  let server: TestServer;
  let table: Record<string, OpFixture>;

  beforeAll(async () => {
    server = await startTestServer();
    table = fixtures(server.url);
    const sm = (op: string, body: unknown) => mustCall(server.url, `SageMaker.${op}`, body);
    await sm('CreateModel', { ModelName: 'fz-scaled-model', ExecutionRoleArn: 'arn:aws:iam::000000000000:role/fuzz', PrimaryContainer: { Image: ABSENT_IMAGE } });
    await sm('CreateEndpointConfig', {
      EndpointConfigName: 'fz-scaled-config',
      ProductionVariants: ['Fresh', 'Gone', 'Registered'].map((v) => ({ VariantName: v, ModelName: 'fz-scaled-model', InitialInstanceCount: 1, InstanceType: 'ml.t2.medium' })),
    });
    await sm('CreateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: 'fz-scaled-config' });
    await mustCall(server.url, `${PREFIX}.RegisterScalableTarget`, { ...target('Registered'), MinCapacity: 1, MaxCapacity: 2 });
  });

  afterAll(async () => {
    closeSession(session);
    closeConnections();
    await server?.cleanup();
  });

  defineFixtureCoverage(ROUTED, model, fixtures(''));

  defineOperationSweep({
    session,
    ops: ROUTED,
    claim: 'every mutation answers a typed 4xx or succeeds, and a refusal leaves nothing behind',
    fuzz: (op, i) => fuzzOperation(sweepRun({ session, base: server.url, wire, model, cap: 100, ops: ROUTED, edgeOp: EDGE_OP }, op, i, table[op]!)),
  });
});

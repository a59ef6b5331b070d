import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateProcessingJobCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { CloudWatchLogsClient, GetLogEventsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { validateLogsInput } from '../../services/logs/validation.js';
import { validateSageMakerInput } from '../../services/sagemaker/validation.js';

/**
 * Protocol check: bodies exactly as the official JS v3 SDK serialises typical, valid requests must
 * pass validation (no false positives from pattern translation, timestamp or number handling).
 */
class Captured extends Error {
  constructor(
    readonly target: string,
    readonly body: unknown,
  ) {
    super('captured');
  }
}

const captureHandler = {
  handle: async (req: { headers: Record<string, string>; body?: unknown }) => {
    const raw = req.body instanceof Uint8Array ? new TextDecoder().decode(req.body) : String(req.body ?? '{}');
    throw new Captured(req.headers['x-amz-target'] ?? '', JSON.parse(raw));
  },
};

const common = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  requestHandler: captureHandler,
  maxAttempts: 1,
};

async function capture(send: () => Promise<unknown>): Promise<Captured> {
  try {
    await send();
  } catch (err) {
    if (err instanceof Captured) return err;
    throw err;
  }
  throw new Error('request was not captured');
}

const sm = new SageMakerClient(common);
const logs = new CloudWatchLogsClient(common);
const role = 'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';

describe('bodies serialised by the JS v3 SDK', () => {
  const smCommands = [
    new CreateTrainingJobCommand({
      TrainingJobName: 'xgb-2024-01-01-00-00-00-000',
      RoleArn: role,
      AlgorithmSpecification: {
        TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-algo:1.0',
        TrainingInputMode: 'File',
        MetricDefinitions: [{ Name: 'train:loss', Regex: 'loss=([0-9\\.]+)' }],
      },
      HyperParameters: { epochs: '10', 'learning-rate': '0.1' },
      InputDataConfig: [
        {
          ChannelName: 'training',
          ContentType: 'text/csv',
          DataSource: {
            S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://my-bucket/data/train', S3DataDistributionType: 'FullyReplicated' },
          },
        },
      ],
      OutputDataConfig: { S3OutputPath: 's3://my-bucket/output' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 86400 },
      Environment: { SM_LOG_LEVEL: '20' },
      Tags: [{ Key: 'project', Value: 'slipway demo' }],
    }),
    new ListTrainingJobsCommand({
      CreationTimeAfter: new Date('2024-01-01T00:00:00.500Z'),
      MaxResults: 10,
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      StatusEquals: 'InProgress',
      NameContains: 'xgb',
    }),
    new CreateModelCommand({
      ModelName: 'my-model',
      ExecutionRoleArn: role,
      PrimaryContainer: {
        Image: 'slipway/serve:latest',
        ModelDataUrl: 's3://my-bucket/output/model.tar.gz',
        Environment: { SAGEMAKER_PROGRAM: 'inference.py' },
        ContainerHostname: 'container-1',
      },
    }),
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'my-config',
      ProductionVariants: [
        { VariantName: 'AllTraffic', ModelName: 'my-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 },
      ],
    }),
    new CreateEndpointCommand({ EndpointName: 'my-endpoint', EndpointConfigName: 'my-config' }),
    new CreateTransformJobCommand({
      TransformJobName: 'batch-1',
      ModelName: 'my-model',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/in' } }, ContentType: 'text/csv', SplitType: 'Line' },
      TransformOutput: { S3OutputPath: 's3://b/out', AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    }),
    new CreateProcessingJobCommand({
      ProcessingJobName: 'proc-1',
      RoleArn: role,
      AppSpecification: { ImageUri: 'slipway/proc:latest', ContainerEntrypoint: ['python3', '/opt/ml/processing/code/run.py'] },
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 } },
      ProcessingInputs: [
        { InputName: 'code', S3Input: { S3Uri: 's3://b/code', LocalPath: '/opt/ml/processing/code', S3DataType: 'S3Prefix', S3InputMode: 'File' } },
      ],
    }),
  ];

  for (const command of smCommands) {
    it(`accepts a typical ${command.constructor.name.replace(/Command$/, '')}`, async () => {
      const c = await capture(() => sm.send(command as never));
      const op = c.target.replace(/^SageMaker\./, '');
      // Valid, and nothing an SDK sends is lost on the way to the handler.
      expect(validateSageMakerInput(op, c.body)).toEqual({ violations: [], value: c.body });
    });
  }

  it('sends timestamps as epoch seconds, which validate', async () => {
    const c = await capture(() => sm.send(new ListTrainingJobsCommand({ CreationTimeAfter: new Date(1_700_000_000_500) })));
    expect((c.body as Record<string, unknown>).CreationTimeAfter).toBe(1_700_000_000.5);
  });

  it('rejects what the SDK passes through unchecked', async () => {
    const c = await capture(() => sm.send(new CreateEndpointCommand({ EndpointName: 'under_score', EndpointConfigName: 'c' })));
    expect(validateSageMakerInput('CreateEndpoint', c.body).violations).toEqual([
      "Value 'under_score' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    ]);
  });

  it('accepts typical Logs requests', async () => {
    for (const command of [
      new GetLogEventsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamName: 'xgb-1/algo-1-1700000000',
        startTime: 1_700_000_000_000,
        startFromHead: true,
        limit: 10000,
      }),
      new PutLogEventsCommand({
        logGroupName: '/aws/sagemaker/Endpoints/my-endpoint',
        logStreamName: 'AllTraffic/i-0123456789abcdef0',
        logEvents: [{ timestamp: 1_700_000_000_000, message: 'hello' }],
      }),
    ]) {
      const c = await capture(() => logs.send(command as never));
      const op = c.target.replace(/^Logs_20140328\./, '');
      expect(validateLogsInput(op, c.body)).toEqual({ violations: [], value: c.body });
    }
  });
});

/**
 * SageMaker Pipelines over the API (issue 17, item 3): boto3 gets a clear ValidationException for a
 * definition Slipway cannot run (unknown step type, a reference to a missing step, parameter or
 * property file) and nothing is created; ClientRequestToken makes Create/Start idempotent; the JS
 * SDK runs a pipeline whose training step feeds a CreateModel step through a property reference
 * under a condition, takes the Fail branch when a parameter says so, reuses the cached training
 * step on the rerun; training → model → transform; JsonGet on S3 and on property files (a missing
 * one fails its step, and independent steps run side by side); Stop stops the training job, Retry
 * runs the step again; an execution resumes across a server restart. Fixture images: sleeper
 * (writes a model, then sleeps `seconds`) and noop (echo model server; python for processing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreatePipelineCommand,
  DescribePipelineExecutionCommand,
  DescribeTrainingJobCommand,
  ListPipelineExecutionStepsCommand,
  ListPipelineExecutionsCommand,
  RetryPipelineExecutionCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type DescribePipelineExecutionCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { pythonLastJson } from '../../helpers/python.js';
import { until } from '../../helpers/poll.js';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ROLE, clients, makeBucket, putText, uniq } from './helpers.js';

const TERMINAL = ['Succeeded', 'Failed', 'Stopped'];

function trainStep(image: string, bucket: string, seconds: unknown, cache = true) {
  return {
    Name: 'Train',
    Type: 'Training',
    Arguments: {
      AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
      HyperParameters: { seconds },
      OutputDataConfig: { S3OutputPath: { 'Std:Join': { On: '/', Values: [`s3://${bucket}`, 'out'] } } },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 900 },
      RoleArn: ROLE,
    },
    ...(cache ? { CacheConfig: { Enabled: true, ExpireAfter: 'PT1H' } } : {}),
  };
}

function definition(image: string, bucket: string) {
  return JSON.stringify({
    Version: '2020-12-01',
    Parameters: [
      { Name: 'Mode', Type: 'String', DefaultValue: 'deploy' },
      { Name: 'Seconds', Type: 'Integer', DefaultValue: 1 },
    ],
    Steps: [
      trainStep(image, bucket, { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Seconds' }] } }),
      {
        Name: 'Check',
        Type: 'Condition',
        Arguments: {
          Conditions: [{ Type: 'Equals', LeftValue: { Get: 'Parameters.Mode' }, RightValue: 'deploy' }],
          IfSteps: [
            {
              Name: 'MakeModel',
              Type: 'Model',
              Arguments: {
                ExecutionRoleArn: ROLE,
                PrimaryContainer: { Image: image, ModelDataUrl: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' } },
              },
            },
          ],
          ElseSteps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['mode was', { Get: 'Parameters.Mode' }] } } } }],
        },
        DependsOn: ['Train'],
      },
    ],
  });
}

async function waitExecution(sm: SageMakerClient, arn: string, ok: (d: DescribePipelineExecutionCommandOutput) => boolean = (d) => TERMINAL.includes(d.PipelineExecutionStatus ?? '')) {
  return until(`execution ${arn}`, async () => {
    const d = await sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }));
    return ok(d) ? d : undefined;
  }, { timeoutMs: 180_000, everyMs: 500 });
}

async function steps(sm: SageMakerClient, arn: string) {
  const out = await sm.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn, SortOrder: 'Ascending' }));
  return Object.fromEntries((out.PipelineExecutionSteps ?? []).map((s) => [s.StepName!, s]));
}

describe('SageMaker Pipelines (API)', () => {
  let srv: TestServer;
  let sleeper: string;
  let noop: string;
  let bucket: string;
  beforeAll(async () => {
    sleeper = await buildFixtureImage('sleeper');
    noop = await buildFixtureImage('noop');
    srv = await startTestServer();
    bucket = await makeBucket(clients(srv.url).s3);
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('refuses a definition it cannot run with a ValidationException at CreatePipeline, creating nothing (boto3)', async () => {
    const name = uniq('bad');
    const out = await pythonLastJson(
      srv.url,
      `
import json, os, boto3, botocore
sm = boto3.client('sagemaker', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
def error_of(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
    return None
def create(steps, params=[]):
    return error_of(sm.create_pipeline, PipelineName='${name}', RoleArn='${ROLE}', PipelineDefinition=json.dumps({'Version': '2020-12-01', 'Parameters': params, 'Steps': steps}))
train = {'Name': 'T', 'Type': 'Training', 'Arguments': {}}
out = {
  'unknown_type': create([{'Name': 'L', 'Type': 'Lambda', 'Arguments': {}}]),
  'bad_step_ref': create([train, {'Name': 'M', 'Type': 'Model', 'Arguments': {'PrimaryContainer': {'ModelDataUrl': {'Get': 'Steps.Trian.ModelArtifacts.S3ModelArtifacts'}}}}]),
  'bad_param_ref': create([{'Name': 'T', 'Type': 'Training', 'Arguments': {'HyperParameters': {'a': {'Get': 'Parameters.Nope'}}}}]),
  'not_json': error_of(sm.create_pipeline, PipelineName='${name}', RoleArn='${ROLE}', PipelineDefinition='{"Steps": ['),
  'listed': [p['PipelineName'] for p in sm.list_pipelines(PipelineNamePrefix='${name}')['PipelineSummaries']],
  'describe': error_of(sm.describe_pipeline, PipelineName='${name}'),
}
ok = sm.create_pipeline(PipelineName='${name}', RoleArn='${ROLE}', PipelineDefinition=json.dumps({'Version': '2020-12-01', 'Parameters': [{'Name': 'N', 'Type': 'Integer', 'DefaultValue': 1}], 'Steps': [{'Name': 'F', 'Type': 'Fail', 'Arguments': {'ErrorMessage': 'x'}}]}))
out['duplicate'] = create([train])
out['bad_param_value'] = error_of(sm.start_pipeline_execution, PipelineName='${name}', PipelineParameters=[{'Name': 'N', 'Value': 'abc'}])
out['executions'] = len(sm.list_pipeline_executions(PipelineName='${name}')['PipelineExecutionSummaries'])
out['unknown_param'] = error_of(sm.start_pipeline_execution, PipelineName='${name}', PipelineParameters=[{'Name': 'M', 'Value': '1'}])
upd = sm.update_pipeline(PipelineName='${name}', PipelineDescription='second', PipelineDefinition=json.dumps({'Steps': [{'Name': 'G', 'Type': 'Fail', 'Arguments': {'ErrorMessage': 'y'}}]}))
out['updated'] = [upd['PipelineVersionId'], sm.describe_pipeline(PipelineName='${name}')['PipelineDescription']]
out['update_bad'] = error_of(sm.update_pipeline, PipelineName='${name}', PipelineDefinition=json.dumps({'Steps': [{'Name': 'G', 'Type': 'Fail', 'DependsOn': ['Nope']}]}))
out['definition_kept'] = json.loads(sm.describe_pipeline(PipelineName='${name}')['PipelineDefinition'])['Steps'][0]['Name']
snap = sm.start_pipeline_execution(PipelineName='${name}')['PipelineExecutionArn']
out['snapshot'] = json.loads(sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=snap)['PipelineDefinition'])['Steps'][0]['Name']
out['missing_execution'] = error_of(sm.describe_pipeline_execution, PipelineExecutionArn=ok['PipelineArn'] + '/execution/nope12345678')
# The same ClientRequestToken again is the same request: one execution, one pipeline.
t = 'same-token-' + 'x' * 30
a = sm.start_pipeline_execution(PipelineName='${name}', ClientRequestToken=t)['PipelineExecutionArn']
b = sm.start_pipeline_execution(PipelineName='${name}', ClientRequestToken=t)['PipelineExecutionArn']
out['idempotent_start'] = [a == b, len(sm.list_pipeline_executions(PipelineName='${name}')['PipelineExecutionSummaries'])]
def create_with(token):
    return sm.create_pipeline(PipelineName='${name}-i', RoleArn='${ROLE}', ClientRequestToken=token,
                              PipelineDefinition=json.dumps({'Steps': [{'Name': 'F', 'Type': 'Fail', 'Arguments': {}}]}))['PipelineArn']
out['idempotent_create'] = [create_with(t) == create_with(t), error_of(sm.create_pipeline, PipelineName='${name}-i', RoleArn='${ROLE}', ClientRequestToken='other-' + 'y' * 30,
                              PipelineDefinition=json.dumps({'Steps': [{'Name': 'F', 'Type': 'Fail', 'Arguments': {}}]}))[0]]
out['deleted'] = sm.delete_pipeline(PipelineName='${name}', ClientRequestToken='t' * 32)['PipelineArn']
out['after_delete'] = error_of(sm.describe_pipeline, PipelineName='${name}')
print(json.dumps(out))`,
    );
    expect(out.unknown_type).toEqual(['ValidationException', expect.stringMatching(/^Invalid pipeline definition: Step L has type "Lambda", which Slipway does not run/)]);
    expect(out.bad_step_ref).toEqual(['ValidationException', 'Invalid pipeline definition: Step M refers to step Trian, which is not defined']);
    expect(out.bad_param_ref).toEqual(['ValidationException', 'Invalid pipeline definition: Step T refers to parameter Nope, which is not defined in Parameters']);
    expect(out.not_json).toEqual(['ValidationException', expect.stringMatching(/not valid JSON/)]);
    expect(out.listed).toEqual([]);
    expect(out.describe).toEqual(['ResourceNotFound', expect.stringMatching(/^Pipeline '.*:pipeline\/.*' does not exist\.$/)]);
    expect(out.duplicate).toEqual(['ValidationException', expect.stringContaining('already exists')]);
    expect(out.updated).toEqual([2, 'second']);
    expect(out.update_bad).toEqual(['ValidationException', 'Invalid pipeline definition: Step G: DependsOn names step Nope, which is not defined']);
    expect(out.definition_kept).toBe('G');
    expect(out.snapshot).toBe('G');
    expect(out.bad_param_value).toEqual(['ValidationException', 'Parameter N of type Integer cannot take the value "abc"']);
    expect(out.unknown_param[0]).toBe('ValidationException');
    expect(out.missing_execution[0]).toBe('ResourceNotFound');
    expect(out.executions).toBe(0);
    expect(out.idempotent_start).toEqual([true, 2]);
    expect(out.idempotent_create).toEqual([true, 'ValidationException']);
    expect(out.deleted).toMatch(/:pipeline\//);
    expect(out.after_delete[0]).toBe('ResourceNotFound');
  });

  it('runs training → condition → model, takes the Fail branch on a parameter, and reuses the cached training step', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('pl');
    await sm.send(new CreatePipelineCommand({ PipelineName: name, RoleArn: ROLE, PipelineDefinition: definition(sleeper, bucket), ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));

    const first = await sm.send(new StartPipelineExecutionCommand({ PipelineName: name, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const d1 = await waitExecution(sm, first.PipelineExecutionArn!);
    expect(d1.PipelineExecutionStatus).toBe('Succeeded');
    const s1 = await steps(sm, first.PipelineExecutionArn!);
    expect(Object.keys(s1)).toEqual(['Train', 'Check', 'MakeModel']);
    const id1 = first.PipelineExecutionArn!.split('/').pop()!;
    const job = s1.Train!.Metadata!.TrainingJob!.Arn!.split('/').pop()!;
    expect(job).toMatch(new RegExp(`^pipelines-${id1}-train-[0-9a-f]{10}$`));
    expect(s1.Train).toMatchObject({ StepStatus: 'Succeeded', AttemptCount: 1 });
    expect(s1.Train!.CacheHitResult).toBeUndefined();
    expect(s1.Check!.Metadata!.Condition).toEqual({ Outcome: 'True' });
    const tj = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: job }));
    expect(tj.TrainingJobStatus).toBe('Completed');
    expect(s1.MakeModel!.Metadata!.Model!.Arn).toMatch(/:model\/pipelines-/);

    const second = await sm.send(new StartPipelineExecutionCommand({ PipelineName: name, PipelineParameters: [{ Name: 'Mode', Value: 'hold' }], ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const d2 = await waitExecution(sm, second.PipelineExecutionArn!);
    expect(d2.PipelineExecutionStatus).toBe('Failed');
    expect(d2.FailureReason).toBe('mode was hold');
    const s2 = await steps(sm, second.PipelineExecutionArn!);
    expect(Object.keys(s2)).toEqual(['Train', 'Check', 'Stop']);
    // Same arguments: the training step is a cache hit that points at the first execution's job.
    expect(s2.Train!.CacheHitResult).toEqual({ SourcePipelineExecutionArn: first.PipelineExecutionArn });
    expect(s2.Train!.Metadata!.TrainingJob!.Arn).toBe(s1.Train!.Metadata!.TrainingJob!.Arn);
    expect(s2.Check!.Metadata!.Condition).toEqual({ Outcome: 'False' });
    expect(s2.Stop).toMatchObject({ StepStatus: 'Failed', FailureReason: 'mode was hold', Metadata: { Fail: { ErrorMessage: 'mode was hold' } } });

    // Other arguments (Seconds=2): no cache hit.
    const third = await sm.send(new StartPipelineExecutionCommand({ PipelineName: name, PipelineParameters: [{ Name: 'Seconds', Value: '2' }], ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    expect((await waitExecution(sm, third.PipelineExecutionArn!)).PipelineExecutionStatus).toBe('Succeeded');
    expect((await steps(sm, third.PipelineExecutionArn!)).Train!.CacheHitResult).toBeUndefined();
    const listed = await sm.send(new ListPipelineExecutionsCommand({ PipelineName: name }));
    expect(listed.PipelineExecutionSummaries?.map((e) => e.PipelineExecutionArn)).toEqual([third, second, first].map((e) => e.PipelineExecutionArn));
  });

  it('runs training → model → transform, the transform step naming the model the Model step made', async () => {
    const { sm, s3 } = clients(srv.url);
    const name = uniq('pl-tx');
    await putText(s3, bucket, `${name}/in/rows.csv`, '1,2\n3,4\n');
    const def = JSON.stringify({
      Version: '2020-12-01',
      Steps: [
        trainStep(noop, bucket, '0', false),
        { Name: 'MakeModel', Type: 'Model', Arguments: { ExecutionRoleArn: ROLE, PrimaryContainer: { Image: noop, ModelDataUrl: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' } } } },
        {
          Name: 'Score',
          Type: 'Transform',
          Arguments: {
            ModelName: { Get: 'Steps.MakeModel.ModelName' },
            TransformInput: { ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/${name}/in` } } },
            TransformOutput: { S3OutputPath: { 'Std:Join': { On: '/', Values: [`s3://${bucket}/${name}/out`, { Get: 'Execution.PipelineExecutionId' }] } } },
            TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
          },
        },
      ],
    });
    await sm.send(new CreatePipelineCommand({ PipelineName: name, RoleArn: ROLE, PipelineDefinition: def, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const { PipelineExecutionArn: arn } = await sm.send(new StartPipelineExecutionCommand({ PipelineName: name, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const d = await waitExecution(sm, arn!);
    expect(d.FailureReason).toBeUndefined();
    expect(d.PipelineExecutionStatus).toBe('Succeeded');
    const s = await steps(sm, arn!);
    expect(Object.keys(s)).toEqual(['Train', 'MakeModel', 'Score']);
    expect(s.Score!.Metadata!.TransformJob!.Arn).toMatch(/:transform-job\/pipelines-/);
    // The echo model answers each row as sent: the output is under the execution's own prefix.
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${name}/out/${arn!.split('/').pop()}/rows.csv.out` }));
    expect(await out.Body!.transformToString()).toContain('1,2');
  });

  it('reads JSON from S3 with Std:JsonGet S3Uri in a condition and in a Fail message', async () => {
    const { sm, s3 } = clients(srv.url);
    const name = uniq('pl-json');
    await putText(s3, bucket, `${name}/report.json`, JSON.stringify({ metrics: { accuracy: [0.42] } }));
    const acc = { 'Std:JsonGet': { S3Uri: { 'Std:Join': { On: '/', Values: [`s3://${bucket}`, name, 'report.json'] } }, Path: 'metrics.accuracy[0]' } };
    const def = JSON.stringify({
      Version: '2020-12-01',
      Steps: [
        {
          Name: 'Gate',
          Type: 'Condition',
          Arguments: {
            Conditions: [{ Type: 'Not', Expression: { Type: 'LessThan', LeftValue: acc, RightValue: 0.5 } }],
            IfSteps: [],
            ElseSteps: [{ Name: 'Low', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['accuracy', acc] } } } }],
          },
        },
      ],
    });
    await sm.send(new CreatePipelineCommand({ PipelineName: name, RoleArn: ROLE, PipelineDefinition: def, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const { PipelineExecutionArn: arn } = await sm.send(new StartPipelineExecutionCommand({ PipelineName: name, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const d = await waitExecution(sm, arn!);
    expect(d).toMatchObject({ PipelineExecutionStatus: 'Failed', FailureReason: 'accuracy 0.42' });
    expect((await steps(sm, arn!)).Gate!.Metadata!.Condition).toEqual({ Outcome: 'False' });
  });

  it('fails a processing step whose declared property file was not written, naming the file', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('pl-prop');
    const proc = (step: string, script: string, files: unknown[]) => ({
      Name: step,
      Type: 'Processing',
      Arguments: {
        AppSpecification: { ImageUri: noop, ContainerEntrypoint: ['python3', '-c', script] },
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'report', S3Output: { S3Uri: `s3://${bucket}/${name}/${step}`, LocalPath: '/opt/ml/processing/report', S3UploadMode: 'EndOfJob' } }] },
        ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
        RoleArn: ROLE,
      },
      PropertyFiles: files,
    });
    const write = "import json, os; os.makedirs('/opt/ml/processing/report', exist_ok=True); json.dump({'score': 7}, open('/opt/ml/processing/report/r.json', 'w'))";
    const def = JSON.stringify({
      Version: '2020-12-01',
      Steps: [
        proc('Good', write, [{ PropertyFileName: 'R', OutputName: 'report', FilePath: 'r.json' }]),
        proc('Bad', write, [{ PropertyFileName: 'R', OutputName: 'report', FilePath: 'missing.json' }]),
        {
          Name: 'Use',
          Type: 'Fail',
          Arguments: { ErrorMessage: { 'Std:Join': { On: '', Values: ['score ', { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Good.PropertyFiles.R' }, Path: 'score' } }] } } },
          DependsOn: ['Bad'],
        },
      ],
    });
    await sm.send(new CreatePipelineCommand({ PipelineName: name, RoleArn: ROLE, PipelineDefinition: def, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const { PipelineExecutionArn: arn } = await sm.send(new StartPipelineExecutionCommand({ PipelineName: name, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const d = await waitExecution(sm, arn!);
    expect(d.PipelineExecutionStatus).toBe('Failed');
    expect(d.FailureReason).toBe(`Step Bad failed: Property file: s3://${bucket}/${name}/Bad/missing.json does not exist`);
    const s = await steps(sm, arn!);
    // Good and Bad ran side by side; Use, which waits on Bad, never started.
    expect(s.Good!.StepStatus).toBe('Succeeded');
    expect(s.Bad!.StepStatus).toBe('Failed');
    expect(s.Good!.StartTime!.getTime()).toBeLessThan(s.Bad!.EndTime!.getTime());
    expect(s.Bad!.StartTime!.getTime()).toBeLessThan(s.Good!.EndTime!.getTime());
    expect(s.Use).toBeUndefined();
  });

  it('stops a running execution and its training job, then retries it', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('pl-stop');
    const def = JSON.stringify({ Version: '2020-12-01', Steps: [trainStep(sleeper, bucket, '600', false)] });
    await sm.send(new CreatePipelineCommand({ PipelineName: name, RoleArn: ROLE, PipelineDefinition: def, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const { PipelineExecutionArn: arn } = await sm.send(new StartPipelineExecutionCommand({ PipelineName: name, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const job = await until('the training step’s job', async () => (await steps(sm, arn!)).Train?.Metadata?.TrainingJob?.Arn?.split('/').pop(), { timeoutMs: 60_000 });
    await until('the job to run', async () => (await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: job }))).SecondaryStatus === 'Training', { timeoutMs: 60_000 });
    await sm.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: arn, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const d = await waitExecution(sm, arn!);
    expect(d.PipelineExecutionStatus).toBe('Stopped');
    expect((await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: job }))).TrainingJobStatus).toBe('Stopped');
    expect((await steps(sm, arn!)).Train!.StepStatus).toBe('Stopped');

    await sm.send(new RetryPipelineExecutionCommand({ PipelineExecutionArn: arn, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const retried = await until('the retried step', async () => {
      const s = (await steps(sm, arn!)).Train;
      return s?.AttemptCount === 2 && s.Metadata?.TrainingJob?.Arn ? s : undefined;
    });
    expect(retried.Metadata!.TrainingJob!.Arn).not.toContain(job);
    await sm.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: arn, ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    expect((await waitExecution(sm, arn!)).PipelineExecutionStatus).toBe('Stopped');
  });

  it('resumes a running execution after a server restart', async () => {
    const { sm } = clients(srv.url);
    const name = uniq('pl-resume');
    await sm.send(new CreatePipelineCommand({ PipelineName: name, RoleArn: ROLE, PipelineDefinition: definition(sleeper, bucket), ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }));
    const { PipelineExecutionArn: arn } = await sm.send(
      new StartPipelineExecutionCommand({ PipelineName: name, PipelineParameters: [{ Name: 'Seconds', Value: '4' }], ClientRequestToken: uniq('tok-xxxxxxxxxxxxxxxxxxxxxxxx') }),
    );
    await until('the training step to start', async () => (await steps(sm, arn!)).Train?.Metadata?.TrainingJob?.Arn, { timeoutMs: 60_000 });
    srv = await srv.restart();
    const sm2 = clients(srv.url).sm;
    const d = await waitExecution(sm2, arn!);
    expect(d.PipelineExecutionStatus).toBe('Succeeded');
    expect(Object.keys(await steps(sm2, arn!))).toEqual(['Train', 'Check', 'MakeModel']);
  });
});

/**
 * SageMaker Pipelines driven by the SageMaker Python SDK v2 (issue 17, item 3) over the
 * examples/decision-trees image: processing (split the iris data) → training → processing
 * (evaluate the model, write evaluation.json as a PropertyFile) → condition on the accuracy read
 * with JsonGet → register the model (ModelStep over Model.register) or a Fail step. Run through
 * pipeline.upsert() / pipeline.start() / execution.wait(); the rerun with a higher threshold reuses
 * the three cached job steps and fails on the Fail branch. Small on purpose (2 cores): three short
 * jobs in all.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, sdkPython, useExampleServer } from '../../helpers/sagemaker-sdk.js';

const IMAGE = 'slipway-sdk-test/decision-trees-pipeline:latest';
const n = randomBytes(4).toString('hex');
const BUCKET = `sdk-pipe-${n}`;
const PIPELINE = `dt-pipeline-${n}`;
const GROUP = `dt-pipeline-models-${n}`;

const server = useExampleServer('decision-trees', IMAGE);
let scratch: string;

const PREP = `
import glob, os
import pandas as pd
df = pd.concat(pd.read_csv(f, header=None) for f in sorted(glob.glob('/opt/ml/processing/input/*.csv')))
df = df.sample(frac=1.0, random_state=0)
cut = int(len(df) * 0.8)
for name, part in (('train', df[:cut]), ('test', df[cut:])):
    os.makedirs(f'/opt/ml/processing/{name}', exist_ok=True)
    part.to_csv(f'/opt/ml/processing/{name}/{name}.csv', header=False, index=False)
print('split', len(df), 'rows')
`;

const EVALUATE = `
import glob, json, os, pickle, tarfile
import pandas as pd
with tarfile.open('/opt/ml/processing/model/model.tar.gz') as t:
    t.extractall('/tmp/model')
model = pickle.load(open('/tmp/model/decision-tree-model.pkl', 'rb'))
test = pd.concat(pd.read_csv(f, header=None) for f in glob.glob('/opt/ml/processing/test/*.csv'))
accuracy = float((model.predict(test.iloc[:, 1:]) == test.iloc[:, 0]).mean())
os.makedirs('/opt/ml/processing/evaluation', exist_ok=True)
json.dump({'metrics': {'accuracy': {'value': accuracy}}}, open('/opt/ml/processing/evaluation/evaluation.json', 'w'))
print('accuracy', accuracy)
`;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'sdk-pipe-'));
  writeFileSync(join(scratch, 'prep.py'), PREP);
  writeFileSync(join(scratch, 'evaluate.py'), EVALUATE);
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Builds the pipeline with the SDK; `threshold` is the AccuracyThreshold default. */
const PIPELINE_SCRIPT = (threshold: number) => `
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.model import Model
from sagemaker.processing import ScriptProcessor, ProcessingInput, ProcessingOutput
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
from sagemaker.workflow.fail_step import FailStep
from sagemaker.workflow.functions import Join, JsonGet
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.parameters import ParameterFloat
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_context import PipelineSession
from sagemaker.workflow.properties import PropertyFile
from sagemaker.workflow.steps import CacheConfig, ProcessingStep, TrainingStep
boto_session = boto3.Session(region_name='us-east-1')
sess = sagemaker.Session(boto_session=boto_session, default_bucket='${BUCKET}')
psess = PipelineSession(boto_session=boto_session, default_bucket='${BUCKET}')
sm = sess.sagemaker_client
role = sagemaker.get_execution_role(sess)
try:
    sm.create_model_package_group(ModelPackageGroupName='${GROUP}')
except sm.exceptions.ClientError:
    pass
raw = sess.upload_data('${EXAMPLES_DIR}/decision-trees/data/iris.csv', key_prefix='iris/raw')
threshold = ParameterFloat(name='AccuracyThreshold', default_value=${threshold})
cache = CacheConfig(enable_caching=True, expire_after='PT1H')
proc = ScriptProcessor(command=['python3'], image_uri='${IMAGE}', role=role, instance_count=1, instance_type='ml.m5.large', sagemaker_session=psess)
prep = ProcessingStep(name='Prep', cache_config=cache, step_args=proc.run(code='${'{scratch}'}/prep.py',
    inputs=[ProcessingInput(source=raw, destination='/opt/ml/processing/input')],
    outputs=[ProcessingOutput(output_name='train', source='/opt/ml/processing/train'), ProcessingOutput(output_name='test', source='/opt/ml/processing/test')]))
est = Estimator(image_uri='${IMAGE}', role=role, instance_count=1, instance_type='ml.m5.large', output_path='s3://${BUCKET}/models',
                hyperparameters={'random_state': 0}, sagemaker_session=psess)
train = TrainingStep(name='Train', cache_config=cache, step_args=est.fit({'training': TrainingInput(
    prep.properties.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri, content_type='text/csv')}))
report = PropertyFile(name='EvaluationReport', output_name='evaluation', path='evaluation.json')
evaluate = ProcessingStep(name='Evaluate', cache_config=cache, property_files=[report], step_args=proc.run(code='${'{scratch}'}/evaluate.py',
    inputs=[ProcessingInput(source=train.properties.ModelArtifacts.S3ModelArtifacts, destination='/opt/ml/processing/model'),
            ProcessingInput(source=prep.properties.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri, destination='/opt/ml/processing/test')],
    outputs=[ProcessingOutput(output_name='evaluation', source='/opt/ml/processing/evaluation')]))
model = Model(image_uri='${IMAGE}', model_data=train.properties.ModelArtifacts.S3ModelArtifacts, role=role, sagemaker_session=psess)
register = ModelStep(name='Register', step_args=model.register(content_types=['text/csv'], response_types=['text/csv'],
    inference_instances=['ml.m5.large'], transform_instances=['ml.m5.large'], model_package_group_name='${GROUP}', approval_status='Approved'))
accuracy = JsonGet(step_name=evaluate.name, property_file=report, json_path='metrics.accuracy.value')
fail = FailStep(name='TooInaccurate', error_message=Join(on=' ', values=['accuracy below', threshold]))
check = ConditionStep(name='CheckAccuracy', conditions=[ConditionGreaterThanOrEqualTo(left=accuracy, right=threshold)], if_steps=[register], else_steps=[fail])
pipeline = Pipeline(name='${PIPELINE}', parameters=[threshold], steps=[prep, train, evaluate, check], sagemaker_session=psess)
pipeline.upsert(role_arn=role, description='decision trees')
execution = pipeline.start()
try:
    execution.wait(delay=1, max_attempts=400)
    waited = None
except Exception as e:
    waited = type(e).__name__
d = execution.describe()
steps = {s['StepName']: s for s in execution.list_steps()}
def job_of(s):
    m = s.get('Metadata', {})
    for k in ('ProcessingJob', 'TrainingJob', 'RegisterModel'):
        if k in m:
            return m[k]['Arn']
    return None
out = {'waited': waited, 'status': d['PipelineExecutionStatus'], 'reason': d.get('FailureReason'), 'arn': d['PipelineExecutionArn'],
       'steps': {k: {'status': s['StepStatus'], 'job': job_of(s), 'cache': s.get('CacheHitResult', {}).get('SourcePipelineExecutionArn'),
                     'condition': s.get('Metadata', {}).get('Condition'), 'fail': s.get('Metadata', {}).get('Fail'), 'reason': s.get('FailureReason')}
                 for k, s in steps.items()},
       'pipelines': [p['PipelineName'] for p in sm.list_pipelines(PipelineNamePrefix='${PIPELINE}')['PipelineSummaries']],
       'versions': [p['ModelPackageVersion'] for p in sm.list_model_packages(ModelPackageGroupName='${GROUP}')['ModelPackageSummaryList']],
       'definition_steps': [s['Name'] for s in json.loads(pipeline.definition())['Steps']]}
reg = steps.get('Register-RegisterModel')
if reg:
    p = sm.describe_model_package(ModelPackageName=job_of(reg))
    out['package'] = {'status': p['ModelApprovalStatus'], 'image': p['InferenceSpecification']['Containers'][0]['Image'],
                      'data': p['InferenceSpecification']['Containers'][0]['ModelDataUrl']}
    out['train_artifacts'] = sm.describe_training_job(TrainingJobName=job_of(steps['Train']).split('/')[-1])['ModelArtifacts']['S3ModelArtifacts']
ev = steps['Evaluate']
bucket, key = sm.describe_processing_job(ProcessingJobName=job_of(ev).split('/')[-1])['ProcessingOutputConfig']['Outputs'][0]['S3Output']['S3Uri'][5:].split('/', 1)
out['accuracy'] = json.loads(boto3.client('s3').get_object(Bucket=bucket, Key=key + '/evaluation.json')['Body'].read())['metrics']['accuracy']['value']
emit(out)`;

let first: any;

describe('SageMaker Python SDK v2: Pipelines', () => {
  it('runs processing → training → evaluation → condition → register model through upsert/start/wait', async () => {
    const { result } = await sdkPython(server().url, PIPELINE_SCRIPT(0.5).replaceAll('{scratch}', scratch), { timeoutMs: 420_000 });
    first = result;
    expect(result.waited).toBeNull();
    expect(result.status).toBe('Succeeded');
    expect(result.pipelines).toEqual([PIPELINE]);
    expect(result.definition_steps).toEqual(['Prep', 'Train', 'Evaluate', 'CheckAccuracy']);
    expect(Object.keys(result.steps).sort()).toEqual(['CheckAccuracy', 'Evaluate', 'Prep', 'Register-RegisterModel', 'Train']);
    const id = result.arn.split('/').pop();
    for (const s of ['Prep', 'Train', 'Evaluate']) {
      expect(result.steps[s]).toMatchObject({ status: 'Succeeded', cache: null });
      // SageMaker's job names: pipelines-<execution id>-<step>-<hash>.
      expect(result.steps[s].job.split('/').pop()).toMatch(new RegExp(`^pipelines-${id}-${s.toLowerCase()}-[0-9a-f]{10}$`));
    }
    expect(result.accuracy).toBeGreaterThan(0.5);
    expect(result.steps.CheckAccuracy.condition).toEqual({ Outcome: 'True' });
    expect(result.steps['Register-RegisterModel'].job).toBe(`arn:aws:sagemaker:us-east-1:000000000000:model-package/${GROUP}/1`);
    expect(result.package).toEqual({ status: 'Approved', image: IMAGE, data: result.train_artifacts });
    expect(result.versions).toEqual([1]);
  });

  it('reruns with caching (the job steps reuse the first execution) and fails on the Fail branch when the condition is false', async () => {
    expect(first, 'the first test runs the pipeline this one reruns').toBeDefined();
    const { result } = await sdkPython(server().url, PIPELINE_SCRIPT(1.5).replaceAll('{scratch}', scratch), { timeoutMs: 300_000 });
    expect(result.waited).toBe('WaiterError');
    expect(result.status).toBe('Failed');
    expect(result.reason).toBe('accuracy below 1.5');
    for (const s of ['Prep', 'Train', 'Evaluate']) {
      expect(result.steps[s]).toMatchObject({ status: 'Succeeded', cache: first.arn, job: first.steps[s].job });
    }
    expect(result.steps.CheckAccuracy.condition).toEqual({ Outcome: 'False' });
    expect(result.steps.TooInaccurate).toMatchObject({ status: 'Failed', fail: { ErrorMessage: 'accuracy below 1.5' }, reason: 'accuracy below 1.5' });
    expect(result.steps['Register-RegisterModel']).toBeUndefined();
    expect(result.versions).toEqual([1]);
  });
});

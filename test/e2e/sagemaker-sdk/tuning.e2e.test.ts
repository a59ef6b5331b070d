/**
 * The SageMaker Python SDK v2's HyperparameterTuner against Slipway (issue 17, item 1) over the
 * examples/decision-trees image, whose `train` prints `train:accuracy=…;`: Random and Bayesian
 * searches find and report the best training job, and a tuning job whose container never prints
 * its objective fails with a reason that says so; the best job registered as a model package,
 * approved and deployed with the SDK's ModelPackage answers predictions; a warm start tuner from the
 * Random job (WarmStartConfig IdenticalDataAndAlgorithm) runs and attaches back. Small on purpose
 * (2 cores): 3–4 short jobs, 2 at a time.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, sdkPython, useExampleServer } from '../../helpers/sagemaker-sdk.js';

const IMAGE = 'slipway-sdk-test/decision-trees-tuning:latest';
const n = randomBytes(4).toString('hex');
const BUCKET = `sdk-tune-${n}`;

const server = useExampleServer('decision-trees', IMAGE);

/** Set by the Random test; the registry test registers its best job. */
let randomTuningJob: string | undefined;

const SETUP = `
from sagemaker.estimator import Estimator
from sagemaker.tuner import HyperparameterTuner, IntegerParameter, CategoricalParameter
# Test speed only: the SDK polls a tuning job every 5 s.
sagemaker.session.Session.wait_for_tuning_job.__defaults__ = (1,)
boto_session = boto3.Session(region_name='us-east-1')
sess = sagemaker.Session(boto_session=boto_session, default_bucket='${BUCKET}')
sm = sess.sagemaker_client
role = sagemaker.get_execution_role(sess)
train_uri = sess.upload_data('${EXAMPLES_DIR}/decision-trees/data/iris.csv', key_prefix='iris/train')
est = Estimator(image_uri='${IMAGE}', role=role, instance_count=1, instance_type='ml.m5.large',
                output_path=f's3://${BUCKET}/output', hyperparameters={'random_state': 0}, sagemaker_session=sess, max_run=600)
def children(name):
    out = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, MaxResults=100)['TrainingJobSummaries']
    return [{'name': c['TrainingJobName'], 'status': c['TrainingJobStatus'], 'hp': c['TunedHyperParameters'], 'objective': c.get('ObjectiveStatus'),
             'value': c.get('FinalHyperParameterTuningJobObjectiveMetric', {}).get('Value')} for c in out]
`;

async function tune(strategy: string, ranges: string, maxJobs: number): Promise<any> {
  const { result } = await sdkPython(
    server().url,
    `${SETUP}
tuner = HyperparameterTuner(est, objective_metric_name='train:accuracy', objective_type='Maximize', strategy='${strategy}',
    hyperparameter_ranges=${ranges},
    metric_definitions=[{'Name': 'train:accuracy', 'Regex': 'train:accuracy=([0-9\\\\.]+);'}],
    max_jobs=${maxJobs}, max_parallel_jobs=2, base_tuning_job_name='dt-${strategy.toLowerCase().slice(0, 4)}')
tuner.fit({'training': train_uri})  # waits for the tuning job
name = tuner.latest_tuning_job.name
d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
best = tuner.best_training_job()
attached = HyperparameterTuner.attach(name, sagemaker_session=sess)
child = sm.describe_training_job(TrainingJobName=best)
by_value = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, SortBy='FinalObjectiveMetricValue', SortOrder='Descending')
emit({'name': name, 'status': d['HyperParameterTuningJobStatus'], 'counters': d['TrainingJobStatusCounters'], 'objective': d['ObjectiveStatusCounters'],
      'best': best, 'best_value': d['BestTrainingJob']['FinalHyperParameterTuningJobObjectiveMetric']['Value'], 'children': children(name),
      'attached_max_jobs': attached.max_jobs, 'attached_strategy': attached.strategy, 'tuning_arn': child.get('TuningJobArn'), 'arn': d['HyperParameterTuningJobArn'],
      'child_hp': child['HyperParameters'], 'first_by_value': by_value['TrainingJobSummaries'][0]['TrainingJobName'],
      'listed': [s['HyperParameterTuningJobName'] for s in sm.list_hyper_parameter_tuning_jobs(NameContains=name)['HyperParameterTuningJobSummaries']]})`,
    { timeoutMs: 420_000 },
  );
  return result;
}

function expectBestReported(r: any, maxJobs: number): void {
  expect(r.status).toBe('Completed');
  expect(r.counters).toEqual({ Completed: maxJobs, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 });
  expect(r.objective).toEqual({ Succeeded: maxJobs, Pending: 0, Failed: 0 });
  expect(r.children).toHaveLength(maxJobs);
  for (const c of r.children) {
    // SageMaker's child names: <tuning job>-NNN-<8 hex>.
    expect(c.name).toMatch(new RegExp(`^${r.name}-00\\d-[0-9a-f]{8}$`));
    expect(c).toMatchObject({ status: 'Completed', objective: 'Succeeded' });
    expect(c.value).toBeGreaterThan(0);
  }
  const top = Math.max(...r.children.map((c: any) => c.value));
  expect(r.best_value).toBe(top);
  expect(r.children.find((c: any) => c.name === r.best).value).toBe(top);
  expect(r.first_by_value).toBe(r.best);
  expect(r.tuning_arn).toBe(r.arn);
  expect(r.child_hp).toMatchObject({ _tuning_objective_metric: 'train:accuracy', random_state: '0' });
  expect(r.attached_max_jobs).toBe(maxJobs);
  expect(r.listed).toEqual([r.name]);
}

describe('SageMaker Python SDK v2: HyperparameterTuner', () => {
  it('runs a Random search and reports the best training job', async () => {
    const r = await tune('Random', "{'max_leaf_nodes': IntegerParameter(2, 8), 'criterion': CategoricalParameter(['gini', 'entropy'])}", 3);
    expectBestReported(r, 3);
    randomTuningJob = r.name;
    expect(r.attached_strategy).toBe('Random');
    for (const c of r.children) {
      expect(Number(c.hp.max_leaf_nodes)).toBeGreaterThanOrEqual(2);
      expect(Number(c.hp.max_leaf_nodes)).toBeLessThanOrEqual(8);
      expect(['"gini"', '"entropy"', 'gini', 'entropy']).toContain(c.hp.criterion);
    }
  });

  it('runs a Bayesian search (random start, then the Gaussian process) and reports the best training job', async () => {
    const r = await tune('Bayesian', "{'max_leaf_nodes': IntegerParameter(2, 12), 'max_depth': IntegerParameter(1, 6)}", 4);
    expectBestReported(r, 4);
    expect(r.attached_strategy).toBe('Bayesian');
    // Four distinct points: the optimiser never proposes one already tried or still running.
    expect(new Set(r.children.map((c: any) => `${c.hp.max_leaf_nodes}/${c.hp.max_depth}`)).size).toBe(4);
  });

  it('warm starts a Bayesian tuner from the Random job (IdenticalDataAndAlgorithm), and attach reads the WarmStartConfig back', async () => {
    expect(randomTuningJob, 'the Random test tunes the parent job').toBeDefined();
    const { result } = await sdkPython(
      server().url,
      `${SETUP}
from sagemaker.tuner import WarmStartConfig, WarmStartTypes
# Not parent.identical_dataset_and_algorithm_tuner(): the SDK's copy drops metric_definitions
# (tuner.py _create_warm_start_tuner), which a custom image needs, on SageMaker as here.
tuner = HyperparameterTuner(est, objective_metric_name='train:accuracy', objective_type='Maximize', strategy='Bayesian',
    hyperparameter_ranges={'max_leaf_nodes': IntegerParameter(2, 8), 'criterion': CategoricalParameter(['gini', 'entropy'])},
    metric_definitions=[{'Name': 'train:accuracy', 'Regex': 'train:accuracy=([0-9\\\\.]+);'}],
    max_jobs=2, max_parallel_jobs=2, base_tuning_job_name='dt-warm',
    warm_start_config=WarmStartConfig(WarmStartTypes.IDENTICAL_DATA_AND_ALGORITHM, parents={'${randomTuningJob}'}))
tuner.fit({'training': train_uri})  # waits for the tuning job
name = tuner.latest_tuning_job.name
d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
attached = HyperparameterTuner.attach(name, sagemaker_session=sess)
parent_d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName='${randomTuningJob}')
emit({'status': d['HyperParameterTuningJobStatus'], 'warm': d['WarmStartConfig'], 'overall': d['OverallBestTrainingJob']['FinalHyperParameterTuningJobObjectiveMetric']['Value'],
      'own': d['BestTrainingJob']['FinalHyperParameterTuningJobObjectiveMetric']['Value'], 'parent': parent_d['BestTrainingJob']['FinalHyperParameterTuningJobObjectiveMetric']['Value'],
      'attached_type': attached.warm_start_config.type.value, 'attached_parents': sorted(attached.warm_start_config.parents), 'counters': d['TrainingJobStatusCounters']})`,
      { timeoutMs: 300_000 },
    );
    expect(result.status).toBe('Completed');
    expect(result.warm).toEqual({ WarmStartType: 'IdenticalDataAndAlgorithm', ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: randomTuningJob }] });
    expect(result.counters.Completed).toBe(2);
    expect(result.overall).toBe(Math.max(result.own, result.parent));
    expect(result).toMatchObject({ attached_type: 'IdenticalDataAndAlgorithm', attached_parents: [randomTuningJob] });
  });

  it('registers the best job in a model package group, approves it and deploys it with ModelPackage', async () => {
    expect(randomTuningJob, 'the Random test tunes the job registered here').toBeDefined();
    const group = `dt-models-${n}`;
    const { result } = await sdkPython(
      server().url,
      `${SETUP}
from sagemaker import ModelPackage
from sagemaker.serializers import CSVSerializer
from sagemaker.deserializers import CSVDeserializer
sm.create_model_package_group(ModelPackageGroupName='${group}')
best = HyperparameterTuner.attach('${randomTuningJob}', sagemaker_session=sess).best_estimator()
# Model.register, not Estimator.register: the latter looks the job up with SageMaker's Search API,
# which Slipway does not serve (yet).
registered = best.create_model().register(content_types=['text/csv'], response_types=['text/csv'], inference_instances=['ml.m5.large'],
                           transform_instances=['ml.m5.large'], model_package_group_name='${group}', approval_status='PendingManualApproval')
arn = registered.model_package_arn
sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus='Approved')
from sagemaker.predictor import Predictor
pkg = ModelPackage(role=role, model_package_arn=arn, sagemaker_session=sess, predictor_cls=Predictor)
predictor = pkg.deploy(initial_instance_count=1, instance_type='ml.m5.large', endpoint_name='dt-pkg-${n}',
                       serializer=CSVSerializer(), deserializer=CSVDeserializer())
out = predictor.predict([[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]])
predictor.delete_endpoint()
d = sm.describe_model_package(ModelPackageName=arn)
emit({'arn': arn, 'status': d['ModelApprovalStatus'], 'version': d['ModelPackageVersion'], 'image': d['InferenceSpecification']['Containers'][0]['Image'],
      'model_data': d['InferenceSpecification']['Containers'][0]['ModelDataUrl'], 'best_data': best.model_data, 'predictions': out})`,
      { timeoutMs: 300_000 },
    );
    expect(result.arn).toBe(`arn:aws:sagemaker:us-east-1:000000000000:model-package/${group}/1`);
    expect(result).toMatchObject({ status: 'Approved', version: 1, image: IMAGE });
    expect(result.model_data).toBe(result.best_data);
    expect(result.predictions).toEqual([['setosa'], ['virginica']]);
  });

  it('fails a tuning job whose training container never prints the objective, saying why', async () => {
    const { result } = await sdkPython(
      server().url,
      `${SETUP}
tuner = HyperparameterTuner(est, objective_metric_name='validation:auc', objective_type='Maximize', strategy='Random',
    hyperparameter_ranges={'max_leaf_nodes': IntegerParameter(2, 8)},
    metric_definitions=[{'Name': 'validation:auc', 'Regex': 'validation:auc=([0-9\\\\.]+);'}],
    max_jobs=1, max_parallel_jobs=1, base_tuning_job_name='dt-noobj')
try:
    tuner.fit({'training': train_uri})  # waits for the tuning job
    raised = None
except Exception as e:
    raised = type(e).__name__
d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuner.latest_tuning_job.name)
emit({'raised': raised, 'status': d['HyperParameterTuningJobStatus'], 'reason': d.get('FailureReason'), 'objective': d['ObjectiveStatusCounters'],
      'counters': d['TrainingJobStatusCounters'], 'best': d.get('BestTrainingJob'), 'children': children(tuner.latest_tuning_job.name)})`,
      { timeoutMs: 300_000 },
    );
    expect(result.raised).toBe('UnexpectedStatusException');
    expect(result.status).toBe('Failed');
    expect(result.reason).toMatch(/No training job reported the objective metric validation:auc/);
    expect(result.reason).toMatch(/regex validation:auc=.*matched no line/);
    expect(result.objective).toEqual({ Succeeded: 0, Pending: 0, Failed: 1 });
    expect(result.counters.Completed).toBe(1);
    expect(result.best).toBeNull();
    expect(result.children[0]).toMatchObject({ status: 'Completed', objective: 'Failed', value: null });
  });
});

/**
 * The SageMaker Python SDK v2 (pinned) against Slipway, as the BYOC tutorials drive it, with the
 * examples/decision-trees image: Estimator.fit with logs, Estimator.attach (issue #14: it raised
 * KeyError 'KmsKeyId'), deploy + predict, Predictor.update_endpoint, and a Transformer batch job
 * with Transformer.attach. One server and one image for the file; every job runs one instance.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, sdkPython, useExampleServer } from '../../helpers/sagemaker-sdk.js';

/** A tag of this file's own, so parallel suites building the example never race on one name. */
const IMAGE = 'slipway-sdk-test/decision-trees:latest';
const n = randomBytes(4).toString('hex');
const BUCKET = `sdk-est-${n}`;

/** Set by the fit test; the later tests work on what it trained. */
let jobName: string | undefined;

const server = useExampleServer('decision-trees', IMAGE);

/** Session, role and data as a tutorial notebook sets them up (the role through get_execution_role()). */
const SETUP = `
from sagemaker.estimator import Estimator
from sagemaker.serializers import CSVSerializer
from sagemaker.deserializers import CSVDeserializer
boto_session = boto3.Session(region_name='us-east-1')
sess = sagemaker.Session(boto_session=boto_session, default_bucket='${BUCKET}')
role = sagemaker.get_execution_role(sess)
s3 = boto_session.client('s3')
`;

describe('SageMaker Python SDK v2: Estimator, Predictor, Transformer', () => {
  it('fits an Estimator and streams the training logs (fit(logs=True))', async () => {
    const { result, stdout } = await sdkPython(
      server().url,
      `${SETUP}
train_uri = sess.upload_data('${EXAMPLES_DIR}/decision-trees/data/iris.csv', key_prefix='iris/train')
est = Estimator(image_uri='${IMAGE}', role=role, instance_count=1, instance_type='ml.m5.large',
                output_path=f's3://${BUCKET}/output', hyperparameters={'max_leaf_nodes': 5}, sagemaker_session=sess,
                base_job_name='sdk-dt', max_run=600)
est.fit({'training': train_uri}, logs=True)
desc = est.latest_training_job.describe()
emit({'job': est.latest_training_job.name, 'status': desc['TrainingJobStatus'], 'model_data': est.model_data, 'role': desc['RoleArn'],
      'train_uri': train_uri})`,
    );
    jobName = result.job;
    expect(result.status).toBe('Completed');
    expect(result.role).toBe('arn:aws:iam::000000000000:role/SlipwayExecutionRole');
    expect(result.train_uri).toBe(`s3://${BUCKET}/iris/train/iris.csv`);
    expect(result.model_data).toBe(`s3://${BUCKET}/output/${result.job}/output/model.tar.gz`);
    // logs=True prints the container's output as the SDK reads it from CloudWatch Logs.
    expect(stdout).toMatch(/Read 150 rows from 1 file\(s\)/);
    expect(stdout).toMatch(/Training complete\./);
    expect(stdout).toMatch(/Training seconds: \d+/);
  });

  it('attaches to the finished job and deploys, predicts and updates the endpoint from it', async () => {
    expect(jobName, 'the fit test trains the job this one attaches to').toBeDefined();
    const { result } = await sdkPython(
      server().url,
      `${SETUP}
est = Estimator.attach('${jobName}', sagemaker_session=sess)
predictor = est.deploy(initial_instance_count=1, instance_type='ml.m5.large', endpoint_name='sdk-dt-${n}',
                       serializer=CSVSerializer(), deserializer=CSVDeserializer())
rows = [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]
first = predictor.predict(rows)
config_before = sess.sagemaker_client.describe_endpoint(EndpointName=predictor.endpoint_name)['EndpointConfigName']
predictor.update_endpoint(initial_instance_count=1, instance_type='ml.c5.large')
described = sess.sagemaker_client.describe_endpoint(EndpointName=predictor.endpoint_name)
variant = sess.sagemaker_client.describe_endpoint_config(EndpointConfigName=described['EndpointConfigName'])['ProductionVariants'][0]
second = predictor.predict(rows)
predictor.delete_endpoint()
emit({'output_path': est.output_path, 'kms': est.output_kms_key, 'instance_type': est.instance_type, 'max_run': est.max_run,
      'image': est.image_uri, 'first': first, 'second': second, 'status': described['EndpointStatus'],
      'changed': described['EndpointConfigName'] != config_before, 'type': variant['InstanceType']})`,
    );
    expect(result).toMatchObject({ output_path: `s3://${BUCKET}/output`, kms: '', instance_type: 'ml.m5.large', max_run: 600, image: IMAGE });
    expect(result.first).toEqual([['setosa'], ['virginica']]);
    expect(result.second).toEqual(result.first);
    expect(result).toMatchObject({ status: 'InService', changed: true, type: 'ml.c5.large' });
  });

  it('runs a batch transform with the Transformer and attaches to it', async () => {
    expect(jobName, 'the fit test trains the job this one transforms with').toBeDefined();
    const { result } = await sdkPython(
      server().url,
      `${SETUP}
from sagemaker.transformer import Transformer
est = Estimator.attach('${jobName}', sagemaker_session=sess)
payload = sess.upload_data('${EXAMPLES_DIR}/decision-trees/payload.csv', key_prefix='batch/in')
t = est.transformer(instance_count=1, instance_type='ml.m5.large', output_path=f's3://${BUCKET}/batch/out',
                    accept='text/csv', assemble_with='Line', strategy='MultiRecord')
t.transform(payload, content_type='text/csv', split_type='Line', wait=True, logs=False)
again = Transformer.attach(t.latest_transform_job.name, sagemaker_session=sess)
out = s3.get_object(Bucket='${BUCKET}', Key='batch/out/payload.csv.out')['Body'].read().decode()
emit({'lines': out.strip().split('\\n'), 'status': sess.describe_transform_job(t.latest_transform_job.name)['TransformJobStatus'],
      'attached': [again.model_name, again.output_path, again.instance_count, again.strategy]})`,
    );
    expect(result.status).toBe('Completed');
    expect(result.lines).toHaveLength(5);
    expect(result.lines[0]).toBe('setosa');
    expect(result.attached).toEqual([expect.stringMatching(/^sdk-dt/), `s3://${BUCKET}/batch/out`, 1, 'MultiRecord']);
  });
});

/**
 * The SageMaker Python SDK v2 (pinned) hosting a serve-only model (examples/echo-json: no model
 * data, configured by Environment): Model.deploy + predict, and the same image behind an
 * asynchronous endpoint driven by the AsyncPredictor. The AsyncPredictor sends no ContentType
 * (issue #14): the input object's Content-Type must reach the container, which answers 415 to
 * anything but application/json.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sdkPython, useExampleServer } from '../../helpers/sagemaker-sdk.js';

const IMAGE = 'slipway-sdk-test/echo-json:latest';
const n = randomBytes(4).toString('hex');
const BUCKET = `sdk-host-${n}`;

const server = useExampleServer('echo-json', IMAGE);

const SETUP = `
from sagemaker.model import Model
from sagemaker.predictor import Predictor
from sagemaker.serializers import JSONSerializer
from sagemaker.deserializers import JSONDeserializer
sess = sagemaker.Session(boto_session=boto3.Session(region_name='us-east-1'), default_bucket='${BUCKET}')
role = sagemaker.get_execution_role(sess)
`;

describe('SageMaker Python SDK v2: serve-only models and the AsyncPredictor', () => {
  it('deploys a serve-only Model (no model data) and predicts with it', async () => {
    const { result } = await sdkPython(
      server().url,
      `${SETUP}
model = Model(image_uri='${IMAGE}', role=role, env={'SLOPE': '2', 'INTERCEPT': '1', 'MODEL_NAME': 'line'}, sagemaker_session=sess, name='sdk-line-${n}', predictor_cls=Predictor)
predictor = model.deploy(initial_instance_count=1, instance_type='ml.t2.medium', endpoint_name='sdk-line-${n}',
                         serializer=JSONSerializer(), deserializer=JSONDeserializer())
out = predictor.predict({'instances': [1, 2.5]})
container = sess.sagemaker_client.describe_model(ModelName='sdk-line-${n}')['PrimaryContainer']
predictor.delete_endpoint()
emit({'out': out, 'container': container})`,
    );
    expect(result.out).toEqual({ predictions: [3, 6], model: 'line' });
    expect(result.container).toMatchObject({ Image: IMAGE, Environment: { SLOPE: '2', INTERCEPT: '1', MODEL_NAME: 'line' } });
    expect(result.container.ModelDataUrl).toBeUndefined();
  });

  it('serves the AsyncPredictor, which sends no ContentType: the input object’s Content-Type reaches the container', async () => {
    const { result } = await sdkPython(
      server().url,
      `${SETUP}
from sagemaker.async_inference import AsyncInferenceConfig, WaiterConfig
model = Model(image_uri='${IMAGE}', role=role, env={'SLOPE': '3'}, sagemaker_session=sess, name='sdk-async-${n}', predictor_cls=Predictor)
predictor = model.deploy(initial_instance_count=1, instance_type='ml.t2.medium', endpoint_name='sdk-async-${n}',
                         serializer=JSONSerializer(), deserializer=JSONDeserializer(),
                         async_inference_config=AsyncInferenceConfig(output_path='s3://${BUCKET}/async/out', failure_path='s3://${BUCKET}/async/failed'))
waiter = WaiterConfig(max_attempts=60, delay=1)
response = predictor.predict_async(data={'instances': [1, 2]})
first = response.get_result(waiter)
second = predictor.predict({'instances': [4]}, waiter_config=waiter)
s3 = boto3.client('s3')
out_type = s3.head_object(Bucket='${BUCKET}', Key=response.output_path.split('${BUCKET}/', 1)[1])['ContentType']
in_key = predictor._input_path.split('${BUCKET}/', 1)[1]
emit({'type': type(predictor).__name__, 'first': first, 'second': second, 'out_type': out_type,
      'in_type': s3.head_object(Bucket='${BUCKET}', Key=in_key)['ContentType']})
# The SDK polls the failure path on a non-daemon thread until its waiter gives up (60 s): don't wait for it.
os._exit(0)`,
    );
    expect(result.type).toBe('AsyncPredictor');
    expect(result.in_type).toBe('application/json');
    expect(result.first).toEqual({ predictions: [3, 6], model: 'echo-json' });
    expect(result.second).toEqual({ predictions: [12], model: 'echo-json' });
    expect(result.out_type).toBe('application/json');
  });
});

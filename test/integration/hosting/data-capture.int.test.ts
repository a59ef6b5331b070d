/**
 * DataCaptureConfig with real Docker and boto3: an endpoint capturing 100% of its traffic writes
 * SageMaker's JSON Lines records (input and output, CSV/JSON as text, anything else base64, the
 * inference id) under <DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/, readable with S3;
 * DescribeEndpoint reports the capture; an endpoint sampling 0% writes nothing; a destination that
 * is not S3 is refused at CreateEndpointConfig.
 */
import { describe, expect, it } from 'vitest';
import { MODEL_SERVER_IMAGE, python, rnd, useHostingServer } from './helpers.js';

// Captures are flushed every few seconds; half a second keeps the test short.
process.env.SLIPWAY_DATA_CAPTURE_FLUSH_MS = '500';

const h = useHostingServer();

const deploy = (endpoint: string, sampling: number) => `
import boto3, json, time
sm = boto3.client('sagemaker')
s3 = boto3.client('s3')
try:
    s3.create_bucket(Bucket='capture')
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
sm.create_model(ModelName='${endpoint}', ExecutionRoleArn='arn:aws:iam::000000000000:role/x', PrimaryContainer={'Image': '${MODEL_SERVER_IMAGE}', 'Environment': {'FIXTURE_QUIET': '1'}})
sm.create_endpoint_config(EndpointConfigName='${endpoint}', ProductionVariants=[
    {'VariantName': 'AllTraffic', 'ModelName': '${endpoint}', 'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}],
  DataCaptureConfig={'EnableCapture': True, 'InitialSamplingPercentage': ${sampling}, 'DestinationS3Uri': 's3://capture/dc/',
    'CaptureOptions': [{'CaptureMode': 'Input'}, {'CaptureMode': 'Output'}],
    'CaptureContentTypeHeader': {'JsonContentTypes': ['application/json'], 'CsvContentTypes': ['text/csv']}})
sm.create_endpoint(EndpointName='${endpoint}', EndpointConfigName='${endpoint}')
sm.get_waiter('endpoint_in_service').wait(EndpointName='${endpoint}', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
`;

describe('DataCaptureConfig', () => {
  it('writes sampled requests and responses to S3 as SageMaker JSON Lines', async () => {
    const endpoint = rnd('cap');
    const out = await python(
      h.server.url,
      deploy(endpoint, 100) +
        `
rt = boto3.client('sagemaker-runtime')
# Each response is read whole, as a caller does: one left unread is a caller gone mid-response.
rt.invoke_endpoint(EndpointName='${endpoint}', Body=json.dumps({'x': 1}), ContentType='application/json', InferenceId='inf-1')['Body'].read()
rt.invoke_endpoint(EndpointName='${endpoint}', Body=b'1,2,3\\n', ContentType='text/csv')['Body'].read()
rt.invoke_endpoint(EndpointName='${endpoint}', Body=bytes([0, 255, 7]), ContentType='application/octet-stream')['Body'].read()
big = json.dumps({'pad': 'x' * 100000})
rt.invoke_endpoint(EndpointName='${endpoint}', Body=big, ContentType='application/json')['Body'].read()
d = sm.describe_endpoint(EndpointName='${endpoint}')['DataCaptureConfig']
lines, keys = [], []
for _ in range(100):
    keys = [o['Key'] for o in s3.list_objects_v2(Bucket='capture', Prefix='dc/${endpoint}/AllTraffic/').get('Contents', [])]
    lines = [l for k in keys for l in s3.get_object(Bucket='capture', Key=k)['Body'].read().decode().splitlines()]
    if len(lines) >= 4:
        break
    time.sleep(0.2)
print(json.dumps({'describe': d, 'keys': keys, 'records': [json.loads(l) for l in lines], 'bigLen': len(big)}))
`,
    );
    const r = JSON.parse(out);
    expect(r.describe).toMatchObject({ EnableCapture: true, CaptureStatus: 'Started', CurrentSamplingPercentage: 100, DestinationS3Uri: 's3://capture/dc/' });
    for (const k of r.keys) expect(k).toMatch(new RegExp(`^dc/${endpoint}/AllTraffic/\\d{4}/\\d{2}/\\d{2}/\\d{2}/\\d{2}-\\d{2}-\\d{3}-[0-9a-f-]{36}\\.jsonl$`));
    expect(r.records, JSON.stringify({ keys: r.keys, types: r.records.map((x: any) => [x.captureData.endpointInput?.observedContentType, x.captureData.endpointInput?.data.length, x.captureData.endpointOutput?.data.length]) })).toHaveLength(4);
    const byInput = (pred: (rec: any) => boolean) => r.records.find(pred);

    const json1 = byInput((x: any) => x.eventMetadata.inferenceId === 'inf-1');
    expect(json1.eventVersion).toBe('0');
    expect(json1.eventMetadata.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(json1.eventMetadata.inferenceTime)).toBeGreaterThan(Date.now() - 120_000);
    expect(json1.captureData.endpointInput).toEqual({ observedContentType: 'application/json', mode: 'INPUT', data: '{"x": 1}', encoding: 'JSON' });
    expect(json1.captureData.endpointOutput.mode).toBe('OUTPUT');
    expect(json1.captureData.endpointOutput.encoding).toBe('JSON');
    expect(JSON.parse(json1.captureData.endpointOutput.data).body).toBe('{"x": 1}');

    const csv = byInput((x: any) => x.captureData.endpointInput.observedContentType === 'text/csv');
    expect(csv.captureData.endpointInput).toMatchObject({ data: '1,2,3\n', encoding: 'CSV' });

    const bin = byInput((x: any) => x.captureData.endpointInput.observedContentType === 'application/octet-stream');
    expect(bin.captureData.endpointInput).toMatchObject({ encoding: 'BASE64', data: Buffer.from([0, 255, 7]).toString('base64') });

    // Bodies over the 64 KiB coalescing limit are captured whole too.
    const big = r.records.find((x: any) => x.captureData.endpointInput.data.length > 1000);
    expect(big.captureData.endpointInput.data).toHaveLength(r.bigLen);
    expect(JSON.parse(big.captureData.endpointOutput.data).body).toHaveLength(r.bigLen);
  });

  it('captures nothing at 0% sampling, and refuses a destination that is not S3', async () => {
    const endpoint = rnd('nocap');
    const out = await python(
      h.server.url,
      deploy(endpoint, 0) +
        `
rt = boto3.client('sagemaker-runtime')
for i in range(20):
    rt.invoke_endpoint(EndpointName='${endpoint}', Body=json.dumps({'i': i}), ContentType='application/json')['Body'].read()
time.sleep(1.5)
n = s3.list_objects_v2(Bucket='capture', Prefix='dc/${endpoint}/').get('KeyCount')
try:
    sm.create_endpoint_config(EndpointConfigName='${endpoint}-bad', ProductionVariants=[
        {'VariantName': 'AllTraffic', 'ModelName': '${endpoint}', 'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}],
      DataCaptureConfig={'InitialSamplingPercentage': 10, 'DestinationS3Uri': 'https://example.com/x', 'CaptureOptions': [{'CaptureMode': 'Input'}]})
    bad = None
except sm.exceptions.ClientError as e:
    bad = [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps({'n': n, 'bad': bad}))
`,
    );
    const r = JSON.parse(out);
    expect(r.n).toBe(0);
    expect(r.bad[0]).toBe('ValidationException');
    expect(r.bad[1]).toMatch(/DestinationS3Uri/);
  });
});

/**
 * Processing inputs and outputs inside another input's LocalPath (issue #14): SageMaker copies
 * inputs into the container, so they share one tree. With boto3 and real Docker: two inputs
 * nested in a third land together (read-only), an output inside the input is writable and
 * uploaded, and the input's own files stay untouched in the object store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, ensureBaseImage } from '../../fixtures/images/build.js';
import { python, startTestServer, type TestServer } from '../../helpers/server.js';
import { onSwarm } from '../../helpers/cluster/test-cluster.js';

let server: TestServer;

beforeAll(async () => {
  await ensureBaseImage();
  server = await startTestServer();
});

afterAll(async () => {
  await server?.cleanup();
});

describe('nested processing paths', () => {
  it('stages nested inputs into the enclosing one and mounts an output inside it read-write', async () => {
    // The program itself comes in through the nested code input, as the ScriptProcessor's does.
    const script = [
      'cd /opt/ml/processing/input',
      // Created first: the pipeline's redirect would otherwise race find over listing itself.
      'touch out/listing.txt',
      'find . -type f | sort > out/listing.txt',
      '(echo changed > data.csv) 2>/dev/null && echo WRITABLE >> out/listing.txt || echo READONLY >> out/listing.txt',
    ].join('\n');
    const out = await python(
      server.url,
      `
import boto3, json, time
sm = boto3.client('sagemaker'); s3 = boto3.client('s3')
s3.create_bucket(Bucket='nested')
s3.put_object(Bucket='nested', Key='data/data.csv', Body=b'1,2\\n')
s3.put_object(Bucket='nested', Key='data/more/part.csv', Body=b'3,4\\n')
s3.put_object(Bucket='nested', Key='code/run.sh', Body=${JSON.stringify(script)}.encode())
s3.put_object(Bucket='nested', Key='lib/util.py', Body=b'x = 1\\n')
def inp(name, prefix, path):
    return {'InputName': name, 'S3Input': {'S3Uri': f's3://nested/{prefix}', 'LocalPath': path, 'S3DataType': 'S3Prefix', 'S3InputMode': 'File'}}
sm.create_processing_job(ProcessingJobName='nested', RoleArn='arn:aws:iam::000000000000:role/SlipwayExecutionRole',
    AppSpecification={'ImageUri': '${BASE_IMAGE}', 'ContainerEntrypoint': ['/bin/sh', '/opt/ml/processing/input/code/run.sh']},
    ProcessingInputs=[inp('data', 'data/', '/opt/ml/processing/input'), inp('code', 'code/', '/opt/ml/processing/input/code'),
                      inp('lib', 'lib/', '/opt/ml/processing/input/code/lib')],
    ProcessingOutputConfig={'Outputs': [{'OutputName': 'out', 'S3Output': {'S3Uri': 's3://nested/result', 'LocalPath': '/opt/ml/processing/input/out', 'S3UploadMode': 'EndOfJob'}}]},
    ProcessingResources={'ClusterConfig': {'InstanceCount': 1, 'InstanceType': 'ml.m5.large', 'VolumeSizeInGB': 1}})
for _ in range(120):
    d = sm.describe_processing_job(ProcessingJobName='nested')
    if d['ProcessingJobStatus'] not in ('InProgress', 'Stopping'):
        break
    time.sleep(0.5)
print(json.dumps({'status': d['ProcessingJobStatus'], 'reason': d.get('FailureReason'),
  'listing': s3.get_object(Bucket='nested', Key='result/listing.txt')['Body'].read().decode().split('\\n'),
  'data': s3.get_object(Bucket='nested', Key='data/data.csv')['Body'].read().decode()}))`,
    );
    expect(out.reason ?? null).toBeNull();
    expect(out.status).toBe('Completed');
    // out/listing.txt itself is in the (writable) output mounted inside the input.
    // One engine hard-links inputs to the stored objects, so they are read-only; a Swarm node holds
    // copies (writable, as SageMaker's volume). Either way the object store is unchanged (below).
    expect(out.listing).toEqual(['./code/lib/util.py', './code/run.sh', './data.csv', './more/part.csv', './out/listing.txt', onSwarm() ? 'WRITABLE' : 'READONLY', '']);
    expect(out.data).toBe('1,2\n');
  });
});

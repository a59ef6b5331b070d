/**
 * The SageMaker Python SDK v2 (pinned) running a ScriptProcessor with the tutorials' layout: the
 * data input at /opt/ml/processing/input, and the SDK's own code input at
 * /opt/ml/processing/input/code, inside it (issue #14: the nested input failed to start and the
 * FailureReason showed runc internals). Also: a job whose program cannot start fails with a
 * reason that names the program, not the container runtime.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkPython } from '../../helpers/sagemaker-sdk.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { BASE_IMAGE, ensureBaseImage } from '../../fixtures/images/build.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const n = randomBytes(4).toString('hex');
const BUCKET = `sdk-proc-${n}`;

let server: TestServer;
let scratch: string;

/** The tutorials' preprocessing script: split the input CSVs into train and test. */
const PREPROCESSING = `
import glob, os
import pandas as pd
from sklearn.model_selection import train_test_split
print('input holds', sorted(os.listdir('/opt/ml/processing/input')))
files = sorted(glob.glob('/opt/ml/processing/input/*.csv'))
df = pd.concat(pd.read_csv(f, header=None) for f in files)
train, test = train_test_split(df, test_size=0.2, random_state=0)
os.makedirs('/opt/ml/processing/train', exist_ok=True)
os.makedirs('/opt/ml/processing/test', exist_ok=True)
train.to_csv('/opt/ml/processing/train/train.csv', header=False, index=False)
test.to_csv('/opt/ml/processing/test/test.csv', header=False, index=False)
print(f'split {len(df)} rows into {len(train)} and {len(test)}')
`;

beforeAll(async () => {
  await ensureBaseImage();
  scratch = mkdtempSync(join(tmpdir(), 'sdk-proc-'));
  writeFileSync(join(scratch, 'preprocessing.py'), PREPROCESSING);
  server = await startTestServer();
});

afterAll(async () => {
  await server?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const SETUP = `
from sagemaker.processing import ScriptProcessor, ProcessingInput, ProcessingOutput
sess = sagemaker.Session(boto_session=boto3.Session(region_name='us-east-1'), default_bucket='${BUCKET}')
role = sagemaker.get_execution_role(sess)
s3 = boto3.client('s3')
`;

describe('SageMaker Python SDK v2: ScriptProcessor', () => {
  it('runs the tutorial layout: data at /opt/ml/processing/input, the SDK’s code input nested inside it', async () => {
    const { result, stdout } = await sdkPython(
      server.url,
      `${SETUP}
data = sess.upload_data('${EXAMPLES}/decision-trees/data/iris.csv', key_prefix='raw')
processor = ScriptProcessor(command=['python3'], image_uri='${BASE_IMAGE}', role=role, instance_count=1,
                            instance_type='ml.m5.large', sagemaker_session=sess, base_job_name='sdk-prep')
processor.run(code='${scratch}/preprocessing.py',
              inputs=[ProcessingInput(source=data, destination='/opt/ml/processing/input')],
              outputs=[ProcessingOutput(output_name='train', source='/opt/ml/processing/train'),
                       ProcessingOutput(output_name='test', source='/opt/ml/processing/test')],
              wait=True, logs=True)
desc = processor.latest_job.describe()
outputs = {o['OutputName']: o['S3Output']['S3Uri'] for o in desc['ProcessingOutputConfig']['Outputs']}
def rows(uri, name):
    bucket, key = uri[5:].split('/', 1)
    return len(s3.get_object(Bucket=bucket, Key=key + '/' + name)['Body'].read().decode().strip().split('\\n'))
emit({'status': desc['ProcessingJobStatus'], 'inputs': [(i['InputName'], i['S3Input']['LocalPath']) for i in desc['ProcessingInputs']],
      'train': rows(outputs['train'], 'train.csv'), 'test': rows(outputs['test'], 'test.csv')})`,
    );
    expect(result.status).toBe('Completed');
    expect(result.inputs).toEqual([
      ['input-1', '/opt/ml/processing/input'],
      ['code', '/opt/ml/processing/input/code'],
    ]);
    expect([result.train, result.test]).toEqual([120, 30]);
    // The data and the code directory share /opt/ml/processing/input, as SageMaker copies both in.
    expect(stdout).toMatch(/input holds \['code', 'iris\.csv'\]/);
    expect(stdout).toMatch(/split 150 rows into 120 and 30/);
  });

  it('fails a job whose program cannot start with a reason that names it, not the container runtime', async () => {
    const { result } = await sdkPython(
      server.url,
      `${SETUP}
from sagemaker.exceptions import UnexpectedStatusException
processor = ScriptProcessor(command=['no-such-interpreter'], image_uri='${BASE_IMAGE}', role=role, instance_count=1,
                            instance_type='ml.m5.large', sagemaker_session=sess, base_job_name='sdk-broken')
try:
    processor.run(code='${scratch}/preprocessing.py', wait=True, logs=False)
    emit({'raised': False})
except UnexpectedStatusException:
    desc = processor.latest_job.describe()
    emit({'raised': True, 'status': desc['ProcessingJobStatus'], 'reason': desc.get('FailureReason', '')})`,
    );
    expect(result).toMatchObject({ raised: true, status: 'Failed' });
    expect(result.reason).toMatch(/no-such-interpreter/);
    expect(result.reason).not.toMatch(/runc|OCI|containerd|shim|task|unknown$|\(HTTP code/i);
  });
});

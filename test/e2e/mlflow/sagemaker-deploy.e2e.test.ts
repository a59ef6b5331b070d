/**
 * MLflow's SageMaker deployment against Slipway (issue #14 item 4), with the pinned mlflow in
 * .venv and nothing but the environment pointing it here (AWS_ENDPOINT_URL, region, keys):
 *
 *  - the serving image is MLflow's (its container entrypoint, nginx + its scoring server), built
 *    by scripts/build-mlflow-image on Slipway's Debian base because MLflow's own build needs
 *    ubuntu:24.04 and GitHub (README "MLflow");
 *  - `mlflow sagemaker build-and-push-container --no-build` pushes it to Slipway's ECR the way
 *    MLflow does: STS for the account, ECR repository, `aws ecr get-login-password | docker
 *    login`, `docker push <account>.dkr.ecr.<region>.amazonaws.com/mlflow-pyfunc:<version>`
 *    (through `slipway ecr-host enable`);
 *  - `mlflow deployments create|update|delete -t sagemaker` and the deployment client's `predict`:
 *    the default image URL from ECR, the default bucket, the execution role from STS + IAM
 *    (get_caller_identity's assumed role, iam.get_role), the model tarball in S3, a real endpoint
 *    serving a scikit-learn model, replaced by a second one, then deleted with its models.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../fixtures/images/build.js';
import { acquireEcrHostLock } from '../../helpers/ecr-host-lock.js';
import { awsEnv, python, startTestServer, type TestServer } from '../../helpers/server.js';
import { removePulledImages } from '../../integration/ecr/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const HOST = '000000000000.dkr.ecr.us-east-1.amazonaws.com';
const ENDPOINT = 'mlflow-iris';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, cwd: work, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

let srv: TestServer;
let work: string;
let env: NodeJS.ProcessEnv;
let version: string;

/** Two scikit-learn models saved with MLflow: a fitted classifier, and one that always says 1. */
const SAVE_MODELS = `
import json, sys, warnings
warnings.filterwarnings('ignore')
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
mlflow.sklearn.save_model(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1] + '/v1', input_example=X.head(2))
mlflow.sklearn.save_model(DummyClassifier(strategy='constant', constant=1).fit(X, y), sys.argv[1] + '/v2', input_example=X.head(2))
print(json.dumps({'version': mlflow.__version__}))
`;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
  await ensureBaseImage();
  work = mkdtempSync(join(tmpdir(), 'slipway-mlflow-'));
  srv = await startTestServer();
  env = { ...awsEnv(srv.url), DOCKER_CONFIG: join(work, 'docker-config'), MLFLOW_TRACKING_URI: `file://${work}/mlruns` };
  const saved = await run('python3', ['-c', SAVE_MODELS, work], env);
  expect(saved.code, saved.out).toBe(0);
  version = (JSON.parse(saved.out.trim().split('\n').pop()!) as { version: string }).version;
  // The model's own requirements go into the image (it serves with env_manager "local"); the
  // constraints pin them to the versions that trained it. Cached: seconds after the first build.
  const reqs = readFileSync(join(work, 'v1', 'requirements.txt'), 'utf8').split('\n').filter(Boolean);
  const built = await run(join(ROOT, 'scripts', 'build-mlflow-image'), reqs, { ...env, PIP_CONSTRAINT: join(ROOT, 'test', 'constraints.txt') }, 900_000);
  expect(built.code, built.out).toBe(0);
}, 1_200_000);

afterAll(async () => {
  if (srv) {
    await run('python3', ['-c', `import boto3\ntry:\n    boto3.client('sagemaker').delete_endpoint(EndpointName='${ENDPOINT}')\nexcept Exception:\n    pass`], env);
    await srv.cleanup();
    await removePulledImages(srv.port);
  }
  await run('docker', ['rmi', `${HOST}/mlflow-pyfunc:${version}`], process.env);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("MLflow's SageMaker deployment, unchanged", () => {
  it('pushes the serving image to ECR with `mlflow sagemaker build-and-push-container --no-build`', async () => {
    const release = await acquireEcrHostLock();
    try {
      const enabled = await run(process.execPath, [CLI, 'ecr-host', 'enable', '--home', srv.home, '--region', 'us-east-1'], process.env);
      expect(enabled.code, enabled.out).toBe(0);
      const pushed = await run('mlflow', ['sagemaker', 'build-and-push-container', '--no-build'], env, 900_000);
      expect(pushed.code, pushed.out).toBe(0);
      expect(pushed.out).toContain('Login Succeeded');
      expect(pushed.out).toMatch(new RegExp(`${version.replace(/\./g, '\\.')}: digest: sha256:[0-9a-f]{64}`));
    } finally {
      await run(process.execPath, [CLI, 'ecr-host', 'disable', '--home', srv.home], process.env);
      release();
    }
    const images = await python(srv.url, `
import boto3, json
print(json.dumps(boto3.client('ecr').describe_images(repositoryName='mlflow-pyfunc')['imageDetails'], default=str))`);
    expect(images.map((d: { imageTags: string[] }) => d.imageTags)).toEqual([[version]]);
  }, 1_200_000);

  it('creates, predicts, replaces and deletes a deployment with `mlflow deployments` and its client', async () => {
    const target = ['-t', 'sagemaker:/us-east-1'];
    const config = ['-C', 'instance_type=ml.m5.large', '-C', 'instance_count=1', '-C', 'timeout_seconds=600'];
    const created = await run('mlflow', ['deployments', 'create', ...target, '--name', ENDPOINT, '-m', join(work, 'v1'), ...config], env);
    expect(created.code, created.out).toBe(0);

    const PREDICT = `
import json, warnings
warnings.filterwarnings('ignore')
import pandas as pd
from mlflow.deployments import get_deploy_client
rows = pd.DataFrame([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], columns=['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'])
client = get_deploy_client('sagemaker:/us-east-1')
out = client.predict('${ENDPOINT}', rows)
d = client.get_deployment('${ENDPOINT}')
print(json.dumps({'predictions': out['predictions'], 'status': d['EndpointStatus'], 'config': d['EndpointConfigName']}))`;
    const first = await python(srv.url, PREDICT);
    expect(first).toMatchObject({ predictions: [0, 2], status: 'InService' });

    const updated = await run('mlflow', ['deployments', 'update', ...target, '--name', ENDPOINT, '-m', join(work, 'v2'), '-C', 'mode=replace', ...config], env);
    expect(updated.code, updated.out).toBe(0);
    const second = await python(srv.url, PREDICT);
    expect(second).toMatchObject({ predictions: [1, 1], status: 'InService' });
    expect(second.config).not.toBe(first.config);

    const deleted = await run('mlflow', ['deployments', 'delete', ...target, '--name', ENDPOINT], env);
    expect(deleted.code, deleted.out).toBe(0);
    const left = await python(srv.url, `
import boto3, json
sm = boto3.client('sagemaker')
print(json.dumps({'endpoints': [e['EndpointName'] for e in sm.list_endpoints()['Endpoints']],
                  'models': [m['ModelName'] for m in sm.list_models()['Models']],
                  'configs': [c['EndpointConfigName'] for c in sm.list_endpoint_configs()['EndpointConfigs']]}))`);
    // MLflow deletes the endpoint, its configuration and its model (the replaced ones at update).
    expect(left).toEqual({ endpoints: [], models: [], configs: [] });
  }, 1_200_000);
});

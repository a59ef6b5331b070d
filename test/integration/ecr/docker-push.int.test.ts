/**
 * The registry with the real Docker client: `docker login` / `push` / `pull` against Slipway's
 * port, DescribeImages after the push, and training and serving an image that exists only in the
 * registry (every local tag removed, so the engine must pull it).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../fixtures/images/build.js';
import { awsEnv, python, startTestServer, type TestServer } from '../../helpers/server.js';
import { removePulledImages } from './helpers.js';

const execFileAsync = promisify(execFile);
const NOOP = fileURLToPath(new URL('../../fixtures/images/noop/', import.meta.url));

async function docker(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('docker', args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('docker push and pull through Slipway', () => {
  let srv: TestServer;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let host: string;
  let digest: string;
  const id = randomBytes(4).toString('hex');
  const repo = `byoc/noop-${id}`;
  const localTag = `slipway-ecr-test/noop-${id}:v1`;

  beforeAll(async () => {
    await ensureBaseImage();
    srv = await startTestServer();
    host = `127.0.0.1:${srv.port}`;
    work = mkdtempSync(join(tmpdir(), 'slipway-ecr-docker-'));
    env = { ...awsEnv(srv.url), DOCKER_CONFIG: join(work, 'docker-config') };
    // A tiny image of its own (the label makes its id unique), so removing its tags removes it.
    const ctx = join(work, 'image');
    await execFileAsync('mkdir', ['-p', ctx]);
    for (const f of ['train', 'serve']) copyFileSync(join(NOOP, f), join(ctx, f));
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM slipway-base/python:bookworm\nCOPY train serve /opt/program/\nRUN chmod +x /opt/program/train /opt/program/serve\nENV PATH="/opt/program:\${PATH}"\nLABEL slipway.test.nonce="${id}"\n`,
    );
    const built = await docker(['build', '-q', '-t', localTag, ctx], env);
    if (built.code !== 0) throw new Error(`docker build failed: ${built.out}`);
  }, 300_000);

  afterAll(async () => {
    // Containers first: an image a container still uses cannot be removed.
    await srv?.cleanup();
    if (srv) await removePulledImages(srv.port);
    await docker(['rmi', '-f', localTag, `${host}/${repo}:v1`], process.env).catch(() => undefined);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a push to a repository that was not created, with ECR’s message', async () => {
    await docker(['tag', localTag, `${host}/${repo}-missing:v1`], env);
    const r = await docker(['push', `${host}/${repo}-missing:v1`], env);
    await docker(['rmi', `${host}/${repo}-missing:v1`], env);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`name unknown: The repository with name '${repo}-missing' does not exist in the registry with id '000000000000'`);
  });

  it('pushes with docker after docker login, and DescribeImages lists what was pushed', async () => {
    await execFileAsync('aws', ['ecr', 'create-repository', '--repository-name', repo], { env });
    const password = (await execFileAsync('aws', ['ecr', 'get-login-password'], { env })).stdout.trim();
    const login = await docker(['login', '--username', 'AWS', '--password-stdin', host], env, password);
    expect(login.out).toContain('Login Succeeded');
    await docker(['tag', localTag, `${host}/${repo}:v1`], env);
    const push = await docker(['push', `${host}/${repo}:v1`], env);
    expect(push.code, push.out).toBe(0);
    digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.out)![1]!;

    const out = await python(
      srv.url,
      `import boto3, json; print(json.dumps(boto3.client("ecr").describe_images(repositoryName="${repo}")["imageDetails"], default=str))`,
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      repositoryName: repo,
      imageDigest: digest,
      imageTags: ['v1'],
      imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      artifactMediaType: 'application/vnd.docker.container.image.v1+json',
    });
    // Compressed layers: the base image's ~270 MB, far less than its 900 MB on disk.
    expect(out[0].imageSizeInBytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(Math.abs(Date.parse(out[0].imagePushedAt) - Date.now())).toBeLessThan(10 * 60_000);
  }, 600_000);

  it('pulls the pushed image back into an engine that no longer has it', async () => {
    const idBefore = (await docker(['image', 'inspect', '--format', '{{.Id}}', localTag], env)).out.trim();
    await docker(['rmi', localTag, `${host}/${repo}:v1`], env);
    expect((await docker(['image', 'inspect', idBefore], env)).code).not.toBe(0);
    const pull = await docker(['pull', `${host}/${repo}:v1`], env);
    expect(pull.code, pull.out).toBe(0);
    expect(pull.out).toContain(`Digest: ${digest}`);
    expect((await docker(['image', 'inspect', '--format', '{{.Id}}', `${host}/${repo}:v1`], env)).out.trim()).toBe(idBefore);
    // Gone again: what follows must pull it itself.
    await docker(['rmi', `${host}/${repo}:v1`], env);
    expect((await docker(['image', 'inspect', idBefore], env)).code).not.toBe(0);
    const lastPull = await python(
      srv.url,
      `import boto3, json; print(json.dumps(boto3.client("ecr").describe_images(repositoryName="${repo}")["imageDetails"][0].get("lastRecordedPullTime"), default=str))`,
    );
    expect(lastPull).not.toBeNull();
  }, 300_000);

  it('trains, serves, transforms and processes with an image that exists only in the registry', async () => {
    const ecrName = `000000000000.dkr.ecr.us-east-1.amazonaws.com/${repo}:v1`;
    const loopbackName = `${host}/${repo}:v1`;
    const out = await python(
      srv.url,
      `
import boto3, json, botocore
sm = boto3.client("sagemaker"); rt = boto3.client("sagemaker-runtime"); s3 = boto3.client("s3")
def wait(name, **kw):
    try:
        sm.get_waiter(name).wait(**kw)
    except botocore.exceptions.WaiterError:
        pass  # the describe below tells why
s3.create_bucket(Bucket="ecr-out")
role = "arn:aws:iam::000000000000:role/SageMakerRole"
sm.create_training_job(TrainingJobName="from-registry-${id}", RoleArn=role,
    AlgorithmSpecification={"TrainingImage": "${ecrName}", "TrainingInputMode": "File"},
    OutputDataConfig={"S3OutputPath": "s3://ecr-out/train"},
    ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
    StoppingCondition={"MaxRuntimeInSeconds": 600})
wait("training_job_completed_or_stopped", TrainingJobName="from-registry-${id}", WaiterConfig={"Delay": 2, "MaxAttempts": 150})
job = sm.describe_training_job(TrainingJobName="from-registry-${id}")
if job["TrainingJobStatus"] != "Completed":
    print(json.dumps({"status": job["TrainingJobStatus"], "reason": job.get("FailureReason")}))
    raise SystemExit(0)
sm.create_model(ModelName="from-registry-${id}", ExecutionRoleArn=role,
    PrimaryContainer={"Image": "${loopbackName}", "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
sm.create_endpoint_config(EndpointConfigName="from-registry-${id}", ProductionVariants=[{"VariantName": "AllTraffic",
    "ModelName": "from-registry-${id}", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
sm.create_endpoint(EndpointName="from-registry-${id}", EndpointConfigName="from-registry-${id}")
wait("endpoint_in_service", EndpointName="from-registry-${id}", WaiterConfig={"Delay": 2, "MaxAttempts": 150})
ep = sm.describe_endpoint(EndpointName="from-registry-${id}")
body = rt.invoke_endpoint(EndpointName="from-registry-${id}", ContentType="text/csv", Body=b"1,2,3")["Body"].read().decode()
sm.create_training_job(TrainingJobName="missing-${id}", RoleArn=role,
    AlgorithmSpecification={"TrainingImage": "000000000000.dkr.ecr.us-east-1.amazonaws.com/${repo}:nope", "TrainingInputMode": "File"},
    OutputDataConfig={"S3OutputPath": "s3://ecr-out/train"},
    ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
    StoppingCondition={"MaxRuntimeInSeconds": 600})
wait("training_job_completed_or_stopped", TrainingJobName="missing-${id}", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
missing = sm.describe_training_job(TrainingJobName="missing-${id}")
sm.delete_endpoint(EndpointName="from-registry-${id}")
s3.put_object(Bucket="ecr-out", Key="batch/in.csv", Body=b"4,5,6")
sm.create_transform_job(TransformJobName="from-registry-${id}", ModelName="from-registry-${id}",
    TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://ecr-out/batch/"}}, "ContentType": "text/csv"},
    TransformOutput={"S3OutputPath": "s3://ecr-out/batch-out"},
    TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
sm.create_processing_job(ProcessingJobName="from-registry-${id}", RoleArn=role,
    AppSpecification={"ImageUri": "${ecrName}", "ContainerEntrypoint": ["python3", "-c", "print('processed')"]},
    ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}},
    StoppingCondition={"MaxRuntimeInSeconds": 300})
wait("transform_job_completed_or_stopped", TransformJobName="from-registry-${id}", WaiterConfig={"Delay": 2, "MaxAttempts": 150})
wait("processing_job_completed_or_stopped", ProcessingJobName="from-registry-${id}", WaiterConfig={"Delay": 2, "MaxAttempts": 150})
transform = sm.describe_transform_job(TransformJobName="from-registry-${id}")
processing = sm.describe_processing_job(ProcessingJobName="from-registry-${id}")
batch = s3.get_object(Bucket="ecr-out", Key="batch-out/in.csv.out")["Body"].read().decode() if transform["TransformJobStatus"] == "Completed" else None
print(json.dumps({"status": job["TrainingJobStatus"], "reason": job.get("FailureReason"), "endpoint": ep["EndpointStatus"],
    "deployed": ep["ProductionVariants"][0]["DeployedImages"], "body": body,
    "transform": [transform["TransformJobStatus"], transform.get("FailureReason"), batch],
    "processing": [processing["ProcessingJobStatus"], processing.get("FailureReason")],
    "missing": [missing["TrainingJobStatus"], missing.get("FailureReason")]}, default=str))
`,
    );
    expect(out.status, out.reason).toBe('Completed');
    expect(out.endpoint).toBe('InService');
    expect(out.body).toBe('1,2,3');
    expect(out.deployed).toEqual([{ SpecifiedImage: loopbackName, ResolvedImage: `${host}/${repo}@${digest}`, ResolutionTime: expect.any(String) }]);
    expect(out.transform).toEqual(['Completed', null, '4,5,6']);
    expect(out.processing).toEqual(['Completed', null]);
    expect(out.missing[0]).toBe('Failed');
    expect(out.missing[1]).toContain(
      `was not found in Slipway's registry or on this host. Push it (docker push 000000000000.dkr.ecr.us-east-1.amazonaws.com/${repo}:nope) or build it locally`,
    );
  }, 600_000);
});

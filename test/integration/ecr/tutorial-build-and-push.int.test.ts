/**
 * Issue #14's acceptance: the tutorials' `build_and_push.sh` (../shared/tutorial/) runs unchanged
 * against Slipway (only AWS_ENDPOINT_URL, credentials and region in its environment), pushing to
 * `<account>.dkr.ecr.<region>.amazonaws.com` through the host-name opt-in, and the pushed image
 * then trains and serves through boto3 with every local copy of it removed.
 *
 * The opt-in edits /etc/hosts and /etc/docker/certs.d and the server listens on 443; afterAll
 * takes all of it back whatever happened. Authentication is on, so the login token is checked too.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../fixtures/images/build.js';
import { awsEnv, startTestServer, type TestServer } from '../../helpers/server.js';
import { acquireEcrHostLock } from '../../helpers/ecr-host-lock.js';
import { removePulledImages } from './helpers.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const NOOP = join(ROOT, 'test', 'fixtures', 'images', 'noop');
const KEY = { accessKeyId: 'AKIDTUTORIAL', secretAccessKey: 'tutorial-secret' };
const HOST = '000000000000.dkr.ecr.us-east-1.amazonaws.com';

/** ../shared/tutorial/build_and_push.sh beside the repository (a worktree sits deeper: nearest ancestor wins). */
function tutorialScript(): string {
  for (let dir = dirname(ROOT.replace(/\/$/, '')); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'tutorial', 'build_and_push.sh');
    if (existsSync(candidate)) return candidate;
    if (dir === '/') throw new Error('shared/tutorial/build_and_push.sh not found beside the repository');
  }
}

function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe("the tutorials' build_and_push.sh, unchanged", () => {
  let srv: TestServer;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let release: (() => void) | undefined;
  const image = `tutorial-${randomBytes(4).toString('hex')}`;
  /** /etc/hosts as it was once this file held the opt-in lock (another file's opt-in may come and go before). */
  let hostsBefore: string | undefined;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
    await ensureBaseImage();
    srv = await startTestServer({ credentials: { [KEY.accessKeyId]: KEY.secretAccessKey } });
    work = mkdtempSync(join(tmpdir(), 'slipway-tutorial-'));
    env = {
      ...awsEnv(srv.url, KEY),
      DOCKER_CONFIG: join(work, 'docker-config'),
      // No profile: `aws configure get region` finds nothing and the script falls back to AWS_DEFAULT_REGION.
      AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    };
    delete env.AWS_REGION;
    release = await acquireEcrHostLock(); // the MLflow test opts in too (port 443, /etc/hosts)
    hostsBefore = readFileSync('/etc/hosts', 'utf8');
    const enabled = await run(process.execPath, [CLI, 'ecr-host', 'enable', '--home', srv.home, '--region', 'us-east-1'], { env: process.env });
    if (enabled.code !== 0) throw new Error(`ecr-host enable failed: ${enabled.out}`);
    expect(enabled.out).toContain('served on port 443');
    // The BYOC image the tutorial builds: the noop fixture with a label of its own.
    const ctx = join(work, 'container');
    mkdirSync(ctx);
    for (const f of ['train', 'serve']) copyFileSync(join(NOOP, f), join(ctx, f));
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM slipway-base/python:bookworm\nCOPY train serve /opt/program/\nRUN chmod +x /opt/program/train /opt/program/serve\nENV PATH="/opt/program:\${PATH}"\nLABEL slipway.test.nonce="${image}"\n`,
    );
  }, 900_000); // may wait for the lock

  afterAll(async () => {
    // Undo the opt-in first and whatever failed before: the machine's files must be as they were.
    if (srv) await run(process.execPath, [CLI, 'ecr-host', 'disable', '--home', srv.home], { env: process.env });
    // Read before the lock goes: the next holder may opt in at once.
    const hostsAfter = readFileSync('/etc/hosts', 'utf8');
    const certsLeft = existsSync(`/etc/docker/certs.d/${HOST}`);
    release?.();
    await srv?.cleanup();
    if (srv) await removePulledImages(srv.port);
    await run('docker', ['rmi', '-f', image, `${HOST}/${image}:latest`], { env: process.env });
    if (work) rmSync(work, { recursive: true, force: true });
    if (hostsBefore !== undefined) expect(hostsAfter).toBe(hostsBefore);
    expect(certsLeft).toBe(false);
  });

  it('builds, creates the repository, logs in, tags and pushes to the ECR host name', async () => {
    const script = tutorialScript();
    const r = await run('bash', [script, image, 'container'], { env, cwd: work });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Login Succeeded');
    expect(r.out).toMatch(new RegExp(`latest: digest: sha256:[0-9a-f]{64}`));
    const images = JSON.parse((await execFileAsync('aws', ['ecr', 'describe-images', '--repository-name', image], { env })).stdout) as {
      imageDetails: { imageTags: string[] }[];
    };
    expect(images.imageDetails.map((d) => d.imageTags)).toEqual([['latest']]);
    // Run again, as tutorials are: the repository exists now, the push finds every layer there.
    const again = await run('bash', [script, image, 'container'], { env, cwd: work });
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/Layer already exists/);
  }, 900_000);

  it('trains and serves the pushed image through boto3 once no local copy is left', async () => {
    const id = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { env })).out.trim();
    await run('docker', ['rmi', image, `${HOST}/${image}:latest`], { env });
    expect((await run('docker', ['image', 'inspect', id], { env })).code).not.toBe(0);
    const script = `
import boto3, botocore, json
sm = boto3.client("sagemaker"); rt = boto3.client("sagemaker-runtime"); s3 = boto3.client("s3")
uri = "${HOST}/${image}:latest"
role = "arn:aws:iam::000000000000:role/SageMakerRole"
s3.create_bucket(Bucket="tutorial-out")
def wait(name, **kw):
    try:
        sm.get_waiter(name).wait(**kw)
    except botocore.exceptions.WaiterError:
        pass
sm.create_training_job(TrainingJobName="${image}", RoleArn=role,
    AlgorithmSpecification={"TrainingImage": uri, "TrainingInputMode": "File"},
    OutputDataConfig={"S3OutputPath": "s3://tutorial-out/output"},
    ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
    StoppingCondition={"MaxRuntimeInSeconds": 600})
wait("training_job_completed_or_stopped", TrainingJobName="${image}", WaiterConfig={"Delay": 2, "MaxAttempts": 150})
job = sm.describe_training_job(TrainingJobName="${image}")
out = {"status": job["TrainingJobStatus"], "reason": job.get("FailureReason")}
if out["status"] == "Completed":
    sm.create_model(ModelName="${image}", ExecutionRoleArn=role, PrimaryContainer={"Image": uri, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    sm.create_endpoint_config(EndpointConfigName="${image}", ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "${image}", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="${image}", EndpointConfigName="${image}")
    wait("endpoint_in_service", EndpointName="${image}", WaiterConfig={"Delay": 2, "MaxAttempts": 150})
    ep = sm.describe_endpoint(EndpointName="${image}")
    out["endpoint"] = ep["EndpointStatus"]
    out["resolved"] = ep["ProductionVariants"][0]["DeployedImages"][0].get("ResolvedImage")
    out["body"] = rt.invoke_endpoint(EndpointName="${image}", ContentType="application/json", Body=b'{"x": 1}')["Body"].read().decode()
    sm.delete_endpoint(EndpointName="${image}")
print(json.dumps(out))
`;
    const { stdout } = await execFileAsync('python3', ['-c', script], { env });
    const out = JSON.parse(stdout) as { status: string; reason?: string; endpoint?: string; resolved?: string; body?: string };
    expect(out.status, out.reason).toBe('Completed');
    expect(out.endpoint).toBe('InService');
    expect(out.resolved).toMatch(new RegExp(`^${HOST.replace(/\./g, '\\.')}/${image}@sha256:[0-9a-f]{64}$`));
    expect(out.body).toBe('{"x": 1}');
  }, 600_000);
});

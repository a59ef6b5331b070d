/**
 * The registry with Slipway's authentication on: only a valid, unexpired ECR token opens it, for
 * raw registry requests, `docker login`/`docker pull`, and Slipway's own pulls of a job's image.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginTokens } from '../../../src/resources/ecr-login-token.js';
import { awsEnv, startTestServer, type TestServer } from '../../helpers/server.js';
import { pushTinyImage, removePulledImages, ociErrors } from './helpers.js';

const execFileAsync = promisify(execFile);
const KEY = { accessKeyId: 'AKIDECRTEST', secretAccessKey: 'ecr-test-secret' };
const basic = (password: string, user = 'AWS') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('registry with authentication on', () => {
  let srv: TestServer;
  let dockerConfig: string;
  let password: string;
  const repo = `secure-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    srv = await startTestServer({ credentials: { [KEY.accessKeyId]: KEY.secretAccessKey } });
    dockerConfig = mkdtempSync(join(tmpdir(), 'slipway-docker-config-'));
    const env = awsEnv(srv.url, KEY);
    await execFileAsync('aws', ['ecr', 'create-repository', '--repository-name', repo], { env });
    password = (await execFileAsync('aws', ['ecr', 'get-login-password'], { env })).stdout.trim();
  });

  afterAll(async () => {
    // Containers first: an image a container still uses cannot be removed.
    await srv?.cleanup();
    if (srv) await removePulledImages(srv.port);
    rmSync(dockerConfig, { recursive: true, force: true });
  });

  it('challenges a request without credentials, as ECR does, so Docker sends its login', async () => {
    const r = await fetch(`${srv.url}/v2/`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Basic realm="https://127.0.0.1:${srv.port}/",service="ecr.amazonaws.com"`);
    expect((await ociErrors(r))[0].code).toBe('UNAUTHORIZED');
    expect((await fetch(`${srv.url}/v2/${repo}/tags/list`)).status).toBe(401);
  });

  it('opens with the password of get-login-password, and only with it', async () => {
    expect((await fetch(`${srv.url}/v2/`, { headers: { Authorization: basic(password) } })).status).toBe(200);
    expect((await fetch(`${srv.url}/v2/`, { headers: { Authorization: basic(password, 'admin') } })).status).toBe(401);
    expect((await fetch(`${srv.url}/v2/`, { headers: { Authorization: basic(`${password}x`) } })).status).toBe(401);
    const forged = new LoginTokens(new Map([[KEY.accessKeyId, 'another-secret']])).issue(KEY.accessKeyId, Date.now()).password;
    expect((await fetch(`${srv.url}/v2/`, { headers: { Authorization: basic(forged) } })).status).toBe(401);
  });

  it('refuses an expired token with ECR’s message', async () => {
    const old = new LoginTokens(new Map([[KEY.accessKeyId, KEY.secretAccessKey]])).issue(KEY.accessKeyId, Date.now() - 13 * 3600_000).password;
    const r = await fetch(`${srv.url}/v2/${repo}/tags/list`, { headers: { Authorization: basic(old) } });
    expect(r.status).toBe(403);
    expect((await ociErrors(r))[0]).toEqual({ code: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.', detail: null });
  });

  it('answers ECR API calls signed with an unknown key with UnrecognizedClientException', async () => {
    const r = await run('aws', ['ecr', 'describe-repositories'], awsEnv(srv.url, { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' }));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('UnrecognizedClientException');
  });

  it('lets docker log in and pull with the token, and not without it', async () => {
    const host = `127.0.0.1:${srv.port}`;
    const pushed = await pushTinyImage(srv.url, repo, 'v1', { authorization: basic(password) });
    expect(pushed.status).toBe(201);
    expect((await fetch(`${srv.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' })).status).toBe(401);

    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    const anonymous = await run('docker', ['pull', `${host}/${repo}:v1`], env);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.out).toMatch(/no basic auth credentials|unauthorized/i);

    const expired = new LoginTokens(new Map([[KEY.accessKeyId, KEY.secretAccessKey]])).issue(KEY.accessKeyId, Date.now() - 13 * 3600_000).password;
    const refused = await run('docker', ['login', '--username', 'AWS', '--password-stdin', host], env, expired);
    expect(refused.code).not.toBe(0);

    const login = await run('docker', ['login', '--username', 'AWS', '--password-stdin', host], env, password);
    expect(login.out).toContain('Login Succeeded');
    const pull = await run('docker', ['pull', `${host}/${repo}:v1`], env);
    expect(pull.out).toContain(`Digest: ${pushed.digest}`);
    expect(pull.code).toBe(0);
  });

  it("pulls a job's image through the registry with its own token", async () => {
    const pushed = await pushTinyImage(srv.url, repo, 'job', { authorization: basic(password) });
    expect(pushed.status).toBe(201);
    const image = `127.0.0.1:${srv.port}/${repo}:job`;
    const env = awsEnv(srv.url, KEY);
    const job = `pull-${randomBytes(3).toString('hex')}`;
    await execFileAsync('aws', ['s3', 'mb', 's3://out'], { env });
    await execFileAsync('aws', [
      'sagemaker', 'create-training-job', '--training-job-name', job, '--role-arn', 'arn:aws:iam::000000000000:role/R',
      '--algorithm-specification', `TrainingImage=${image},TrainingInputMode=File`,
      '--output-data-config', 'S3OutputPath=s3://out/o',
      '--resource-config', 'InstanceType=ml.m5.large,InstanceCount=1,VolumeSizeInGB=1',
      '--stopping-condition', 'MaxRuntimeInSeconds=60',
    ], { env });
    // The engine pulls the image through Slipway's registry before the job's container exists
    // (the tiny image has no `train`, so the job itself would only fail; it is stopped once pulled).
    const pulledRef = `127.0.0.1:${srv.port}/${repo}@${pushed.digest}`;
    const deadline = Date.now() + 60_000;
    let pulled = false;
    while (!pulled && Date.now() < deadline) {
      pulled = await execFileAsync('docker', ['image', 'inspect', pulledRef]).then(() => true, () => false);
      if (!pulled) await new Promise((r) => setTimeout(r, 250));
    }
    await execFileAsync('aws', ['sagemaker', 'stop-training-job', '--training-job-name', job], { env }).catch(() => undefined);
    expect(pulled).toBe(true);
    const d = JSON.parse((await execFileAsync('aws', ['sagemaker', 'describe-training-job', '--training-job-name', job], { env })).stdout) as { FailureReason?: string };
    expect(d.FailureReason ?? '').not.toMatch(/was not found/);
  });
});

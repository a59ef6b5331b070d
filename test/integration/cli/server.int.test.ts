/**
 * Acceptance 3 and 4 of issue 7: the everyday commands against a real server, run as subprocesses:
 * train from a local folder (upload + progress) → deploy --job → invoke → logs -f → rm; `--json`
 * prints the API's shapes; an unreachable server gives a helpful error and exit code 2.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, DescribeEndpointCommand, DescribeModelCommand, ListModelsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/server-process.js';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';
import { REPO, buildImage, runCli, spawnCli } from './cli-harness.js';

const PAYLOAD = join(REPO, 'examples/decision-trees/payload.csv');
let server: TestServer;
let sm: SageMakerClient;
let work: string;
const name = (p: string) => `${p}-${randomBytes(4).toString('hex')}`;
const env = () => ({ SLIPWAY_URL: server.url });

beforeAll(async () => {
  await buildImage('decision-trees', join(REPO, 'examples/decision-trees'));
  await buildImage('slipway-test/broken-wrong-model-dir', join(REPO, 'test/fixtures/images/broken/wrong-model-dir'));
  server = await startTestServer();
  sm = new SageMakerClient(sdkClientConfig(server.url));
  work = mkdtempSync(join(tmpdir(), 'slipway-cli-server-'));
  mkdirSync(join(work, 'data'));
  copyFileSync(join(REPO, 'examples/decision-trees/data/iris.csv'), join(work, 'data/iris.csv'));
});

afterAll(async () => {
  await server?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('slipway CLI against a server', () => {
  it('exits 2 and says how to start Slipway when the server is unreachable', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await runCli(['ls', 'jobs'], { env: { SLIPWAY_URL: url } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot reach Slipway at ${url}; start it with \`npm start\``);
    const flag = await runCli(['--endpoint-url', url, 'describe', 'job', 'x']);
    expect(flag.code).toBe(2);
  });

  it('exits 2 on a usage error', async () => {
    const r = await runCli(['describe', 'gizmo', 'x'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown kind "gizmo"/);
  });

  it('prints the API shapes with --json for ls and describe, and rm deletes', async () => {
    const model = name('cli-model');
    await sm.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/x', PrimaryContainer: { Image: 'decision-trees' } }));

    const ls = await runCli(['--json', 'ls', 'models'], { env: env() });
    expect(ls.code, ls.stderr).toBe(0);
    const listed = JSON.parse(ls.stdout) as { Models: { ModelName: string; ModelArn: string; CreationTime: string }[] };
    const api = await sm.send(new ListModelsCommand({}));
    const mine = listed.Models.find((m) => m.ModelName === model);
    const apiMine = api.Models!.find((m) => m.ModelName === model)!;
    expect(mine).toEqual({ ModelName: model, ModelArn: apiMine.ModelArn, CreationTime: apiMine.CreationTime!.toISOString() });

    const all = await runCli(['--json', 'ls'], { env: env() });
    expect(Object.keys(JSON.parse(all.stdout)).sort()).toEqual(['EndpointConfigs', 'Endpoints', 'Models', 'TrainingJobSummaries']);

    const d = await runCli(['--json', 'describe', 'model', model], { env: env() });
    expect(d.code, d.stderr).toBe(0);
    const { $metadata: _m, ...described } = await sm.send(new DescribeModelCommand({ ModelName: model }));
    expect(JSON.parse(d.stdout)).toEqual(JSON.parse(JSON.stringify(described)));

    const human = await runCli(['ls', 'models'], { env: env() });
    expect(human.stdout).toMatch(new RegExp(`^NAME\\s+CREATED`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`${model}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(\\d+s ago\\)`));

    const rm = await runCli(['rm', 'model', model], { env: env() });
    expect(rm.code, rm.stderr).toBe(0);
    const gone = await runCli(['describe', 'model', model], { env: env() });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/ValidationException|ResourceNotFound/);
  });

  it('trains from a local folder with progress, deploys the job, invokes it and cleans up', async () => {
    const job = name('cli-job');
    const ep = name('cli-ep');
    const train = await runCli(['train', '--image', 'decision-trees', '--name', job, '--data', `training=${join(work, 'data')}`, '--hp', 'max_leaf_nodes=5', '--wait'], {
      env: env(),
    });
    expect(train.code, `${train.stdout}\n${train.stderr}`).toBe(0);
    expect(train.stderr).toMatch(/uploading training: .*1 file/);
    expect(train.stderr).toMatch(/✔ uploaded training: 1 file\(s\), .* → s3:\/\/slipway-default\/input\//);
    expect(train.stderr).toMatch(new RegExp(`✔ ${job}: Completed after`));
    expect(train.stdout).toMatch(new RegExp(`Model artifacts: s3://slipway-default/output/${job}/output/model.tar.gz`));

    const jobLogs = await runCli(['logs', job], { env: env() });
    expect(jobLogs.code, jobLogs.stderr).toBe(0);
    expect(jobLogs.stdout).toContain('Training complete.');

    const deploy = await runCli(['deploy', '--job', job, '--name', ep, '--wait'], { env: env() });
    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(0);
    expect(deploy.stdout).toContain(`Endpoint ${ep} is InService`);

    const invoke = await runCli(['invoke', ep, '--file', PAYLOAD, '--content-type', 'text/csv'], { env: env() });
    expect(invoke.code, invoke.stderr).toBe(0);
    const labels = invoke.stdout.trim().split('\n');
    expect(labels).toHaveLength(readFileSync(PAYLOAD, 'utf8').trim().split('\n').length);
    for (const l of labels) expect(['setosa', 'versicolor', 'virginica']).toContain(l);

    const predict = await runCli(['predict', ep, PAYLOAD, 'text/csv'], { env: env() });
    expect(predict.stdout).toBe(invoke.stdout);

    const rm = await runCli(['rm', 'endpoint', ep, '--all'], { env: env() });
    expect(rm.code, rm.stderr).toBe(0);
    await expect(sm.send(new DescribeEndpointCommand({ EndpointName: ep }))).rejects.toThrow();
  });

  it('deploys an image, follows the endpoint log with a new line within 1 s of a request, and rm --all cleans up', async () => {
    // This fixture's serve side is healthy (only its train is broken) and it logs every invocation.
    const ep = name('cli-ep');
    const deploy = await runCli(['deploy', '--image', 'slipway-test/broken-wrong-model-dir', '--name', ep, '--wait'], { env: env() });
    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(0);
    expect(deploy.stderr).toMatch(new RegExp(`✔ ${ep}: InService after`));

    const follow = spawnCli(['logs', ep, '-f'], { env: env() });
    try {
      await follow.waitForStdout(/serving on 8080/, 10_000);
      const invoke = await runCli(['invoke', ep, '--body', '5.1,3.5,1.4,0.2', '--content-type', 'text/csv'], { env: env() });
      const sent = Date.now();
      expect(invoke.stdout).toBe('5.1,3.5,1.4,0.2');
      await follow.waitForStdout(/AllTraffic\/\S+ \| Invoked with 15 bytes/, 5_000);
      expect(Date.now() - sent).toBeLessThanOrEqual(1000);
    } finally {
      follow.child.kill('SIGINT');
    }
    expect(await follow.exited).toBe(0);

    const rm = await runCli(['rm', 'endpoint', ep, '--all'], { env: env() });
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`deleted endpoint ${ep}`);
    expect(rm.stdout).toContain(`deleted endpoint-config ${ep}`);
    expect(rm.stdout).toContain(`deleted model ${ep}`);
    await expect(sm.send(new DescribeEndpointCommand({ EndpointName: ep }))).rejects.toThrow();
    const ls = JSON.parse((await runCli(['--json', 'ls', 'endpoints'], { env: env() })).stdout) as { Endpoints: { EndpointName: string }[] };
    expect(ls.Endpoints.map((e) => e.EndpointName)).not.toContain(ep);
  });
});

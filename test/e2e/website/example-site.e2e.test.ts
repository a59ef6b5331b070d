/**
 * Acceptance for issue #14's front end: examples/website, published with its own publish.sh (AWS
 * CLI) into a bucket of a server with authentication on, loads in Chromium from
 * `<bucket>.s3-website.localhost:PORT`, uploads examples/website/sample.csv, calls the public
 * decision-trees endpoint unsigned and plots one point per row. The plotted labels are checked
 * against a signed InvokeEndpoint of the same rows; a screenshot goes to
 * test-output/screenshots/website-example.png.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';
import { deleteAllEndpoints, waitForStatus } from '../../integration/hosting/helpers.js';
import { CHROMIUM, SCREENSHOT_DIR, until } from '../console/harness.js';

const execFileAsync = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'website');
const ROLE = 'arn:aws:iam::000000000000:role/slipway';

const suffix = Math.random().toString(36).slice(2, 8);
const endpoint = `iris-${suffix}`;
const bucket = `iris-site-${suffix}`;

let srv: TestServer;
let sm: SageMakerClient;
let context: BrowserContext | undefined;
let profile: string | undefined;

/** Trains examples/decision-trees on iris.csv and deploys the artifact as `endpoint` (signed JS SDK). */
async function deployIris(): Promise<void> {
  const s3 = new S3Client({ ...sdkClientConfig(srv.url), forcePathStyle: true });
  const data = `iris-data-${suffix}`;
  await s3.send(new CreateBucketCommand({ Bucket: data }));
  await s3.send(new PutObjectCommand({ Bucket: data, Key: 'train/iris.csv', Body: readFileSync(join(ROOT, 'examples/decision-trees/data/iris.csv')) }));
  const job = `iris-train-${suffix}`;
  await sm.send(
    new CreateTrainingJobCommand({
      TrainingJobName: job,
      RoleArn: ROLE,
      AlgorithmSpecification: { TrainingImage: 'decision-trees', TrainingInputMode: 'File' },
      InputDataConfig: [{ ChannelName: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${data}/train/` } } }],
      OutputDataConfig: { S3OutputPath: `s3://${data}/output` },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
    }),
  );
  const done = await until(
    'the training job',
    async () => {
      const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: job }));
      if (d.TrainingJobStatus === 'Failed') throw new Error(`training failed: ${d.FailureReason}`);
      return d.TrainingJobStatus === 'Completed' ? d : undefined;
    },
    300_000,
    1000,
  );
  await sm.send(new CreateModelCommand({ ModelName: endpoint, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: 'decision-trees', ModelDataUrl: done.ModelArtifacts!.S3ModelArtifacts! } }));
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: endpoint,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: endpoint, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: endpoint }));
  await waitForStatus(sm, endpoint, ['InService'], 180_000);
}

beforeAll(async () => {
  await execFileAsync('docker', ['build', '-q', '-t', 'decision-trees', join(ROOT, 'examples/decision-trees')], { maxBuffer: 16 << 20 });
  srv = await startTestServer({ credentials: { slipway: 'slipway' }, publicInvoke: endpoint });
  sm = new SageMakerClient(sdkClientConfig(srv.url));
  await deployIris();
  // The example's own publishing script, as a user runs it.
  const { stdout } = await execFileAsync(join(EXAMPLE, 'publish.sh'), [bucket, endpoint], { env: awsEnv(srv.url) });
  expect(stdout).toContain(`http://${bucket}.s3-website.localhost:${srv.port}/`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (!srv) return;
  await deleteAllEndpoints(sm, srv.home);
  await srv.cleanup();
});

describe('examples/website in Chromium', () => {
  it('loads from its bucket, uploads a CSV and plots the endpoint\'s predictions', async () => {
    const page = await context!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));

    const site = `http://${bucket}.s3-website.localhost:${srv.port}/`;
    const res = await page.goto(site);
    expect(res?.status()).toBe(200);
    await page.getByRole('heading', { name: 'Iris classifier' }).waitFor();
    // Everything the page loads comes from the bucket's website address, or is the endpoint call.
    expect(requests.every((u) => u.startsWith(site))).toBe(true);

    await page.setInputFiles('#file', join(EXAMPLE, 'sample.csv'));
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByText('30 flowers classified.').waitFor({ timeout: 30_000 });

    const points = await page.$$eval('#plot circle.point', (cs) =>
      cs.map((c) => ({ x: Number(c.getAttribute('data-x')), y: Number(c.getAttribute('data-y')), label: c.getAttribute('data-label') })),
    );
    const rows = readFileSync(join(EXAMPLE, 'sample.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
    expect(points.map((p) => [p.x, p.y])).toEqual(rows.map((r) => [r[2], r[3]]));

    // The same rows through a signed InvokeEndpoint give the same labels.
    const rt = new SageMakerRuntimeClient(sdkClientConfig(srv.url));
    const signed = await rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'text/csv', Body: readFileSync(join(EXAMPLE, 'sample.csv')) }));
    const expected = Buffer.from(signed.Body!).toString().trim().split('\n').map((s) => s.trim());
    expect(points.map((p) => p.label)).toEqual(expected);
    // iris: the sample holds all three species, and the tree tells them apart.
    expect(new Set(expected)).toEqual(new Set(['setosa', 'versicolor', 'virginica']));
    const legend = await page.$$eval('#legend li', (lis) => lis.map((li) => li.textContent));
    expect(legend).toHaveLength(3);
    expect(requests).toContain(`${srv.url}/endpoints/${endpoint}/invocations`);

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'website-example.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is refused to an unsigned caller once the endpoint loses its tag, and the page says why', async () => {
    const { stdout } = await execFileAsync('aws', ['sagemaker', 'describe-endpoint', '--endpoint-name', endpoint, '--query', 'EndpointArn', '--output', 'text'], { env: awsEnv(srv.url) });
    await execFileAsync('aws', ['sagemaker', 'delete-tags', '--resource-arn', stdout.trim(), '--tag-keys', 'slipway:public-invoke'], { env: awsEnv(srv.url) });
    const page = await context!.newPage();
    await page.goto(`http://${bucket}.s3-website.localhost:${srv.port}/`);
    await page.setInputFiles('#file', join(EXAMPLE, 'sample.csv'));
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByText(/the endpoint answered 403/).waitFor({ timeout: 30_000 });
    await page.close();
  });
});

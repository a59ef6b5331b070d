/**
 * Browser tests of the console against real training and hosting (Docker, a tiny anomaly
 * detector image FROM slipway-base/python:bookworm):
 *   1. a job started from the API shows up, streams live logs and turns Completed without a
 *      reload; "Deploy this model" creates an endpoint that reaches InService;
 *   2. the playground sends a CSV file and shows predictions and a plot; an error response
 *      shows its status and message;
 *   3. weight sliders change the variant split, verified by invoking through the API.
 * Screenshots go to test-output/screenshots/; any browser console error fails the suite.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ListEndpointsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../fixtures/images/build.js';
import { sdkClientConfig } from '../../helpers/server.js';
import { startConsoleEnv, until, type ConsoleEnv } from './harness.js';

const IMAGE = 'slipway-test/console-anomaly:latest';
const ROLE = 'arn:aws:iam::000000000000:role/slipway';
const suffix = Math.random().toString(36).slice(2, 8);
const bucket = `console-host-${suffix}`;
const job = `console-job-${suffix}`;
const deployed = `console-ep-${suffix}`;
const ab = `console-ab-${suffix}`;

async function buildImage(): Promise<void> {
  await ensureBaseImage();
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'anomaly-image');
  await promisify(execFile)('docker', ['build', '-q', '-t', IMAGE, dir]);
}

describe('Slipway console with training and hosting', () => {
  let env: ConsoleEnv;
  let sm: SageMakerClient;
  let runtime: SageMakerRuntimeClient;

  beforeAll(async () => {
    await buildImage();
    env = await startConsoleEnv();
    sm = new SageMakerClient(sdkClientConfig(env.server.url));
    runtime = new SageMakerRuntimeClient(sdkClientConfig(env.server.url));
    // A two-variant endpoint made through the API (no training, no S3) for the playground and
    // the weight sliders; all traffic starts on VariantA.
    for (const v of ['a', 'b']) {
      await sm.send(new CreateModelCommand({ ModelName: `${ab}-${v}`, PrimaryContainer: { Image: IMAGE }, ExecutionRoleArn: ROLE }));
    }
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${ab}-config`,
        ProductionVariants: [
          { VariantName: 'VariantA', ModelName: `${ab}-a`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
          { VariantName: 'VariantB', ModelName: `${ab}-b`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 0 },
        ],
      }),
    );
    await sm.send(new CreateEndpointCommand({ EndpointName: ab, EndpointConfigName: `${ab}-config` }));
  });

  afterAll(async () => {
    if (sm) {
      const eps = await sm.send(new ListEndpointsCommand({})).catch(() => ({ Endpoints: [] }));
      for (const e of eps.Endpoints ?? []) await sm.send(new DeleteEndpointCommand({ EndpointName: e.EndpointName })).catch(() => undefined);
      // Deletion stops containers in the background; wait so none outlive the test.
      await until('endpoints deleted', async () => ((await sm.send(new ListEndpointsCommand({}))).Endpoints ?? []).length === 0, 60_000).catch(() => undefined);
    }
    await env?.close();
  });

  it('shows a job from the API with live logs until Completed, then deploys it to InService', async () => {
    // Unsigned path-style PUTs, as the console itself sends them.
    expect((await fetch(`${env.server.url}/${bucket}`, { method: 'PUT', signal: AbortSignal.timeout(15_000) })).status).toBe(200);
    const put = await fetch(`${env.server.url}/${bucket}/train/data.csv`, { method: 'PUT', body: '1\n2\n3\n', headers: { 'Content-Type': 'text/csv' }, signal: AbortSignal.timeout(15_000) });
    expect(put.status).toBe(200);
    await sm.send(
      new CreateTrainingJobCommand({
        TrainingJobName: job,
        AlgorithmSpecification: {
          TrainingImage: IMAGE,
          TrainingInputMode: 'File',
          MetricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.]+)' }],
        },
        RoleArn: ROLE,
        HyperParameters: { epochs: '6', threshold: '3.0' },
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/train/` } } }],
        OutputDataConfig: { S3OutputPath: `s3://${bucket}/output/` },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 300 },
      }),
    );
    const page = await env.newPage();
    await page.goto('/_slipway/training-jobs');
    await page.getByRole('link', { name: job }).click();
    await page.waitForURL(new RegExp(`/training-jobs/${job}$`));
    await page.locator('[data-status="InProgress"]').first().waitFor({ timeout: 30_000 });
    await env.screenshot(page, '20-training-job-inprogress');
    // Live logs arrive over SSE while the job runs.
    await expect.poll(() => page.getByTestId('log-box').textContent(), { timeout: 90_000 }).toContain('epoch=2');
    // Completed without a reload: the same document, polled.
    await page.evaluate('window.__marker = 1');
    await page.locator('[data-status="Completed"]').first().waitFor({ timeout: 120_000 });
    expect(await page.evaluate('window.__marker')).toBe(1);
    await expect.poll(() => page.getByTestId('log-box').textContent()).toContain('training done');
    await page.getByRole('figure', { name: 'loss' }).waitFor({ timeout: 15_000 });
    await env.screenshot(page, '21-training-job-completed');

    // Deploy: two clicks (open the dialog, confirm).
    await page.getByRole('button', { name: 'Deploy this model' }).click();
    await page.getByLabel('Endpoint name').fill(deployed);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.waitForURL(new RegExp(`/endpoints/${deployed}$`));
    await page.locator('[data-status="InService"]').first().waitFor({ timeout: 150_000 });
    const d = await sm.send(new DescribeEndpointCommand({ EndpointName: deployed }));
    expect(d.EndpointStatus).toBe('InService');
    await env.screenshot(page, '22-endpoint-detail');
    await page.close();
  });

  it('sends a CSV file in the playground, shows predictions and a plot, and shows an error response', async () => {
    await until('endpoint InService', async () => (await sm.send(new DescribeEndpointCommand({ EndpointName: ab }))).EndpointStatus === 'InService', 150_000, 1000);
    const page = await env.newPage();
    await page.goto(`/_slipway/endpoints/${ab}/playground`);
    const csv = Array.from({ length: 40 }, (_, i) => `${i},${(i % 10 === 7 ? 5 : Math.sin(i / 3)).toFixed(3)}`).join('\n');
    await page.getByLabel('Upload a CSV or JSON file').setInputFiles({ name: 'series.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect.poll(() => page.getByLabel('Body').inputValue()).toContain('7,5.000');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('response-status').textContent(), { timeout: 30_000 }).toBe('200');
    expect(await page.getByTestId('response-body').textContent()).toContain('"anomalies"');
    expect(await page.getByTestId('response-variant').textContent()).toBe('VariantA');
    await page.getByRole('figure', { name: 'Input and model output' }).locator('canvas').first().waitFor();
    await page.getByRole('figure', { name: 'Input and model output' }).scrollIntoViewIfNeeded();
    await env.screenshot(page, '23-playground-plot');

    await page.getByLabel('Body').fill('not,a,number\nabc');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('response-status').textContent(), { timeout: 30_000 }).not.toBe('200');
    const status = Number(await page.getByTestId('response-status').textContent());
    expect(status).toBeGreaterThanOrEqual(400);
    expect(await page.getByTestId('response-error').textContent()).toContain('expected numbers');
    await env.screenshot(page, '24-playground-error');
    await page.close();
  });

  it('moves traffic between variants with the weight sliders', async () => {
    const ep = ab;
    const page = await env.newPage();
    await page.goto(`/_slipway/endpoints/${ep}`);
    await page.locator('[data-status="InService"]').first().waitFor({ timeout: 150_000 });

    const invokeVariants = async (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const r = await runtime.send(new InvokeEndpointCommand({ EndpointName: ep, ContentType: 'text/csv', Body: new TextEncoder().encode('1\n') }));
        const v = r.InvokedProductionVariant ?? '?';
        seen[v] = (seen[v] ?? 0) + 1;
      }
      return seen;
    };
    expect(await invokeVariants(10)).toEqual({ VariantA: 10 });

    await page.getByRole('slider', { name: 'VariantA' }).fill('0');
    await page.getByRole('slider', { name: 'VariantB' }).fill('1');
    await page.getByText('1.00 · 100%').waitFor();
    await env.screenshot(page, '25-endpoint-weights');
    await page.getByRole('button', { name: 'Apply weights' }).click();
    await until(
      'weights applied',
      async () => {
        const d = await sm.send(new DescribeEndpointCommand({ EndpointName: ep }));
        const w = Object.fromEntries((d.ProductionVariants ?? []).map((v) => [v.VariantName, v.CurrentWeight]));
        return d.EndpointStatus === 'InService' && w.VariantA === 0 && w.VariantB === 1;
      },
      60_000,
    );
    expect(await invokeVariants(10)).toEqual({ VariantB: 10 });
    // The live charts read /_slipway/metrics; after invocations they have points.
    await page.getByRole('figure', { name: 'Invocations per second' }).waitFor({ timeout: 20_000 });
    await page.getByRole('figure', { name: 'Invocations per second' }).scrollIntoViewIfNeeded();
    await env.screenshot(page, '26-endpoint-charts');
    await page.close();
  });

  it('compares production and shadow side by side for an endpoint with a shadow variant', async () => {
    const ep = `${ab}-shadow`;
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${ep}-config`,
        ProductionVariants: [{ VariantName: 'Live', ModelName: `${ab}-a`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
        ShadowProductionVariants: [{ VariantName: 'Candidate', ModelName: `${ab}-b`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
      }),
    );
    await sm.send(new CreateEndpointCommand({ EndpointName: ep, EndpointConfigName: `${ep}-config` }));
    await until('shadow endpoint InService', async () => (await sm.send(new DescribeEndpointCommand({ EndpointName: ep }))).EndpointStatus === 'InService', 150_000, 1000);
    for (let i = 0; i < 5; i++) {
      const r = await runtime.send(new InvokeEndpointCommand({ EndpointName: ep, ContentType: 'text/csv', Body: new TextEncoder().encode('1\n') }));
      expect(r.InvokedProductionVariant).toBe('Live');
    }
    const page = await env.newPage();
    await page.goto(`/_slipway/endpoints/${ep}`);
    const table = page.getByRole('table', { name: 'Shadow comparison' });
    await table.waitFor({ timeout: 30_000 });
    await expect.poll(() => table.locator('tr', { hasText: 'Requests' }).textContent(), { timeout: 20_000 }).toBe('Requests55');
    await expect(page.getByRole('table', { name: 'Shadow variants' }).textContent()).resolves.toContain('Candidate');
    await table.scrollIntoViewIfNeeded();
    await env.screenshot(page, '27-endpoint-shadow');
    await page.close();
  });

  it('logged no browser console errors', () => {
    expect(env.errors).toEqual([]);
  });
});


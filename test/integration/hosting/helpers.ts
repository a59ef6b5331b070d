/** @module test/integration/hosting/helpers — fixtures and small wrappers shared by the hosting suites. */
import { until } from '../../helpers/poll.js';
import { runPython } from '../../helpers/python.js';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ListEndpointsCommand,
  SageMakerClient,
  type ProductionVariant,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, testRuntimeOf, type TestServer } from '../../helpers/server.js';
import { clients } from '../../helpers/clients.js';
import { buildTestImage } from '../../fixtures/images/build.js';

const execFileAsync = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

export const MODEL_SERVER_IMAGE = 'slipway-test/hosting-model:latest';
/** Builds test/integration/hosting/fixtures/<dir> as `tag` once per process. */
export const buildImage = (dir: string, tag: string): Promise<string> => buildTestImage(join(HERE, 'fixtures', dir), tag);

export const buildModelServer = () => buildImage('model-server', MODEL_SERVER_IMAGE);

export { clients };

export const rnd = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

export interface ModelSpec {
  image?: string;
  env?: Record<string, string>;
  modelDataUrl?: string;
}

export async function createModel(sm: SageMakerClient, name: string, spec: ModelSpec = {}): Promise<void> {
  await sm.send(
    new CreateModelCommand({
      ModelName: name,
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/slipway',
      PrimaryContainer: {
        Image: spec.image ?? MODEL_SERVER_IMAGE,
        ...(spec.env ? { Environment: spec.env } : {}),
        ...(spec.modelDataUrl ? { ModelDataUrl: spec.modelDataUrl } : {}),
      },
    }),
  );
}

export async function createConfig(sm: SageMakerClient, name: string, variants: ProductionVariant[]): Promise<void> {
  await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: variants }));
}

export const variant = (name: string, model: string, count = 1, weight = 1, extra: Partial<ProductionVariant> = {}): ProductionVariant => ({
  VariantName: name,
  ModelName: model,
  InitialInstanceCount: count,
  InstanceType: 'ml.t2.medium',
  InitialVariantWeight: weight,
  ...extra,
});

/** Model + config + endpoint, one variant `AllTraffic`; resolves when InService (throws on Failed). */
export async function deploySimple(sm: SageMakerClient, spec: ModelSpec & { count?: number } = {}): Promise<{ endpoint: string; model: string; config: string }> {
  const model = rnd('m');
  const config = rnd('c');
  const endpoint = rnd('e');
  await createModel(sm, model, spec);
  await createConfig(sm, config, [variant('AllTraffic', model, spec.count ?? 1)]);
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(sm, endpoint, ['InService']);
  return { endpoint, model, config };
}

export interface HostingSuite {
  server: TestServer;
  c: ReturnType<typeof clients>;
  /** The endpoint `useHostingServer(spec)` deployed (unset without a spec). */
  endpoint: string;
}

/**
 * One server for the calling test file with the model-server image built (beforeAll) and, given
 * `spec`, one InService endpoint from deploySimple; afterAll deletes every endpoint, waits for
 * the containers to go and removes the server. Read the fields inside tests or hooks.
 */
export function useHostingServer(spec?: ModelSpec & { count?: number }): HostingSuite {
  const s = {} as HostingSuite;
  beforeAll(async () => {
    await buildModelServer();
    s.server = await startTestServer();
    s.c = clients(s.server.url);
    if (spec) s.endpoint = (await deploySimple(s.c.sm, spec)).endpoint;
  });
  afterAll(async () => {
    if (!s.server) return;
    await deleteAllEndpoints(s.c.sm, s.server.home);
    await s.server.cleanup();
  });
  return s;
}

/** Polls DescribeEndpoint until the status is one of `want`; throws on an unexpected Failed. */
export async function waitForStatus(sm: SageMakerClient, endpoint: string, want: string[], timeoutMs = 120_000) {
  let status: string | undefined;
  return until(
    `endpoint ${endpoint} to be ${want.join(' or ')}`,
    async () => {
      const d = await sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
      status = d.EndpointStatus;
      if (want.includes(d.EndpointStatus!)) return d;
      if (d.EndpointStatus === 'Failed') throw new Error(`endpoint ${endpoint} failed: ${d.FailureReason}`);
      return undefined;
    },
    { timeoutMs, lastSeen: () => `still ${status}` },
  );
}

/** Deletes every endpoint of the server and waits until they and their containers are gone. */
export async function deleteAllEndpoints(sm: SageMakerClient, home: string): Promise<void> {
  const list = await sm.send(new ListEndpointsCommand({ MaxResults: 100 }));
  for (const e of list.Endpoints ?? []) {
    await sm.send(new DeleteEndpointCommand({ EndpointName: e.EndpointName })).catch(() => undefined);
  }
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const left = await containersOf(home);
    const eps = await sm.send(new ListEndpointsCommand({ MaxResults: 100 }));
    if (left.length === 0 && (eps.Endpoints ?? []).length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('endpoints or containers left behind');
}

/** Ids of the endpoint containers a server (by home) owns, optionally of one endpoint. */
export async function containersOf(home: string, endpoint?: string): Promise<string[]> {
  const labels: Record<string, string> = { 'slipway.home': home, 'slipway.kind': 'endpoint', ...(endpoint ? { 'slipway.name': endpoint } : {}) };
  return (await (await testRuntimeOf()).listContainers(labels, { all: true })).map((c) => c.id);
}

/** Runs a python3 script (boto3) against the server; resolves with stdout, rejects with stderr. */
export function python(url: string, script: string, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<string> {
  return runPython(url, script, { env, timeoutMs });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

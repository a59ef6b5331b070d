/**
 * @module test/helpers/moto — a foreign S3 store for `SLIPWAY_OBJECT_STORE_URL` tests: moto in
 * server mode (PyPI `moto[server]`, pinned in test/requirements.txt, installed into .venv by
 * scripts/setup-test-clients) on a free loopback port, stopped by the test that started it (and
 * killed on process exit, however the test ended).
 *
 * `SLIPWAY_TEST_OBJECT_STORE=moto` makes every `startTestServer` keep its objects in a moto of its
 * own: the vitest project `foreign-objects` runs the S3 suites a second time that way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, S3Client, type _Object } from '@aws-sdk/client-s3';
import type { ObjectStoreSettings } from '../../src/platform/object-store-settings.js';
import { until } from './poll.js';
import { freePort } from './free-port.js';

export const MOTO_KEYS = { accessKeyId: 'moto-key', secretAccessKey: 'moto-secret' };

export interface MotoServer {
  url: string;
  port: number;
  /** A client of moto itself (not of Slipway), to look at what Slipway stored there. */
  s3: S3Client;
  /** Makes a bucket in moto and returns Slipway's settings for `s3://bucket/prefix` in it. */
  store(prefix?: string): Promise<ObjectStoreSettings & { kind: 's3' }>;
  /** Every object under `prefix` in `bucket`, as moto lists it. */
  list(bucket: string, prefix?: string): Promise<_Object[]>;
  /** SIGKILL: the store disappears mid-request. */
  kill(): Promise<void>;
  /** Starts moto again on the same port (empty: moto keeps nothing across a restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** True when the suites should run with their objects in moto (the `foreign-objects` project). */
export function foreignObjectsSelected(): boolean {
  return process.env.SLIPWAY_TEST_OBJECT_STORE === 'moto';
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function spawnMoto(port: number): ChildProcess {
  const bin = process.env.SLIPWAY_MOTO_SERVER ?? 'moto_server';
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  child.once('error', (e) => {
    err += `\n${String(e)} (install moto[server] with scripts/setup-test-clients)`;
  });
  (child as ChildProcess & { errText: () => string }).errText = () => err;
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function waitReady(child: ChildProcess, url: string): Promise<void> {
  await until(
    `moto_server at ${url}`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`moto_server exited: ${(child as ChildProcess & { errText: () => string }).errText()}`);
      }
      const res = await fetch(`${url}/moto-api/`).catch(() => undefined);
      return res?.ok;
    },
    { timeoutMs: 30_000, everyMs: 100 },
  );
}

async function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child = spawnMoto(port);
  await waitReady(child, url);
  const s3 = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: MOTO_KEYS, maxAttempts: 1 });
  return {
    url,
    port,
    s3,
    async store(prefix = 'slipway/objects') {
      const bucket = `foreign-${randomBytes(5).toString('hex')}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return {
        kind: 's3',
        url: `s3://${bucket}/${prefix}`,
        bucket,
        prefix: prefix ? `${prefix.replace(/\/+$/, '')}/` : '',
        region: 'us-east-1',
        endpoint: url,
        forcePathStyle: true,
        credentials: MOTO_KEYS,
        connectTimeoutMs: 2000,
        requestTimeoutMs: 10_000,
      };
    },
    async list(bucket, prefix = '') {
      const out: _Object[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
        out.push(...(page.Contents ?? []));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    kill: () => ended(child, 'SIGKILL'),
    async restart() {
      await ended(child, 'SIGKILL');
      child = spawnMoto(port);
      await waitReady(child, url);
    },
    async stop() {
      s3.destroy();
      await ended(child, 'SIGTERM');
    },
  };
}

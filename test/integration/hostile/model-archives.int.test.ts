/**
 * Hostile model archives (issue #12 item 2 and its hostile-archive suite) against a server in its
 * own process, uploaded through S3 and deployed through the SageMaker API: each one ends the
 * endpoint Failed with a reason a person can act on, nothing lands outside the model cache or
 * stays half-extracted, and /_slipway/health and DescribeEndpoint answer within 200 ms
 * throughout (polled every 50 ms while the server works on the archive).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, DescribeEndpointCommand, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { removeContainersOf, sdkClientConfig } from '../../helpers/server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { buildModelServer, clients, createConfig, createModel, deleteAllEndpoints, rnd, sleep, variant, waitForStatus } from '../hosting/helpers.js';
import { archive, describeEndpointProbe, expectResponsive, healthProbe, startControlServer, watchResponsiveness, zeroBomb, type ArchiveEntry, type ArchiveOptions, type WatchResult } from './helpers.js';

const MAX_ENTRIES = 1000;
let home: string;
let canary: string;
let proc: ServerProcess;
let c: ReturnType<typeof clients>;
let s3: S3Client;
let control: Awaited<ReturnType<typeof startControlServer>>;
const bucket = 'hostile-models';

beforeAll(async () => {
  await buildModelServer();
  control = await startControlServer();
  home = mkdtempSync(join(tmpdir(), 'slipway-hostile-'));
  canary = mkdtempSync(join(tmpdir(), 'slipway-canary-'));
  proc = await startServerProcess(home, undefined, { SLIPWAY_MODEL_DATA_MAX_ENTRIES: String(MAX_ENTRIES) });
  c = clients(proc.url);
  s3 = new S3Client({ ...sdkClientConfig(proc.url), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  if (proc) {
    // A server stuck on an archive (the bug this suite is about) answers nothing and ignores SIGTERM.
    await Promise.race([deleteAllEndpoints(c.sm, home).catch(() => undefined), sleep(30_000)]);
    await Promise.race([proc.stop(), sleep(15_000).then(() => proc.kill9())]);
  }
  if (home) {
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  }
  if (canary) rmSync(canary, { recursive: true, force: true });
  await control?.stop();
});

/** Uploads `body` as a model.tar.gz, deploys it and waits for the endpoint to leave Creating while probing the server. */
async function deploy(body: Buffer): Promise<{ url: string; d: DescribeEndpointCommandOutput; watched: WatchResult }> {
  const url = `s3://${bucket}/${rnd('art')}/model.tar.gz`;
  const [, key] = /^s3:\/\/[^/]+\/(.*)$/.exec(url)!;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const m = rnd('m');
  const cfg = rnd('c');
  const endpoint = rnd('e');
  await createModel(c.sm, m, { modelDataUrl: url, env: { FIXTURE_QUIET: '1' } });
  await createConfig(c.sm, cfg, [variant('AllTraffic', m, 1)]);
  const watch = watchResponsiveness({ health: healthProbe(proc.url), describe: describeEndpointProbe(proc.url, endpoint) }, { control: control.probe });
  await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg }));
  const deadline = Date.now() + 90_000;
  let d: DescribeEndpointCommandOutput;
  for (;;) {
    // A stalled server fails the test here within seconds instead of at the suite's timeout.
    d = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }), { abortSignal: AbortSignal.timeout(10_000) });
    if (d.EndpointStatus !== 'Creating' || Date.now() > deadline) break;
    await sleep(100);
  }
  return { url, d, watched: await watch.stop() };
}

function expectNothingLeft(): void {
  const cache = join(home, 'model-cache');
  const names = existsSync(cache) ? readdirSync(cache) : [];
  expect(names.filter((n) => n.startsWith('.tmp'))).toEqual([]);
  expect(readdirSync(canary)).toEqual([]);
  for (const stray of ['x', 'pwned', 'etc', 'h']) expect(existsSync(join(home, stray))).toBe(false);
  const attempts = join(home, 'attempts');
  expect(existsSync(attempts) ? readdirSync(attempts) : []).toEqual([]);
}

describe('hostile model archives', () => {
  it('the 203 KB gzip of 200 MiB of zeros fails the endpoint with a reason naming the limit, the server answering within 200 ms throughout', async () => {
    const bomb = await zeroBomb();
    expect(bomb.length).toBeLessThan(210_000);
    const r = await deploy(bomb);
    expect(r.d.EndpointStatus).toBe('Failed');
    expect(r.d.FailureReason).toBe(`Model data ${r.url} was rejected: more than 1048576 bytes follow the tar end-of-archive marker (the limit); model data must be one tar.gz archive.`);
    expectResponsive(r.watched);
    expectNothingLeft();
  });

  const cases: [string, ArchiveEntry[], ArchiveOptions, RegExp][] = [
    ['a "../" traversal', [{ name: 'ok.txt', data: 'ok' }, { name: '../x', data: 'pwned' }], {}, /entry "\.\.\/x" escapes the model directory \(".."\)\.$/],
    ['an absolute path into the canary directory', [{ name: '@CANARY@/abs.txt', data: 'pwned' }], {}, /has an absolute path\.$/],
    ['a symbolic link out, then a file through it', [{ name: 'etc', symlinkTo: '@CANARY@' }, { name: 'etc/pwned', data: 'x' }], {}, /entry "etc" is a symbolic link to ".*", outside the model directory\.$/],
    ['a relative symbolic link climbing out', [{ name: 'a/up', symlinkTo: '../../..' }], {}, /symbolic link to "\.\.\/\.\.\/\.\.", outside the model directory/],
    ['a symbolic link climbing out through another link', [{ name: 'a', symlinkTo: '.' }, { name: 'b', symlinkTo: 'a/../x' }], {}, /has "\.\." after a name/],
    ['a hard link to a host file', [{ name: 'h', hardlinkTo: '/etc/passwd' }], {}, /entry "h" is a hard link to "\/etc\/passwd", outside the model directory\.$/],
    ['a hard link climbing out', [{ name: 'h', hardlinkTo: '../../slipway.db' }], {}, /is a hard link to "\.\.\/\.\.\/slipway\.db"/],
    ['a character device', [{ name: 'null', type: 'chr' }], {}, /entry "null" is a CharacterDevice, which model data may not contain\.$/],
    ['a block device', [{ name: 'sda', type: 'blk' }], {}, /is a BlockDevice/],
    ['a FIFO', [{ name: 'pipe', type: 'fifo' }], {}, /is a FIFO/],
    ['an entry declaring 50 GiB', [{ name: 'huge.bin', declaredSize: 50 * 1024 ** 3 }], {}, /its files add up to more than 21474836480 bytes, the limit \(SLIPWAY_MODEL_DATA_MAX_BYTES\)\.$/],
    ['many tiny entries', [], { manyEmpty: 5 * MAX_ENTRIES }, new RegExp(`the archive has more than ${MAX_ENTRIES} entries \\(SLIPWAY_MODEL_DATA_MAX_ENTRIES\\)\\.$`)],
    ['a tar.gz gzipped again', [{ name: 'model.json', data: '{}' }], { gzipTwice: true }, /compressed again/],
  ];

  it.each(cases)('%s fails the endpoint with a readable reason and writes nothing outside', async (_what, entries, opts, reason) => {
    const withCanary = entries.map((e) => ({
      ...e,
      name: e.name.replace('@CANARY@', canary),
      ...(e.symlinkTo ? { symlinkTo: e.symlinkTo.replace('@CANARY@', canary) } : {}),
    }));
    const r = await deploy(await archive(withCanary, opts));
    expect(r.d.EndpointStatus).toBe('Failed');
    expect(r.d.FailureReason).toMatch(/^Model data s3:\/\/hostile-models\/.* was rejected: /);
    expect(r.d.FailureReason).toMatch(reason);
    expectResponsive(r.watched);
    expectNothingLeft();
  });

  it('still deploys a good archive afterwards', async () => {
    const m = rnd('m');
    const cfg = rnd('c');
    const endpoint = rnd('good');
    const key = `${rnd('good')}/model.tar.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await archive([{ name: 'model.json', data: '{"w": 1}' }]) }));
    await createModel(c.sm, m, { modelDataUrl: `s3://${bucket}/${key}`, env: { FIXTURE_QUIET: '1' } });
    await createConfig(c.sm, cfg, [variant('AllTraffic', m, 1)]);
    await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg }));
    await waitForStatus(c.sm, endpoint, ['InService']);
  });
});

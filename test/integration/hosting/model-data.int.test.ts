/**
 * Hosting acceptance 8 and model data handling: model.tar.gz from the embedded S3 store is
 * extracted once into the model cache and mounted read-only at /opt/ml/model; malicious archives
 * (`../x`, a link to /etc) fail the endpoint with a clear reason and write nothing outside the cache.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { sdkClientConfig } from '../../helpers/server.js';
import { containersOf, createConfig, createModel, python, rnd, sleep, useHostingServer, variant } from './helpers.js';
import { mountsOf } from '../../helpers/cluster/test-cluster.js';

const execFileAsync = promisify(execFile);
const h = useHostingServer();
let s3: S3Client;
const bucket = 'hosting-models';

/** Builds a tar.gz with python's tarfile (which happily writes what a hostile archive contains). */
async function tarball(entries: { name: string; data?: string; symlinkTo?: string }[]): Promise<Buffer> {
  const { stdout } = await execFileAsync(
    'python3',
    [
      '-c',
      `
import io, json, sys, tarfile, base64
entries = json.loads(sys.argv[1])
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w:gz') as t:
    for e in entries:
        ti = tarfile.TarInfo(e['name'])
        if e.get('symlinkTo'):
            ti.type = tarfile.SYMTYPE; ti.linkname = e['symlinkTo']; t.addfile(ti)
        else:
            data = e.get('data', '').encode(); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
sys.stdout.write(base64.b64encode(buf.getvalue()).decode())
`,
      JSON.stringify(entries),
    ],
  );
  return Buffer.from(stdout, 'base64');
}

async function upload(key: string, body: Buffer): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return `s3://${bucket}/${key}`;
}

async function waitTerminal(endpoint: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const d = await h.c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    if (d.EndpointStatus !== 'Creating') return d;
    if (Date.now() > deadline) throw new Error('still Creating');
    await sleep(250);
  }
}

async function deploy(modelDataUrl: string) {
  const m = rnd('m');
  const cfg = rnd('c');
  const endpoint = rnd('e');
  await createModel(h.c.sm, m, { modelDataUrl, env: { FIXTURE_QUIET: '1' } });
  await createConfig(h.c.sm, cfg, [variant('AllTraffic', m, 1)]);
  await h.c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: cfg }));
  return endpoint;
}

beforeAll(async () => {
  s3 = new S3Client({ ...sdkClientConfig(h.server.url), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

describe('model data', () => {
  it('extracts model.tar.gz from S3 once and mounts it read-only at /opt/ml/model', async () => {
    const url = await upload('good/model.tar.gz', await tarball([{ name: 'model.json', data: '{"w": 42}' }, { name: 'sub/notes.txt', data: 'hi' }]));
    const e1 = await deploy(url);
    const e2 = await deploy(url);
    for (const e of [e1, e2]) expect((await waitTerminal(e)).EndpointStatus).toBe('InService');
    const r = await h.c.rt.send(new InvokeEndpointCommand({ EndpointName: e1, Body: Buffer.from('{}'), ContentType: 'application/json' }));
    expect(JSON.parse(Buffer.from(r.Body!).toString()).model).toEqual({ 'model.json': '{"w": 42}', 'sub/notes.txt': 'hi' });
    // One cache directory for the one artifact, shared by both endpoints.
    const cache = join(h.server.home, 'model-cache');
    expect(readdirSync(cache).filter((d) => d !== 'empty')).toHaveLength(1);
    const [id] = await containersOf(h.server.home, e1);
    expect((await mountsOf(id!)).find((m) => m.destination === '/opt/ml/model')).toMatchObject({ readOnly: true });
  });

  it('fails the endpoint for an archive entry "../x" and writes nothing outside the cache (boto3 waiter sees Failed)', async () => {
    const url = await upload('evil/dotdot.tar.gz', await tarball([{ name: 'ok.txt', data: 'fine' }, { name: '../x', data: 'pwned' }]));
    const endpoint = await deploy(url);
    const out = await python(
      h.server.url,
      `
import boto3, botocore, json
sm = boto3.client('sagemaker')
try:
    sm.get_waiter('endpoint_in_service').wait(EndpointName='${endpoint}', WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
    print(json.dumps({"waiter": "success"}))
except botocore.exceptions.WaiterError as e:
    print(json.dumps({"waiter": "failed", "reason": sm.describe_endpoint(EndpointName='${endpoint}')["FailureReason"]}))
`,
    );
    const r = JSON.parse(out);
    expect(r.waiter).toBe('failed');
    expect(r.reason).toBe(`Model data ${url} was rejected: entry "../x" escapes the model directory ("..").`);
    expect(existsSync(join(h.server.home, 'x'))).toBe(false);
    expect(existsSync(join(h.server.home, 'model-cache', 'x'))).toBe(false);
    expect(readdirSync(join(h.server.home, 'model-cache')).filter((d) => d.startsWith('.tmp'))).toHaveLength(0);
    expect(await containersOf(h.server.home, endpoint)).toHaveLength(0);
  });

  it('fails the endpoint for a symbolic link to /etc', async () => {
    const url = await upload('evil/link.tar.gz', await tarball([{ name: 'etc', symlinkTo: '/etc' }, { name: 'etc/passwd-copy', data: 'x' }]));
    const endpoint = await deploy(url);
    const d = await waitTerminal(endpoint);
    expect(d.EndpointStatus).toBe('Failed');
    expect(d.FailureReason).toBe(`Model data ${url} was rejected: entry "etc" is a symbolic link to "/etc", outside the model directory.`);
    expect(existsSync('/etc/passwd-copy')).toBe(false);
    expect(readdirSync(join(h.server.home, 'model-cache')).filter((d) => d.startsWith('.tmp'))).toHaveLength(0);
  });

  it('fails the endpoint when the model data does not exist', async () => {
    const endpoint = await deploy(`s3://${bucket}/missing/model.tar.gz`);
    const d = await waitTerminal(endpoint);
    expect(d.EndpointStatus).toBe('Failed');
    expect(d.FailureReason).toBe(`Could not find model data at s3://${bucket}/missing/model.tar.gz.`);
  });
});

/**
 * A Slipway process killed with SIGKILL during a batch transform (issue 5): after a restart on
 * the same home an InProgress job runs again and completes with every output, the first run's
 * container removed; a job killed while Stopping ends Stopped with no `.out` kept. No job is
 * left InProgress. Needs `npm run build:server` (the server runs from dist/).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/runtime/container-runtime.js';
import { testRuntimeOf } from '../../helpers/server.js';
import { useServerProcesses, type ServerProcess } from '../../helpers/server-process.js';
import { boto3, buildImageFrom, waitAndDescribe } from '../processing/helpers.js';
import { uniq } from '../training/helpers.js';

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
let echo: string;
let home: string;
let proc: ServerProcess;
const servers = useServerProcesses();

beforeAll(async () => {
  echo = await buildImageFrom(join(import.meta.dirname, 'fixtures/echo'), 'transform-echo');
}, 180_000);

/** Three objects of 8 lines through a slow echo model, one record per request. */
function create(name: string, bucket: string, env: Record<string, string>): string {
  return `
s3.create_bucket(Bucket='${bucket}')
sm.create_model(ModelName='${name}-model', ExecutionRoleArn='${ROLE}', PrimaryContainer={'Image': '${echo}', 'Environment': ${JSON.stringify(env)}})
s3.put_object(Bucket='${bucket}', Key='in/a.csv', Body=b'1\\n')
for k in ('b', 'c'):
    s3.put_object(Bucket='${bucket}', Key='in/' + k + '.csv', Body=''.join(f'{k}{i}\\n' for i in range(8)).encode())
sm.create_transform_job(TransformJobName='${name}', ModelName='${name}-model', MaxConcurrentTransforms=1, BatchStrategy='SingleRecord',
    TransformInput={'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://${bucket}/in/'}}, 'ContentType': 'text/csv', 'SplitType': 'Line'},
    TransformOutput={'S3OutputPath': 's3://${bucket}/out/', 'AssembleWith': 'Line'},
    TransformResources={'InstanceType': 'ml.m5.large', 'InstanceCount': 1})
ok = False
deadline = time.time() + 90
while time.time() < deadline and not ok:
    ok = any(o['Key'] == 'out/a.csv.out' for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='out/').get('Contents', []))
    time.sleep(0.2)
print(json.dumps({'ok': ok}))
`;
}

const outKeys = (bucket: string) => `sorted(o['Key'] for o in s3.list_objects_v2(Bucket='${bucket}', Prefix='out/').get('Contents', []))`;

async function containers(name: string): Promise<string[]> {
  return (await (await testRuntimeOf()).listContainers({ [LABELS.name]: name, [LABELS.home]: home }, { all: true })).map((c) => c.id);
}

describe('batch transform across a server crash', () => {
  it('runs an InProgress job again after kill -9 and completes it with every output', async () => {
    home = servers.newHome();
    proc = await servers.start();
    const bucket = uniq('trst');
    const name = uniq('t-restart');
    const started = await boto3<{ ok: boolean }>(proc.url, create(name, bucket, { ECHO_SLEEP: '0.4' }));
    expect(started.ok, 'the first object was transformed before the crash').toBe(true);
    const first = await containers(name);
    expect(first).toHaveLength(1);
    await proc.kill9();
    proc = await servers.start();
    const out = await boto3<{ status: string; reason?: string; keys: string[]; bodies: Record<string, string> }>(
      proc.url,
      waitAndDescribe('Transform', name, 120) +
        `
keys = ${outKeys(bucket)}
bodies = {k: s3.get_object(Bucket='${bucket}', Key=k)['Body'].read().decode() for k in keys}
print(json.dumps({'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'keys': keys, 'bodies': bodies}))
`,
    );
    expect(out.status, `${out.reason}\n${proc.output()}`).toBe('Completed');
    expect(out.keys).toEqual(['out/a.csv.out', 'out/b.csv.out', 'out/c.csv.out']);
    expect(out.bodies['out/a.csv.out']).toBe('1\n');
    for (const k of ['b', 'c']) expect(out.bodies[`out/${k}.csv.out`]).toBe(Array.from({ length: 8 }, (_, i) => `${k}${i}\n`).join(''));
    // The crashed run's container was removed on resume; the second run removed its own.
    expect(await (await testRuntimeOf()).inspectContainer(first[0]!)).toBeUndefined();
    expect(await containers(name)).toEqual([]);
  });

  it('ends a job killed while Stopping as Stopped, keeping no .out objects', async () => {
    home = servers.newHome();
    proc = await servers.start();
    const bucket = uniq('tstc');
    const name = uniq('t-stopcrash');
    // The model ignores SIGTERM, so the stop waits out its grace period: the crash lands in it.
    const started = await boto3<{ ok: boolean }>(proc.url, create(name, bucket, { ECHO_SLEEP: '0.4', ECHO_IGNORE_TERM: '1' }));
    expect(started.ok).toBe(true);
    const mid = await boto3<{ status: string; keys: string[] }>(
      proc.url,
      `
sm.stop_transform_job(TransformJobName='${name}')
time.sleep(1)
print(json.dumps({'status': sm.describe_transform_job(TransformJobName='${name}')['TransformJobStatus'], 'keys': ${outKeys(bucket)}}))
`,
    );
    expect(mid.status).toBe('Stopping');
    await proc.kill9();
    proc = await servers.start();
    const out = await boto3<{ status: string; reason?: string; keys: string[] }>(
      proc.url,
      waitAndDescribe('Transform', name, 60) +
        `
print(json.dumps({'status': d['TransformJobStatus'], 'reason': d.get('FailureReason'), 'keys': ${outKeys(bucket)}}))
`,
    );
    expect(out.status, out.reason).toBe('Stopped');
    expect(out.keys).toEqual([]);
    expect(await containers(name)).toEqual([]);
  });
});

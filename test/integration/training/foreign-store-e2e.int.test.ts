/**
 * A training job and an endpoint end to end with object bytes in a foreign S3 store
 * (SLIPWAY_OBJECT_STORE_URL, moto in server mode): inputs are staged by streamed copies (blobs
 * are not local files to hard-link), model.tar.gz goes to the foreign store, and the endpoint's
 * model data is downloaded from it.
 */
import { CreateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, createConfig, createModel, deleteAllEndpoints, MODEL_SERVER_IMAGE, variant, waitForStatus } from '../hosting/helpers.js';
import { clients, createJob, getBytes, makeBucket, putText, shellJob, uniq, untar, waitFor } from './helpers.js';

let srv: TestServer;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  await buildModelServer();
  srv = await startTestServer({ objectStore: 'moto' });
  c = clients(srv.url);
});
afterAll(async () => {
  if (!srv) return;
  await deleteAllEndpoints(c.sm, srv.home).catch(() => undefined);
  await srv.cleanup();
});

const md5 = (b: Buffer | Uint8Array) => createHash('md5').update(b).digest('hex');

it('trains from inputs in the foreign store, writes model.tar.gz there, and serves it from an endpoint', async () => {
  const bucket = await makeBucket(c.s3);
  const big = randomBytes(9 * 1024 * 1024); // more than one foreign upload part
  await putText(c.s3, bucket, 'in/a.csv', '1,2,3\n');
  await putText(c.s3, bucket, 'in/sub/big.bin', big);

  // The container reports each staged file's link count: 1 means a copy, not a link to a blob.
  const job = uniq('foreign');
  await createJob(
    c.sm,
    shellJob(
      job,
      MODEL_SERVER_IMAGE,
      bucket,
      [
        'set -e',
        'd=/opt/ml/input/data/train',
        'cp $d/a.csv /opt/ml/model/model.csv',
        'md5sum $d/sub/big.bin | cut -d" " -f1 > /opt/ml/model/big.md5',
        'echo $(stat -c %h $d/a.csv $d/sub/big.bin) > /opt/ml/model/links.txt',
      ].join('; '),
      { InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/in/` } } }] },
    ),
  );
  const d = await waitFor(c.sm, job, { timeoutMs: 150_000 });
  expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
  const modelUri = d.ModelArtifacts!.S3ModelArtifacts!;
  expect(modelUri).toBe(`s3://${bucket}/output/${job}/output/model.tar.gz`);
  const files = await untar(await getBytes(c.s3, bucket, `output/${job}/output/model.tar.gz`));
  expect(files['model.csv']?.toString()).toBe('1,2,3\n');
  expect(files['big.md5']?.toString().trim()).toBe(md5(big));
  expect(files['links.txt']?.toString().trim()).toBe('1 1');

  // model.tar.gz is a blob in moto (read there directly), and the data directory holds none.
  const { moto, settings } = srv.foreign!;
  const stored = await moto.list(settings.bucket, settings.prefix);
  const tarball = await getBytes(c.s3, bucket, `output/${job}/output/model.tar.gz`);
  const inMoto = await Promise.all(
    stored.map(async (o) => md5(await (await moto.s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: o.Key }))).Body!.transformToByteArray())),
  );
  expect(inMoto).toContain(md5(tarball));
  expect(inMoto).toContain(md5(big));
  expect(existsSync(join(srv.home, 'objects', 'blobs'))).toBe(false);

  // The endpoint's model data comes from the foreign store (downloaded, not linked).
  const model = uniq('m');
  const config = uniq('c');
  const endpoint = uniq('e');
  await createModel(c.sm, model, { modelDataUrl: modelUri });
  await createConfig(c.sm, config, [variant('AllTraffic', model)]);
  await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(c.sm, endpoint, ['InService'], 150_000);
  const out = await c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('{}'), ContentType: 'application/json' }));
  const answer = JSON.parse(Buffer.from(out.Body!).toString()) as { model: Record<string, string> };
  expect(answer.model['model.csv']).toBe('1,2,3\n');
  expect(answer.model['links.txt']).toBe('1 1\n');
});

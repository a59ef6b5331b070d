/**
 * @module cli/upload — local folders into the embedded S3 store (lib-storage multipart Upload),
 * with one progress display per folder: files done and bytes sent.
 */
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { call, isCode, toCliError, type Clients } from './clients.js';
import { formatBytes, type Output } from './context.js';
import { listFiles } from './local/local-runner.js';
import { guessContentType } from './local/opt-ml.js';

export const DEFAULT_BUCKET = 'slipway-default';

export async function ensureBucket(clients: Clients, bucket: string): Promise<void> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    if (!isCode(err, 'NotFound', 'NoSuchBucket') && (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) {
      throw toCliError(err, clients.url);
    }
  }
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isCode(err, 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists')) throw toCliError(err, clients.url);
  }
}

export async function uploadFolder(
  clients: Clients,
  out: Output,
  o: { dir: string; bucket: string; prefix: string; label: string },
): Promise<{ files: number; bytes: number }> {
  const files = listFiles(o.dir);
  const sizes = files.map((f) => statSync(join(o.dir, f)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const done = new Array<number>(files.length).fill(0);
  let filesDone = 0;
  const target = `s3://${o.bucket}/${o.prefix}/`;
  const task = out.task(`uploading ${o.label}: ${files.length} file(s), ${formatBytes(total)} → ${target}`);
  const render = () => {
    const sent = done.reduce((a, b) => a + b, 0);
    const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
    task.update(`uploading ${o.label}: ${bar(pct)} ${pct}% ${filesDone}/${files.length} files, ${formatBytes(sent)} / ${formatBytes(total)}`);
  };
  try {
    // A few files at a time: enough to fill the pipe, few enough to keep memory flat.
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        const rel = files[i]!;
        const up = new Upload({
          client: clients.s3,
          params: {
            Bucket: o.bucket,
            Key: `${o.prefix}/${rel.split('\\').join('/')}`,
            Body: createReadStream(join(o.dir, rel)),
            ContentType: guessContentType(rel) ?? 'application/octet-stream',
          },
          queueSize: 2,
          partSize: 8 * 1024 * 1024,
        });
        up.on('httpUploadProgress', (p) => {
          done[i] = p.loaded ?? done[i]!;
          render();
        });
        await call(clients.url, () => up.done());
        done[i] = sizes[i]!;
        filesDone++;
        render();
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
  } catch (err) {
    task.fail(`upload of ${o.label} failed`);
    throw err;
  }
  task.succeed(`uploaded ${o.label}: ${files.length} file(s), ${formatBytes(total)} → ${target}`);
  return { files: files.length, bytes: total };
}

function bar(pct: number, width = 20): string {
  const full = Math.round((pct / 100) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

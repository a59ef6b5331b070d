/**
 * Helpers for the ECR suites: tiny images pushed through the registry API over plain HTTP (the
 * same requests `docker push` makes, without Docker's minute of gzip for the base image), and
 * clean-up of what pulls left in the engine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { awsEnv } from '../../helpers/server.js';

const execFileAsync = promisify(execFile);

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A one-file tar archive (ustar), enough for a valid layer. */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.UTC(2026, 0, 1) / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

export interface PushedImage {
  digest: string;
  manifest: Buffer;
  status: number;
  body: string;
  sizeBytes: number;
}

export interface PushOptions {
  /** `Authorization` header value (auth on). */
  authorization?: string;
  /** Makes the image unique (a different layer). */
  nonce?: string;
}

async function uploadBlob(url: string, repo: string, blob: Buffer, headers: Record<string, string>): Promise<void> {
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`upload start: ${start.status} ${await start.text()}`);
  const location = start.headers.get('location')!;
  const sep = location.includes('?') ? '&' : '?';
  const put = await fetch(`${url}${location}${sep}digest=${encodeURIComponent(sha256(blob))}`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'application/octet-stream' },
    body: blob,
  });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
}

/** Pushes a one-layer linux/amd64 image as `repo:tag`; the manifest PUT's answer is returned as it came. */
export async function pushTinyImage(url: string, repo: string, tag: string, opts: PushOptions = {}): Promise<PushedImage> {
  const headers: Record<string, string> = opts.authorization ? { Authorization: opts.authorization } : {};
  const tar = tarOf('hello.txt', Buffer.from(`hello ${opts.nonce ?? randomBytes(8).toString('hex')}\n`));
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello.txt'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }),
  );
  await uploadBlob(url, repo, layer, headers);
  await uploadBlob(url, repo, config, headers);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256(config) },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: sha256(layer) }],
    }),
  );
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: manifest,
  });
  return { digest: sha256(manifest), manifest, status: res.status, body: await res.text(), sizeBytes: config.length + layer.length };
}

/** Runs the aws CLI against `url`; a failure is a result (exit code and output), not an exception. */
export async function aws(url: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('aws', args, { env: { ...awsEnv(url), ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Removes every image the engine pulled from this server's registry (`127.0.0.1:<port>/…`). */
export async function removePulledImages(port: number): Promise<void> {
  const { stdout } = await execFileAsync('docker', ['images', '--format', '{{.Repository}} {{.ID}}']).catch(() => ({ stdout: '' }));
  const ids = new Set(
    stdout
      .split('\n')
      .filter((l) => l.startsWith(`127.0.0.1:${port}/`))
      .map((l) => l.split(' ')[1]!),
  );
  for (const id of ids) await execFileAsync('docker', ['rmi', '-f', id]).catch(() => undefined);
}

export interface OciErrorBody {
  code: string;
  message: string;
  detail: unknown;
}

/** The `errors` of a registry error answer. */
export async function ociErrors(r: Response): Promise<OciErrorBody[]> {
  return ((await r.json()) as { errors: OciErrorBody[] }).errors;
}

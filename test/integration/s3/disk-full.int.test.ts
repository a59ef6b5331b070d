/**
 * A full disk (issue #12 item 8): SLIPWAY_HOME on a small tmpfs of its own. A PUT that does not fit
 * answers a typed 507 that SDKs do not retry (not a 500 they retry), is logged, stores nothing,
 * and /_slipway/health shows the free space as it is now. Needs root (mount), as CI runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { python, startTestServer, type TestServer } from '../../helpers/server.js';

const MiB = 1024 * 1024;
let home: string;
let server: TestServer | undefined;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'slipway-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', home]);
  server = await startTestServer({ home });
});
afterAll(async () => {
  await server?.close();
  execFileSync('umount', [home]);
  rmSync(home, { recursive: true, force: true });
});

async function freeBytes(): Promise<number> {
  const res = await fetch(`${server!.url}/_slipway/health`);
  return ((await res.json()) as { disk: { freeBytes: number } }).disk.freeBytes;
}

describe('a full disk', () => {
  it('answers 507 InsufficientStorage without retries, logs it, keeps nothing, and health shows the space left now', async () => {
    const before = await freeBytes();
    expect(before).toBeGreaterThan(16 * MiB);
    const filler = join(home, 'filler.bin');
    writeFileSync(filler, Buffer.alloc(before - 4 * MiB));

    const logged: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    let r: any;
    const started = Date.now();
    try {
      r = await python(
        server!.url,
        `
import json, boto3, botocore
s3 = boto3.client('s3', region_name='us-east-1')
s3.create_bucket(Bucket='full')
try:
    s3.put_object(Bucket='full', Key='big', Body=b'x' * (8 * 1024 * 1024))
    out = 'ok'
except botocore.exceptions.ClientError as e:
    out = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['ResponseMetadata']['RetryAttempts'], e.response['Error']['Message']]
try:
    s3.head_object(Bucket='full', Key='big')
    stored = True
except botocore.exceptions.ClientError:
    stored = False
print(json.dumps({'put': out, 'stored': stored}))
`,
      );
    } finally {
      spy.mockRestore();
    }
    // The connection that carried the refused body is closed, so the next call does not wait on it.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.put.slice(0, 3)).toEqual(['InsufficientStorage', 507, 0]);
    expect(r.put[3]).toMatch(/disk space/);
    expect(r.stored).toBe(false);
    expect(logged.some((l) => l.includes('InsufficientStorage') || l.includes('not have enough free disk space'))).toBe(true);
    // Health reports the space as it is now, not as it was at the last measurement.
    expect(await freeBytes()).toBeLessThan(8 * MiB);

    unlinkSync(filler);
    const after = await python(
      server!.url,
      `
import json, boto3
s3 = boto3.client('s3', region_name='us-east-1')
s3.put_object(Bucket='full', Key='big', Body=b'x' * (8 * 1024 * 1024))
print(json.dumps(s3.head_object(Bucket='full', Key='big')['ContentLength']))
`,
    );
    expect(after).toBe(8 * MiB);
  });
});

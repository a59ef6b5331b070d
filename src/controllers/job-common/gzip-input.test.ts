import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipWithBudget, InputDataError } from './gzip-input.js';

async function drain(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('gunzipWithBudget', () => {
  it('passes the decompressed bytes through', async () => {
    const out = await drain(gunzipWithBudget(Readable.from([gzipSync('a,b\n1,2\n')]), { maxBytes: 100, what: 'x' }));
    expect(out.toString()).toBe('a,b\n1,2\n');
  });

  it('stops a bomb at the budget with a reason naming the limit, and destroys the source', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));
    const source = Readable.from([bomb]);
    const err = await drain(gunzipWithBudget(source, { maxBytes: 1024 * 1024, what: 'Channel train object z.gz' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputDataError);
    expect((err as Error).message).toBe('ClientError: Channel train object z.gz decompresses to more than 1048576 bytes, the limit (SLIPWAY_GZIP_INPUT_MAX_BYTES).');
    await new Promise((r) => setImmediate(r));
    expect(source.destroyed).toBe(true);
  });

  it('reports data that is not gzip as such', async () => {
    const err = await drain(gunzipWithBudget(Readable.from([Buffer.from('plain text, not gzip')]), { maxBytes: 100, what: 's3://b/k' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputDataError);
    expect((err as Error).message).toMatch(/^ClientError: s3:\/\/b\/k is not valid gzip data \(incorrect header check\)\.$/);
  });
});

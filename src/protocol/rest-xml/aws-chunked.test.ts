import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder } from './aws-chunked.js';

async function decode(parts: (string | Buffer)[]): Promise<{ data: string; decoder: AwsChunkedDecoder }> {
  const decoder = new AwsChunkedDecoder();
  const out: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    decoder.on('data', (c: Buffer) => out.push(c));
    decoder.on('end', resolve);
    decoder.on('error', reject);
  });
  Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))).pipe(decoder);
  await done;
  return { data: Buffer.concat(out).toString(), decoder };
}

describe('AwsChunkedDecoder', () => {
  it('decodes unsigned chunks with a checksum trailer', async () => {
    const { data, decoder } = await decode(['5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n']);
    expect(data).toBe('hello world');
    expect(decoder.trailers.get('x-amz-checksum-crc32')).toBe('DUoRhQ==');
    expect(decoder.decodedLength).toBe(11);
  });

  it('decodes signed chunks split at every byte boundary', async () => {
    const sig = ';chunk-signature=' + 'a'.repeat(64);
    const wire = `3${sig}\r\nabc\r\n2${sig}\r\nde\r\n0${sig}\r\n\r\n`;
    const { data } = await decode([...wire].map((c) => c));
    expect(data).toBe('abcde');
  });

  it('accepts a final trailer section without the closing empty line', async () => {
    const { data, decoder } = await decode(['1\r\nx\r\n0\r\nx-amz-checksum-sha256:abc=\r\n']);
    expect(data).toBe('x');
    expect(decoder.trailers.get('x-amz-checksum-sha256')).toBe('abc=');
  });

  it('rejects a truncated body and a bad chunk size', async () => {
    await expect(decode(['5\r\nhel'])).rejects.toMatchObject({ code: 'IncompleteBody' });
    await expect(decode(['zz\r\nhello\r\n'])).rejects.toMatchObject({ code: 'InvalidRequest' });
    await expect(decode(['2\r\nhello\r\n'])).rejects.toMatchObject({ code: 'InvalidRequest' });
  });
});

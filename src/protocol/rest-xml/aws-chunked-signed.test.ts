/**
 * Signed streaming uploads against the worked examples of AWS's documentation
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html and
 * sigv4-streaming-trailers.html: 66,560 bytes of `a` in 64 KiB chunks, key wJalrXUtnFEMI/…).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { signingKey } from '../sigv4/verify.js';
import type { StreamingSigner } from '../sigv4/chunk-signature.js';
import { AwsChunkedDecoder, type ChunkVerification } from './aws-chunked.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const signer = (seed: string): StreamingSigner => ({
  signingKey: signingKey(SECRET, '20130524', 'us-east-1', 's3'),
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seedSignature: seed,
});

async function decode(wire: Buffer, verify: ChunkVerification): Promise<{ size: number; decoder: AwsChunkedDecoder }> {
  const decoder = new AwsChunkedDecoder(verify);
  let size = 0;
  const done = new Promise<void>((resolve, reject) => {
    decoder.on('data', (c: Buffer) => (size += c.length));
    decoder.on('end', resolve);
    decoder.on('error', reject);
  });
  // Delivered in odd-sized pieces, so chunk boundaries fall inside reads.
  const pieces: Buffer[] = [];
  for (let i = 0; i < wire.length; i += 7777) pieces.push(wire.subarray(i, i + 7777));
  Readable.from(pieces).pipe(decoder);
  await done;
  return { size, decoder };
}

function framed(chunks: [number, string][], trailer = ''): Buffer {
  const parts: Buffer[] = [];
  for (const [n, sig] of chunks) {
    parts.push(Buffer.from(`${n.toString(16)};chunk-signature=${sig}\r\n`), Buffer.alloc(n, 'a'));
    parts.push(Buffer.from(n === 0 ? '' : '\r\n'));
  }
  parts.push(Buffer.from(trailer === '' ? '\r\n' : trailer));
  return Buffer.concat(parts);
}

const EXAMPLE: [number, string][] = [
  [65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'],
  [1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'],
  [0, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'],
];
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';

describe('AwsChunkedDecoder with chunk signatures', () => {
  it("accepts AWS's documented STREAMING-AWS4-HMAC-SHA256-PAYLOAD example", async () => {
    const { size } = await decode(framed(EXAMPLE), { signer: signer(SEED), trailer: false });
    expect(size).toBe(66560);
  });

  it('refuses the same chunks after another seed, a changed byte, or a missing signature', async () => {
    await expect(decode(framed(EXAMPLE), { signer: signer('0'.repeat(64)), trailer: false })).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      statusCode: 403,
    });
    const tampered = framed(EXAMPLE);
    tampered[tampered.indexOf('\r\n') + 2 + 100] = 0x62; // one 'a' of the first chunk becomes 'b'
    await expect(decode(tampered, { signer: signer(SEED), trailer: false })).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    const unsigned = Buffer.from(`3\r\naaa\r\n0\r\n\r\n`);
    await expect(decode(unsigned, { signer: signer(SEED), trailer: false })).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it("accepts AWS's documented example with a signed checksum trailer, and refuses a changed trailer", async () => {
    const chunks: [number, string][] = [
      [65536, 'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2'],
      [1024, '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7'],
      [0, '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992'],
    ];
    const seed = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
    const trailer = (crc: string) =>
      `x-amz-checksum-crc32c:${crc}\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n`;
    const { decoder } = await decode(framed(chunks, trailer('sOO8/Q==')), { signer: signer(seed), trailer: true });
    expect(decoder.trailers.get('x-amz-checksum-crc32c')).toBe('sOO8/Q==');
    await expect(decode(framed(chunks, trailer('AAAAAA==')), { signer: signer(seed), trailer: true })).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });
});

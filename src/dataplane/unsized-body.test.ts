import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readUnsized, unsizedBytesHeld, type UnsizedResult } from './unsized-body.js';

const read = (chunks: Buffer[], limit: number, budget?: number) =>
  new Promise<UnsizedResult>((resolve) => {
    const req = new PassThrough();
    readUnsized(req as unknown as IncomingMessage, limit, resolve, budget);
    for (const c of chunks) req.write(c);
    req.end();
  });

describe('bodies without Content-Length', () => {
  it('are read whole up to the limit', async () => {
    const body = await read([Buffer.from('ab'), Buffer.from('cd')], 4);
    expect(Buffer.isBuffer(body) && body.toString()).toBe('abcd');
    expect(unsizedBytesHeld()).toBe(0);
  });

  it('are refused once past the limit, or past the shared budget, holding nothing after', async () => {
    expect(await read([Buffer.alloc(3), Buffer.alloc(2)], 4)).toBe('tooLarge');
    expect(await read([Buffer.alloc(3), Buffer.alloc(2)], 100, 4)).toBe('busy');
    expect(unsizedBytesHeld()).toBe(0);
  });
});

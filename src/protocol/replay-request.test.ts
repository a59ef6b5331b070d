import type { IncomingMessage } from 'node:http';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { readBody } from './read-body.js';
import { replayRequest } from './replay-request.js';

const original = {
  headers: { 'content-type': 'application/json', 'content-length': '11' },
  rawHeaders: ['Content-Type', 'application/json', 'Content-Length', '11'],
  method: 'POST',
  url: '/endpoints/e/invocations?x=1',
  httpVersion: '1.1',
  httpVersionMajor: 1,
  httpVersionMinor: 1,
  socket: {},
} as unknown as IncomingMessage;

const body = Buffer.from('hello world');

describe('replayRequest', () => {
  it('keeps the method, url and headers of the original', () => {
    const r = replayRequest(original, body);
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/endpoints/e/invocations?x=1');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.rawHeaders).toEqual(original.rawHeaders);
    expect(r.readableEnded).toBe(false);
    expect(r.readableDidRead).toBe(false);
  });

  it("emits the body through 'data', then 'end', then 'close', as the dataplane's listeners expect", async () => {
    const r = replayRequest(original, body);
    const events: string[] = [];
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      r.on('data', (c: Buffer) => (events.push('data'), chunks.push(c)));
      r.on('end', () => events.push('end'));
      r.on('close', () => (events.push('close'), resolve()));
    });
    expect(Buffer.concat(chunks).toString()).toBe('hello world');
    expect(events).toEqual(['data', 'end', 'close']);
    expect(r.readableEnded).toBe(true);
    expect(r.readableDidRead).toBe(true);
  });

  it('is read whole by readBody (async iteration) and by pipe', async () => {
    expect((await readBody(replayRequest(original, body), 1024)).toString()).toBe('hello world');
    const out: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => out.push(c));
    await pipeline(replayRequest(original, body), new Transform({ transform: (c, _e, cb) => cb(null, c) }), sink);
    expect(Buffer.concat(out).toString()).toBe('hello world');
  });

  it('ends at once when resumed, and with an empty body', async () => {
    const r = replayRequest(original, Buffer.alloc(0));
    await new Promise<void>((resolve) => r.on('end', () => resolve()).resume());
    expect(r.readableEnded).toBe(true);
    const drained = replayRequest(original, body);
    drained.resume();
    await new Promise<void>((resolve) => drained.on('end', () => resolve()));
    expect(drained.readableEnded).toBe(true);
  });

  it('fails readBody with the size error when the replayed body is over its cap', async () => {
    await expect(readBody(replayRequest(original, body), 5)).rejects.toMatchObject({ code: 'RequestEntityTooLarge' });
  });
});

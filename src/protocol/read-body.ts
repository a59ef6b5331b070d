/** @module protocol/read-body — reads a small request body whole, with a size cap (control-plane JSON only). */
import type { IncomingMessage } from 'node:http';
import { ServiceError } from './errors.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new ServiceError('RequestEntityTooLarge', `Request body exceeds ${maxBytes} bytes.`, 413);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * @module protocol/read-body — reads a small request body whole, with a size cap (control-plane
 * JSON, CBOR and query bodies only).
 *
 * Over the cap it answers RequestEntityTooLarge at once (a declared Content-Length is judged before
 * a byte is read) and stops collecting; the request is not destroyed, so the 413 reaches the client
 * and server/lingering-close.ts discards the rest of the body and closes the connection.
 */
import type { IncomingMessage } from 'node:http';
import { ServiceError } from './errors.js';

const tooLarge = (maxBytes: number) => new ServiceError('RequestEntityTooLarge', `Request body exceeds ${maxBytes} bytes.`, 413);

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        detach();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      detach();
      reject(err);
    };
    // 'close' before 'end': the client went away mid-body.
    const onClose = () => {
      detach();
      reject(Object.assign(new Error('request aborted'), { code: 'ECONNRESET' }));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * @module controllers/job-common/gzip-input — one Gzip-compressed input object (Pipe-mode
 * channels, processing inputs, transform inputs with CompressionType Gzip) decompressed as a
 * stream under a budget on decompressed bytes.
 *
 *   object bytes ─► node:zlib gunzip (libuv threadpool) ─► counter ─► consumer (backpressure)
 *
 * node:zlib inflates on the threadpool a chunk at a time, so the main thread only passes 64 KiB
 * chunks along, and backpressure from the consumer bounds memory. What is left to bound is how
 * much work one small object can cause: the counter ends the stream with InputDataError once
 * SLIPWAY_GZIP_INPUT_MAX_BYTES is passed (zlib's throughput then bounds the time too), and a
 * corrupt stream ends it with the same error type, so callers fail the job with the reason.
 */
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TerminalFailure } from '../terminal-failure.js';

/** The input data itself is unusable (bad gzip, over budget); the message is the job's reason. */
export class InputDataError extends TerminalFailure {
  constructor(detail: string) {
    super(`ClientError: ${detail}`, detail);
    this.name = 'InputDataError';
  }
}

export interface GunzipOptions {
  maxBytes: number;
  /** Names the object in messages, e.g. `s3://bucket/key` or `channel training object a.gz`. */
  what: string;
}

/** The decompressed bytes of `source`; errors with InputDataError past the budget or on bad data. */
export function gunzipWithBudget(source: Readable, o: GunzipOptions): Readable {
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  let total = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      if (total > o.maxBytes) cb(new InputDataError(`${o.what} decompresses to more than ${o.maxBytes} bytes, the limit (SLIPWAY_GZIP_INPUT_MAX_BYTES).`));
      else cb(null, chunk);
    },
  });
  const fail = (err: Error) => {
    if (!counter.destroyed) counter.destroy(err);
  };
  source.on('error', fail);
  gunzip.on('error', (err) => fail(new InputDataError(`${o.what} is not valid gzip data (${err.message}).`)));
  // Whoever stops reading (budget, error, consumer gone) stops the whole chain.
  counter.on('close', () => {
    source.destroy();
    gunzip.destroy();
  });
  source.pipe(gunzip).pipe(counter);
  return counter;
}
